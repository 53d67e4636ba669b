"""Trade finance: every write of ``finance`` (DESIGN §4 Financing, issue 8).

Banks configure products and their own exchange-rate table; traders ask for financing and
pledge their own eligible declarations; banks decide and record money moved. Every request
transition is written the way ``declarations.services.workflow`` writes one: in one
transaction, lock the request row, check the *locked* status against
``choices.REQUEST_TRANSITIONS`` and the actor (bank officers of THE bank, trader staff of
THE trader), change the fields, ``full_clean``, save with the acting user in history,
append the public summary to the ledger and notify the other side (e-mail on commit).

Pledges: a declaration has at most one active pledge — the database's partial unique
constraint ``one_active_pledge_per_declaration`` decides, so two banks asked at the same
moment cannot both hold the same goods. Rejecting, withdrawing and closing a request release
its pledges. Repayments never close a request by themselves: the bank closes explicitly
(interest and fees make "fully repaid" the bank's judgement, not a sum this portal can do).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.choices import Action as DeclarationAction
from declarations.choices import Direction
from declarations.choices import Status as DeclarationStatus
from declarations.models import Declaration
from declarations.services.documents import validate_document_file
from portal import roles
from portal.choices import OrganisationKind, Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.services import ledger_append
from portal.models import Currency, Organisation, User
from portal.services import notification_send

from .choices import ACTIVE_STATUSES, REQUEST_TRANSITIONS, ProductKind, RequestAction
from .models import (
    ExchangeRate,
    FinancingDocument,
    FinancingProduct,
    FinancingRequest,
    FinancingSequence,
    MoneyMovement,
    Pledge,
)

CENT = Decimal("0.01")
# Export tax rebate is paid on goods that have left the country: released and departed exports only.
EXPORT_TAX_REBATE_STATUSES = (DeclarationStatus.RELEASED, DeclarationStatus.DEPARTED)
# Statuses a product may accept: a declaration customs has at least received, and not refused.
PLEDGEABLE_STATUSES = (
    DeclarationStatus.SUBMITTED,
    DeclarationStatus.UNDER_REVIEW,
    DeclarationStatus.RESUBMITTED,
    DeclarationStatus.INSPECTION_REQUIRED,
    DeclarationStatus.INSPECTED,
    DeclarationStatus.RELEASED,
    DeclarationStatus.DEPARTED,
    DeclarationStatus.ARRIVED,
)
DEFAULT_ACCEPTED_STATUSES = {
    ProductKind.EXPORT_TAX_REBATE: list(EXPORT_TAX_REBATE_STATUSES),
    ProductKind.CROSS_BORDER_ECOMMERCE: [
        DeclarationStatus.RELEASED,
        DeclarationStatus.DEPARTED,
        DeclarationStatus.ARRIVED,
    ],
    ProductKind.PRE_SHIPMENT: [
        DeclarationStatus.SUBMITTED,
        DeclarationStatus.UNDER_REVIEW,
        DeclarationStatus.RESUBMITTED,
        DeclarationStatus.RELEASED,
    ],
}
# Fields of a request's ledger entry that anyone may read. Other banks must be able to see that a
# declaration is pledged, to whom and in what state; amounts, prices, the trader and the messages
# are commercial secrets between trader and bank and are kept in the ledger only as salted hashes.
PUBLIC_SUMMARY_FIELDS = ["reference", "bank", "product_kind", "status", "currency", "pledged_declarations", "flagged"]


# --- helpers ---------------------------------------------------------------------------------------------------


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("Enter an amount, e.g. 125000.00.")}) from None
    if amount <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    return amount


def _require_bank_officer(actor: User) -> Organisation:
    if not roles.is_bank_officer(actor):
        raise PermissionDenied(_("Only bank trade-finance officers can do this."))
    return actor.organisation


def _require_trader(actor: User) -> Organisation:
    if not roles.is_trader(actor):
        raise PermissionDenied(_("Only trader staff can ask for financing."))
    return actor.organisation


# What ``full_clean`` of a request leaves to the database. Its relations are rows the writing transaction has
# just read (the product and its bank, a currency the product lends in, the acting person and their
# organisation) or, in a transition, rows it does not change; the reference comes from the locked sequence;
# the amounts' checks are made with a message before (``_money``: more than zero; approval: at most the amount
# requested). Django would read each relation and the reference again, a query each, and check each
# constraint with a query in a savepoint: twelve statements per write, for checks PostgreSQL makes on save
# anyway. Asking for financing now takes 24 queries and a bank's decision 28 (`python -m tests.benchmarks cost`,
# the "queries" of their rows; 36 and 40 before, counted in-process when this was changed).
REQUEST_CHECKED_ON_SAVE = [field.name for field in FinancingRequest._meta.concrete_fields if field.is_relation]


def _request_clean(request: FinancingRequest) -> None:
    """The request's own fields checked (lengths, choices, decimals), with a message per field."""
    request.full_clean(exclude=REQUEST_CHECKED_ON_SAVE, validate_unique=False, validate_constraints=False)


def _bank_officers(bank_id: int) -> list[User]:
    return list(User.objects.filter(organisation_id=bank_id, role=Role.BANK_OFFICER, is_active=True))


def _trader_staff(trader_id: int) -> list[User]:
    return list(User.objects.filter(organisation_id=trader_id, role=Role.TRADER_STAFF, is_active=True))


def financing_request_link(request: FinancingRequest, *, for_bank: bool) -> str:
    """The page of the request for the bank's officers or for the trader's staff."""
    names = ["finance:bank_request_detail", "finance:request_detail"] if for_bank else ["finance:request_detail"]
    for name in names:
        try:
            return reverse(name, args=[request.pk])
        except NoReverseMatch:
            continue
    return ""


# --- products and rates ----------------------------------------------------------------------------------------


@transaction.atomic
def product_upsert(
    *,
    actor: User,
    product_id: int | None = None,
    kind: str,
    name_en: str,
    name_zh: str = "",
    currencies: Iterable[str],
    max_advance_percent,
    min_tenor_days: int,
    max_tenor_days: int,
    accepted_statuses: Iterable[str] | None = None,
    exports_only: bool = False,
    active: bool = True,
) -> FinancingProduct:
    """Create or change one of the actor's bank's products.

    Requires a bank officer; ``product_id`` must be a product of the actor's bank (else 404).
    ``accepted_statuses`` defaults by kind; export tax rebate accepts only released and departed
    declarations and only exports. Raises ValidationError naming each bad field.
    """
    bank = _require_bank_officer(actor)
    if product_id is None:
        product = FinancingProduct(bank=bank)
    else:
        # Lock: two officers editing one product must not interleave their currency lists.
        product = FinancingProduct.objects.select_for_update().filter(pk=product_id, bank=bank).first()
        if product is None:
            raise Http404(_("No such product."))
    errors: dict[str, list[str]] = {}
    if kind not in ProductKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of financing."))
    statuses = (
        list(dict.fromkeys(accepted_statuses))
        if accepted_statuses
        else list(DEFAULT_ACCEPTED_STATUSES.get(kind, EXPORT_TAX_REBATE_STATUSES))
    )
    unknown = [status for status in statuses if status not in PLEDGEABLE_STATUSES]
    if unknown:
        errors.setdefault("accepted_statuses", []).append(
            _("Declarations in these statuses cannot be pledged: %(statuses)s.") % {"statuses": ", ".join(unknown)}
        )
    if kind == ProductKind.EXPORT_TAX_REBATE and not set(statuses) <= set(EXPORT_TAX_REBATE_STATUSES):
        errors.setdefault("accepted_statuses", []).append(
            _("Export tax rebate financing accepts only released and departed export declarations.")
        )
    codes = sorted({code.strip().upper() for code in currencies if code and code.strip()})
    known = set(Currency.objects.filter(code__in=codes).values_list("code", flat=True))
    if not codes:
        errors.setdefault("currencies", []).append(_("Choose at least one currency the product lends in."))
    elif missing := [code for code in codes if code not in known]:
        errors.setdefault("currencies", []).append(
            _("Unknown currency codes: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    try:
        min_tenor, max_tenor = int(min_tenor_days), int(max_tenor_days)
    except (TypeError, ValueError):
        errors.setdefault("min_tenor_days", []).append(_("Enter the tenor range in whole days."))
        min_tenor = max_tenor = 0
    else:
        if min_tenor < 1:
            errors.setdefault("min_tenor_days", []).append(_("The shortest tenor is at least one day."))
        if max_tenor < min_tenor:
            errors.setdefault("max_tenor_days", []).append(_("The longest tenor cannot be shorter than the shortest."))
    try:
        percent = Decimal(str(max_advance_percent))
    except (InvalidOperation, TypeError, ValueError):
        percent = Decimal(0)
    if not Decimal("0.01") <= percent <= Decimal(100):
        errors.setdefault("max_advance_percent", []).append(
            _("The maximum advance rate is a percentage between 0.01 and 100.")
        )
    if errors:
        raise ValidationError(errors)
    product.kind = kind
    product.name_en = name_en.strip()
    product.name_zh = name_zh.strip()
    product.max_advance_percent = percent
    product.min_tenor_days = min_tenor
    product.max_tenor_days = max_tenor
    product.accepted_statuses = statuses
    product.exports_only = exports_only or kind == ProductKind.EXPORT_TAX_REBATE
    product.active = active
    product.full_clean(exclude=["bank"])
    product._history_user = actor
    product.save()
    product.currencies.set(codes)
    return product


@transaction.atomic
def exchange_rate_set(*, actor: User, base: str, quote: str, rate, valid_from=None) -> ExchangeRate:
    """Record the actor's bank's rate: 1 ``base`` is worth ``rate`` ``quote`` from ``valid_from`` (now)."""
    bank = _require_bank_officer(actor)
    base, quote = (base or "").strip().upper(), (quote or "").strip().upper()
    errors: dict[str, list[str]] = {}
    known = set(Currency.objects.filter(code__in=[base, quote]).values_list("code", flat=True))
    for field, code in (("base", base), ("quote", quote)):
        if code not in known:
            errors[field] = [_("Unknown currency code “%(code)s”.") % {"code": code}]
    if base and base == quote:
        errors["quote"] = [_("A rate is between two different currencies.")]
    try:
        value = Decimal(str(rate))
    except (InvalidOperation, TypeError, ValueError):
        value = Decimal(0)
    if value <= 0:
        errors["rate"] = [_("The rate must be more than zero.")]
    if errors:
        raise ValidationError(errors)
    exchange_rate = ExchangeRate(
        bank=bank, base_id=base, quote_id=quote, rate=value, valid_from=valid_from or timezone.now()
    )
    exchange_rate.full_clean()
    exchange_rate._history_user = actor
    exchange_rate.save()
    return exchange_rate


def exchange_rate_latest(*, bank_id: int, base: str, quote: str, at=None) -> Decimal | None:
    """How many ``quote`` one ``base`` is worth in the bank's table: the most recent of its direct
    rate and the inverse of its reverse rate, valid at ``at`` (now); None when it has neither."""
    if base == quote:
        return Decimal(1)
    at = at or timezone.now()
    row = (
        ExchangeRate.objects.filter(bank_id=bank_id, valid_from__lte=at)
        .filter(Q(base_id=base, quote_id=quote) | Q(base_id=quote, quote_id=base))
        .order_by("-valid_from", "-id")
        .first()
    )
    if row is None:
        return None
    return row.rate if row.base_id == base else Decimal(1) / row.rate


def financing_convert(*, bank: Organisation, amount: Decimal, source: str, target: str) -> Decimal:
    """``amount`` in ``source`` expressed in ``target`` at the bank's latest rate; DomainError naming the pair."""
    rate = exchange_rate_latest(bank_id=bank.pk, base=source, quote=target)
    if rate is None:
        raise DomainError(
            _(
                "%(bank)s has no exchange rate between %(source)s and %(target)s; ask the bank to add one, or "
                "ask in %(source)s."
            )
            % {"bank": bank, "source": source, "target": target},
            field="currency",
        )
    return amount * rate


def declaration_ineligibility(*, product: FinancingProduct, declaration: Declaration) -> str | None:
    """Why ``declaration`` cannot be pledged for ``product`` (a sentence), or None when it can."""
    if declaration.status not in product.accepted_statuses:
        accepted = ", ".join(str(DeclarationStatus(status).label).lower() for status in product.accepted_statuses)
        return _("%(reference)s is “%(status)s”; %(product)s accepts only declarations that are %(accepted)s.") % {
            "reference": declaration,
            "status": declaration.get_status_display(),
            "product": product,
            "accepted": accepted,
        }
    if product.exports_only and declaration.direction != Direction.EXPORT:
        return _("%(reference)s is an import; %(product)s finances exports only.") % {
            "reference": declaration,
            "product": product,
        }
    if not declaration.invoice_currency_id or declaration.total_value <= 0:
        return _("%(reference)s has no declared value to pledge.") % {"reference": declaration}
    return None


def financing_max_amount(*, product: FinancingProduct, declarations: Sequence[Declaration], currency: str) -> Decimal:
    """The most the trader may ask for: the product's advance rate × the declarations' declared value,
    each converted from its invoice currency into ``currency`` at the bank's latest rate (rounded down
    to the cent). Raises DomainError naming the currency pair the bank has no rate for."""
    total = Decimal(0)
    for declaration in declarations:
        total += financing_convert(
            bank=product.bank, amount=declaration.total_value, source=declaration.invoice_currency_id, target=currency
        )
    return (total * product.max_advance_percent / Decimal(100)).quantize(CENT, rounding=ROUND_DOWN)


# --- the ledger summary ----------------------------------------------------------------------------------------


def financing_request_public_summary(request: FinancingRequest) -> dict:
    """The request as the ledger records it at every event (``PUBLIC_SUMMARY_FIELDS`` are readable)."""
    pledges = request.pledges.select_related("declaration").order_by("declaration_id")
    totals = {
        row["kind"]: row["total"] for row in request.movements.values("kind").annotate(total=Sum("amount")).order_by()
    }
    return {
        "reference": request.reference,
        "bank": request.bank.name_en,
        "product_kind": request.product.kind,
        "status": request.status,
        "currency": request.currency_id,
        "flagged": request.flagged,
        "pledged_declarations": [
            {
                "reference": pledge.declaration.reference,
                "ledger_subject": pledge.declaration.ledger_subject,
                "version": pledge.declaration_version,
                "active": pledge.active,
            }
            for pledge in pledges
        ],
        "trader": request.trader.name_en,
        "amount": request.amount,
        "tenor_days": request.tenor_days,
        "approved_amount": request.approved_amount,
        "interest_rate_percent": request.interest_rate_percent,
        "conditions": request.conditions,
        "disbursed": totals.get(MoneyMovement.Kind.DISBURSEMENT, Decimal(0)),
        "repaid": totals.get(MoneyMovement.Kind.REPAYMENT, Decimal(0)),
        "pledged_values": [
            {
                "reference": pledge.declaration.reference,
                "value": pledge.declared_value,
                "currency": pledge.value_currency_id,
            }
            for pledge in pledges
        ],
    }


def _ledger(request: FinancingRequest, kind: str, **extra) -> None:
    payload = {**financing_request_public_summary(request), **extra}
    ledger_append(kind=kind, subject=request.ledger_subject, payload=payload, public_fields=PUBLIC_SUMMARY_FIELDS)


# --- documents -------------------------------------------------------------------------------------------------


def _document_attach(*, actor: User, request: FinancingRequest, upload: UploadedFile) -> FinancingDocument:
    content_type = validate_document_file(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = FinancingDocument(
        request=request,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save(upload.name, upload, save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


# --- creating a request ----------------------------------------------------------------------------------------


def _allocate_reference() -> str:
    year = timezone.localtime(timezone.now()).year
    FinancingSequence.objects.bulk_create([FinancingSequence(year=year)], ignore_conflicts=True)
    # Lock the year's counter: two requests created at once must not take the same number.
    sequence = FinancingSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"FIN-{year}-{sequence.last_number:06d}"


def _holder_of(declaration: Declaration) -> FinancingRequest | None:
    pledge = (
        Pledge.objects.filter(declaration=declaration, active=True).select_related("request", "request__bank").first()
    )
    return pledge.request if pledge else None


def _already_pledged(declaration: Declaration, holder: FinancingRequest | None) -> DomainError:
    if holder is None:
        return DomainError(
            _("%(declaration)s was pledged in another request at the same moment; reload and choose again.")
            % {"declaration": declaration},
            field="declarations",
        )
    return DomainError(
        _(
            "%(declaration)s is already pledged in financing request %(request)s to %(bank)s (%(status)s); it can be "
            "pledged again once that request is closed, rejected or withdrawn."
        )
        % {
            "declaration": declaration,
            "request": holder.reference,
            "bank": holder.bank,
            "status": holder.get_status_display(),
        },
        field="declarations",
    )


@transaction.atomic
def financing_request_create(
    *,
    actor: User,
    product_id: int,
    amount,
    currency: str,
    tenor_days: int,
    declaration_ids: Iterable[int],
    message: str = "",
    documents: Iterable[UploadedFile] = (),
) -> FinancingRequest:
    """A trader asks a bank for financing and pledges its own declarations.

    Requires trader staff; every declaration must be the actor's organisation's (else 404) and
    eligible for the product (status, direction); the currency one the product lends in, the tenor
    within its range, the amount at most ``financing_max_amount``. Creates the request (reference
    FIN-<year>-<number>), its pledges and documents in one transaction; a declaration already
    pledged in an active request — found by the database constraint, even when that request is
    being created at the same instant — refuses the whole request with a DomainError naming it.
    Appends ``financing.request`` to the ledger and notifies the bank's officers.
    """
    trader = _require_trader(actor)
    product = (
        FinancingProduct.objects.select_related("bank")
        .filter(pk=product_id, active=True, bank__kind=OrganisationKind.BANK)
        .first()
        if str(product_id).isdigit()
        else None
    )
    if product is None:
        raise ValidationError({"product": [_("Choose a financing product a bank offers.")]})
    errors: dict[str, list[str]] = {}
    amount = _money(amount, "amount")
    currency = (currency or "").strip().upper()
    if not product.currencies.filter(code=currency).exists():
        offered = ", ".join(product.currencies.order_by("code").values_list("code", flat=True))
        errors["currency"] = [_("%(product)s lends in %(offered)s only.") % {"product": product, "offered": offered}]
    try:
        tenor = int(tenor_days)
    except (TypeError, ValueError):
        tenor = -1
    if not product.min_tenor_days <= tenor <= product.max_tenor_days:
        errors["tenor_days"] = [
            _("The tenor must be between %(low)s and %(high)s days.")
            % {"low": product.min_tenor_days, "high": product.max_tenor_days}
        ]
    try:
        ids = sorted({int(pk) for pk in declaration_ids})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        errors["declarations"] = [_("Choose at least one declaration to pledge.")]
    if errors:
        raise ValidationError(errors)
    # Lock the declarations (in id order, so two requests never deadlock): a customs decision on one
    # of them waits until the pledge is committed, and then finds the pledge to flag.
    declarations = list(
        Declaration.objects.select_for_update(of=("self",)).filter(pk__in=ids, declarant_id=trader.pk).order_by("pk")
    )
    if len(declarations) != len(ids):
        raise Http404(_("No such declaration."))
    reasons = [
        reason
        for declaration in declarations
        if (reason := declaration_ineligibility(product=product, declaration=declaration))
    ]
    if reasons:
        raise ValidationError({"declarations": reasons})
    maximum = financing_max_amount(product=product, declarations=declarations, currency=currency)
    if amount > maximum:
        raise ValidationError(
            {
                "amount": [
                    _("At most %(maximum)s %(currency)s: %(percent)s%% of the pledged declared value.")
                    % {
                        "maximum": maximum,
                        "currency": currency,
                        "percent": format(product.max_advance_percent.normalize(), "f"),
                    }
                ]
            }
        )

    request = FinancingRequest(
        reference=_allocate_reference(),
        trader=trader,
        bank=product.bank,
        product=product,
        amount=amount,
        currency_id=currency,
        tenor_days=tenor,
        trader_message=message.strip(),
        created_by=actor,
    )
    _request_clean(request)
    request._history_user = actor
    request.save()
    for declaration in declarations:
        pledge = Pledge(
            request=request,
            declaration=declaration,
            declared_value=declaration.total_value,
            value_currency_id=declaration.invoice_currency_id,
            declaration_version=declaration.version,
        )
        pledge._history_user = actor
        try:
            # Savepoint: the constraint's refusal must leave the transaction usable to name the holder.
            with transaction.atomic():
                pledge.save()
        except IntegrityError:
            raise _already_pledged(declaration, _holder_of(declaration)) from None
    for upload in documents:
        _document_attach(actor=actor, request=request, upload=upload)
    _ledger(request, "financing.request")
    notification_send(
        recipients=_bank_officers(request.bank_id),
        subject=_("%(reference)s: %(trader)s asks for %(amount)s %(currency)s")
        % {"reference": request.reference, "trader": trader, "amount": amount, "currency": currency},
        body=request.trader_message,
        link=financing_request_link(request, for_bank=True),
    )
    return request


# --- transitions -----------------------------------------------------------------------------------------------


def _locked_request(*, actor: User, request_id: int) -> FinancingRequest:
    """The request locked until the transaction ends, if the actor's organisation is its bank or trader."""
    # Lock: two people acting on one request must be serialised; the second re-checks the status below.
    request = (
        FinancingRequest.objects.select_for_update(of=("self",))
        .filter(pk=request_id)
        .filter(Q(bank_id=actor.organisation_id) | Q(trader_id=actor.organisation_id))
        .first()
        if actor.is_authenticated and actor.organisation_id and str(request_id).isdigit()
        else None
    )
    if request is None:
        raise Http404(_("No such financing request."))
    return request


def _acts_for(request: FinancingRequest, actor: User, allowed_roles: frozenset[str]) -> bool:
    """True when the actor holds an allowed role in the organisation that plays it on this request."""
    return bool(
        (
            Role.BANK_OFFICER in allowed_roles
            and roles.is_bank_officer(actor)
            and actor.organisation_id == request.bank_id
        )
        or (
            Role.TRADER_STAFF in allowed_roles and roles.is_trader(actor) and actor.organisation_id == request.trader_id
        )
    )


def _check_allowed(request: FinancingRequest, action: str, actor: User) -> str:
    sources, target, allowed_roles = REQUEST_TRANSITIONS[action]
    if not _acts_for(request, actor, allowed_roles):
        who = _("the bank's officers") if Role.BANK_OFFICER in allowed_roles else _("the trader's staff")
        raise TransitionNotAllowed(
            _("Only %(who)s can %(action)s this request.")
            % {"who": who, "action": str(RequestAction(action).label).lower()}
        )
    if request.status not in sources:
        raise TransitionNotAllowed(
            _(
                "Financing request %(reference)s is now “%(status)s”, so you cannot %(action)s it; reload to see "
                "what changed."
            )
            % {
                "reference": request.reference,
                "status": request.get_status_display(),
                "action": str(RequestAction(action).label).lower(),
            }
        )
    return target or request.status


def _release_pledges(request: FinancingRequest, actor: User) -> None:
    now = timezone.now()
    for pledge in request.pledges.filter(active=True):
        pledge.active = False
        pledge.released_at = now
        pledge._history_user = actor
        pledge.save()


def _record(request: FinancingRequest, action: str, actor: User, note: str = "", **ledger_extra) -> None:
    """Save with history, release pledges when the request ends, ledger entry, notify the other side."""
    request._history_user = actor
    request._change_reason = f"{action}: {note}"[:100] if note else action
    _request_clean(request)
    request.save()
    if request.status not in ACTIVE_STATUSES:
        _release_pledges(request, actor)
    _ledger(request, f"financing.{action}", **ledger_extra)
    to_bank = roles.is_trader(actor)
    recipients = _bank_officers(request.bank_id) if to_bank else _trader_staff(request.trader_id)
    notification_send(
        recipients=[user for user in recipients if user.pk != actor.pk],
        subject=_("%(reference)s: %(status)s")
        % {"reference": request.reference, "status": request.get_status_display()},
        body=note,
        link=financing_request_link(request, for_bank=to_bank),
    )


@transaction.atomic
def financing_request_approve(
    *, actor: User, request_id: int, approved_amount, interest_rate_percent, conditions: str = ""
) -> FinancingRequest:
    """The bank approves at most the amount requested, at an interest rate, with conditions."""
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.APPROVE, actor)
    approved = _money(approved_amount, "approved_amount")
    if approved > request.amount:
        raise ValidationError(
            {
                "approved_amount": [
                    _("At most the %(amount)s %(currency)s requested.")
                    % {"amount": request.amount, "currency": request.currency_id}
                ]
            }
        )
    try:
        rate = Decimal(str(interest_rate_percent))
    except (InvalidOperation, TypeError, ValueError):
        rate = Decimal(-1)
    if not Decimal(0) <= rate <= Decimal(100):
        raise ValidationError({"interest_rate_percent": [_("Enter a yearly interest rate between 0 and 100 %.")]})
    request.approved_amount = approved
    request.interest_rate_percent = rate
    request.conditions = conditions.strip()
    request.decided_at = timezone.now()
    _record(request, RequestAction.APPROVE, actor, request.conditions)
    return request


@transaction.atomic
def financing_request_reject(*, actor: User, request_id: int, reason: str) -> FinancingRequest:
    """The bank refuses, saying why; the pledges are released."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the request is rejected; the trader reads it.")]})
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.REJECT, actor)
    request.bank_message = reason.strip()
    request.decided_at = timezone.now()
    _record(request, RequestAction.REJECT, actor, request.bank_message)
    return request


@transaction.atomic
def financing_request_ask_information(*, actor: User, request_id: int, message: str) -> FinancingRequest:
    """The bank asks the trader for more information (the request waits for the trader)."""
    if not (message or "").strip():
        raise ValidationError({"message": [_("Say what the bank needs to know.")]})
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.ASK_INFORMATION, actor)
    request.bank_message = message.strip()
    _record(request, RequestAction.ASK_INFORMATION, actor, request.bank_message)
    return request


@transaction.atomic
def financing_request_provide_information(
    *, actor: User, request_id: int, message: str, documents: Iterable[UploadedFile] = ()
) -> FinancingRequest:
    """The trader answers the bank's question (and may attach documents); the request is under review again."""
    if not (message or "").strip():
        raise ValidationError({"message": [_("Write your answer to the bank.")]})
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.PROVIDE_INFORMATION, actor)
    request.trader_message = message.strip()
    for upload in documents:
        _document_attach(actor=actor, request=request, upload=upload)
    _record(request, RequestAction.PROVIDE_INFORMATION, actor, request.trader_message)
    return request


@transaction.atomic
def financing_request_withdraw(*, actor: User, request_id: int, reason: str = "") -> FinancingRequest:
    """The trader withdraws a request the bank has not decided yet; the pledges are released."""
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.WITHDRAW, actor)
    if reason.strip():
        request.trader_message = reason.strip()
    _record(request, RequestAction.WITHDRAW, actor, reason.strip())
    return request


def _movement(
    request: FinancingRequest, kind: str, actor: User, amount, value_date, bank_reference: str
) -> MoneyMovement:
    if not isinstance(value_date, date):
        raise ValidationError({"value_date": [_("Enter the value date.")]})
    movement = MoneyMovement(
        request=request,
        kind=kind,
        amount=_money(amount, "amount"),
        value_date=value_date,
        bank_reference=(bank_reference or "").strip(),
        recorded_by=actor,
    )
    movement.full_clean()
    movement._history_user = actor
    return movement


def _total(request: FinancingRequest, kind: str) -> Decimal:
    return request.movements.filter(kind=kind).aggregate(total=Sum("amount"))["total"] or Decimal(0)


@transaction.atomic
def financing_request_disburse(
    *, actor: User, request_id: int, amount, value_date: date, bank_reference: str = ""
) -> MoneyMovement:
    """The bank records paying out the approved financing; all disbursed together stays ≤ the approved amount."""
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.DISBURSE, actor)
    movement = _movement(request, MoneyMovement.Kind.DISBURSEMENT, actor, amount, value_date, bank_reference)
    disbursed = _total(request, MoneyMovement.Kind.DISBURSEMENT)
    if disbursed + movement.amount > request.approved_amount:
        raise ValidationError(
            {
                "amount": [
                    _("At most %(left)s %(currency)s: %(approved)s approved, %(disbursed)s already disbursed.")
                    % {
                        "left": request.approved_amount - disbursed,
                        "currency": request.currency_id,
                        "approved": request.approved_amount,
                        "disbursed": disbursed,
                    }
                ]
            }
        )
    movement.save()
    _record(
        request,
        RequestAction.DISBURSE,
        actor,
        movement.bank_reference,
        movement={"kind": movement.kind, "amount": movement.amount, "value_date": movement.value_date},
    )
    return movement


@transaction.atomic
def financing_request_repay(
    *, actor: User, request_id: int, amount, value_date: date, bank_reference: str = ""
) -> MoneyMovement:
    """The bank records a repayment. The request stays disbursed: the bank closes it explicitly."""
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.REPAY, actor)
    movement = _movement(request, MoneyMovement.Kind.REPAYMENT, actor, amount, value_date, bank_reference)
    movement.save()
    _record(
        request,
        RequestAction.REPAY,
        actor,
        movement.bank_reference,
        movement={"kind": movement.kind, "amount": movement.amount, "value_date": movement.value_date},
    )
    return movement


@transaction.atomic
def financing_request_close(*, actor: User, request_id: int, note: str = "") -> FinancingRequest:
    """The bank closes an approved or disbursed request (repaid, or never drawn); the pledges are released."""
    request = _locked_request(actor=actor, request_id=request_id)
    request.status = _check_allowed(request, RequestAction.CLOSE, actor)
    if note.strip():
        request.bank_message = note.strip()
    _record(request, RequestAction.CLOSE, actor, note.strip())
    return request


TRANSITION_SERVICES = {
    RequestAction.APPROVE: financing_request_approve,
    RequestAction.REJECT: financing_request_reject,
    RequestAction.ASK_INFORMATION: financing_request_ask_information,
    RequestAction.PROVIDE_INFORMATION: financing_request_provide_information,
    RequestAction.WITHDRAW: financing_request_withdraw,
    RequestAction.DISBURSE: financing_request_disburse,
    RequestAction.REPAY: financing_request_repay,
    RequestAction.CLOSE: financing_request_close,
}


def financing_request_transition(*, actor: User, request_id: int, action: str, **fields):
    """Dispatch ``action`` (a ``RequestAction`` value) to its service with ``fields``."""
    if action not in TRANSITION_SERVICES:
        raise DomainError(
            _("“%(action)s” is not an action on a financing request.") % {"action": action}, field="action"
        )
    return TRANSITION_SERVICES[action](actor=actor, request_id=request_id, **fields)


def financing_allowed_actions(request: FinancingRequest, actor: User) -> list[str]:
    """The actions ``actor`` may take on ``request`` now, in table order (for pages and the API)."""
    return [
        action
        for action, (sources, _target, allowed_roles) in REQUEST_TRANSITIONS.items()
        if request.status in sources and _acts_for(request, actor, allowed_roles)
    ]


# --- pledges when the collateral changes ------------------------------------------------------------------------


@transaction.atomic
def financing_flag_for_declaration(*, declaration_id: int, reason: str) -> list[FinancingRequest]:
    """Flag every active request that pledges the declaration and tell its bank's officers.

    Runs in the caller's transaction (a declaration transition). Returns the requests flagged.
    """
    request_ids = list(
        Pledge.objects.filter(declaration_id=declaration_id, active=True).values_list("request_id", flat=True)
    )
    flagged = []
    # Lock the requests: a bank decision in progress must see the flag, or be seen by it.
    for request in (
        FinancingRequest.objects.select_for_update(of=("self",))
        .filter(pk__in=request_ids, status__in=ACTIVE_STATUSES)
        .order_by("pk")
    ):
        request.flagged = True
        request.flag_reason = reason[:500]
        request._change_reason = "flag"
        request.save()
        _ledger(request, "financing.flag", flag_reason=request.flag_reason)
        notification_send(
            recipients=_bank_officers(request.bank_id),
            subject=_("%(reference)s: pledged collateral changed") % {"reference": request.reference},
            body=request.flag_reason,
            link=financing_request_link(request, for_bank=True),
        )
        flagged.append(request)
    return flagged


def financing_declaration_changed(*, declaration: Declaration, action: str) -> list[FinancingRequest]:
    """Hook of the declarations workflow: flag active financing when a pledged declaration is rejected,
    cancelled, or amended so that its declared value (or currency) is no longer what was pledged."""
    if action == DeclarationAction.REJECT:
        reason = _("Declaration %(reference)s was rejected by customs.") % {"reference": declaration}
    elif action == DeclarationAction.CANCEL:
        reason = _("Declaration %(reference)s was cancelled by the trader.") % {"reference": declaration}
    elif action == DeclarationAction.AMEND:
        changed = Pledge.objects.filter(declaration=declaration, active=True).exclude(
            declared_value=declaration.total_value, value_currency_id=declaration.invoice_currency_id
        )
        pledge = changed.first()
        if pledge is None:
            return []
        reason = _(
            "Declaration %(reference)s was amended (version %(version)s): its declared value is now "
            "%(value)s %(currency)s, pledged at %(pledged)s %(pledged_currency)s."
        ) % {
            "reference": declaration,
            "version": declaration.version,
            "value": declaration.total_value,
            "currency": declaration.invoice_currency_id,
            "pledged": pledge.declared_value,
            "pledged_currency": pledge.value_currency_id,
        }
    else:
        return []
    return financing_flag_for_declaration(declaration_id=declaration.pk, reason=reason)
