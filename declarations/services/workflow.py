"""Every change of a declaration's status, written the same way (STYLE.md, "A transition").

Inside one transaction: lock the row, check the *locked* status against
``choices.TRANSITIONS`` and the actor's role, change the fields, save (history records
the actor), append the public summary to the ledger and notify (e-mail goes on commit).
A forbidden or stale action raises ``TransitionNotAllowed``.
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.history import save_with_history
from portal.ledger.services import ledger_append
from portal.models import Port, User
from portal.reference_cache import reference_ports_attach, reference_snapshot
from portal.rows import columns_sql, instances_read, prefetched_set
from portal.services import notification_send

from ..choices import SYSTEM, TRANSITIONS, Action, Procedure
from ..models import Declaration, DeclarationContainer, DeclarationItem, ReferenceSequence, SupportingDocument
from ..models.declaration import lane_queue_rank
from .access import require_trader
from .drafts import declaration_container_values, declaration_header, declaration_item_values, draft_write
from .summary import PUBLIC_SUMMARY_FIELDS, declaration_public_summary
from .validation import ReferenceTables, declaration_errors

OFFICER_DECISIONS = (Action.RELEASE, Action.REQUEST_AMENDMENT, Action.ORDER_INSPECTION, Action.REJECT)
# The fields a transition sets (``_record`` validates these; the others were validated when the
# draft was written and did not change). ``queue_rank`` is derived from the lane in ``_record``
# and guarded by the database's check constraint.
TRANSITION_FIELDS = {"status", "lane", "version", "officer_message", "submitted_at", "decided_at"}
# What a transition writes: its fields, the reference a first submit takes, the lane's queue rank, the
# warnings an amendment clears, and the time of the change.
TRANSITION_WRITES = [*sorted(TRANSITION_FIELDS), "reference", "queue_rank", "current_warning_codes", "updated_at"]
NOT_TRANSITION_FIELDS = [
    field.name for field in Declaration._meta.concrete_fields if field.name not in TRANSITION_FIELDS
]
# What the ledger summary and the API's answer read besides the row itself.
SUMMARY_RELATIONS = ("origin_port", "transfer_port", "foreign_port", "declarant")


def clearance_port(declaration: Declaration) -> Port | None:
    """The port whose customs decides: the port of declaration (``origin_port``).

    For an integrated export that is the river port where the goods enter customs control;
    for an integrated import it is the port where they leave customs control, which the
    trader declares as the origin (port of declaration). The other port of the pair sees
    the declaration and may place holds (officer workspace).
    """
    return declaration.origin_port


def _actor_role(actor: User | None) -> str:
    return SYSTEM if actor is None else actor.role


def _locked(declaration_id: int) -> Declaration:
    # Lock: two people acting on one declaration at once must be serialised; the second
    # then sees the first one's result when it re-checks the status below.
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related(*SUMMARY_RELATIONS)
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise TransitionNotAllowed(_("This declaration no longer exists."))
    return declaration


# A trader's submit, amend and cancel read these, and the API answers with them; every transition
# reads the people to notify. Read with ``portal.rows.instances_read`` (no ORM compilation; see
# there why); each keeps the model's ``Meta.ordering``.
LOCKED_FOR_TRADER = (
    f'SELECT {columns_sql(Declaration)} FROM "{Declaration._meta.db_table}" '  # noqa: S608 — model's table
    "WHERE id = %s AND declarant_id = %s"
)
ITEMS_OF = (
    f'SELECT {columns_sql(DeclarationItem)} FROM "{DeclarationItem._meta.db_table}" '  # noqa: S608
    "WHERE declaration_id = %s ORDER BY line_number"
)
CONTAINERS_OF = (
    f'SELECT {columns_sql(DeclarationContainer)} FROM "{DeclarationContainer._meta.db_table}" '  # noqa: S608
    "WHERE declaration_id = %s ORDER BY id"
)
DOCUMENTS_OF = (
    f'SELECT {columns_sql(SupportingDocument)} FROM "{SupportingDocument._meta.db_table}" '  # noqa: S608
    "WHERE declaration_id = %s ORDER BY uploaded_at, id"
)
ACTIVE_USERS_OF = f'SELECT {columns_sql(User)} FROM "{User._meta.db_table}" WHERE organisation_id = %s AND is_active'  # noqa: S608


def _for_update() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def _locked_for_trader(actor: User, declaration_id: int) -> Declaration:
    """The actor's organisation's declaration, locked, with its items, containers and documents; Http404 otherwise.

    One locked read of the row alone does both the scope check (another organisation's
    declaration is not found) and the lock. The declarant is the actor's organisation (the
    filter says so) and the ports come from the reference tables in memory, so nothing is
    joined; the items, containers and documents, read next, serve the submit check, the
    ledger digest and the API's answer alike.
    """
    require_trader(actor)
    # Lock: as in _locked — a submit, an edit or a cancel of one declaration must not interleave.
    found = instances_read(Declaration, LOCKED_FOR_TRADER + _for_update(), [declaration_id, actor.organisation_id])
    if not found:
        raise Http404(_("No such declaration."))
    declaration = found[0]
    declaration.declarant = actor.organisation
    reference_ports_attach([declaration])
    snapshot = reference_snapshot()
    items = instances_read(DeclarationItem, ITEMS_OF, [declaration.pk])
    for item in items:
        if (hs_code := snapshot.hs_codes.get(item.hs_code_id)) is not None:
            item.hs_code = hs_code  # one missing from the snapshot is read when used
    prefetched_set(declaration, "items", items)
    prefetched_set(declaration, "containers", instances_read(DeclarationContainer, CONTAINERS_OF, [declaration.pk]))
    prefetched_set(declaration, "documents", instances_read(SupportingDocument, DOCUMENTS_OF, [declaration.pk]))
    return declaration


def _check_allowed(declaration: Declaration, action: str, actor: User | None) -> str:
    sources, target, allowed_roles = TRANSITIONS[action]
    if _actor_role(actor) not in allowed_roles:
        raise TransitionNotAllowed(_("You cannot %(action)s a declaration.") % {"action": Action(action).label.lower()})
    if declaration.status not in sources:
        raise TransitionNotAllowed(
            _(
                "Declaration %(reference)s is now “%(status)s”, so it cannot be %(action)s any more; "
                "reload to see what changed."
            )
            % {
                "reference": declaration,
                "status": declaration.get_status_display(),
                "action": Action(action).label.lower(),
            }
        )
    return target


def _allocate_reference(declaration: Declaration) -> str:
    """Next number of the declaration's port and year, e.g. CNSUD-2026-000042 (gap-free per port-year)."""
    port = declaration.origin_port
    year = timezone.localtime(timezone.now()).year
    if connection.vendor == "postgresql":
        # One statement creates or increments the port-year counter; the row it updates stays
        # locked until commit, so two submits at the same port cannot take the same number.
        table = ReferenceSequence._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (port_id, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608 — model's table
                f"ON CONFLICT (port_id, year) DO UPDATE SET last_number = {table}.last_number + 1 "
                "RETURNING last_number",
                [port.pk, year],
            )
            number = cursor.fetchone()[0]
        return f"{port.locode}-{year}-{number:06d}"
    ReferenceSequence.objects.bulk_create([ReferenceSequence(port=port, year=year)], ignore_conflicts=True)
    # Lock the port-year counter: two submits at the same port must not take the same number.
    sequence = ReferenceSequence.objects.select_for_update().get(port=port, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{port.locode}-{year}-{sequence.last_number:06d}"


def _record(
    declaration: Declaration, action: str, actor: User | None, note: str = "", *, numbered: bool = False
) -> None:
    """History, ledger entry and notification for a transition that has just been applied.

    ``numbered``: the declaration takes its reference now if it has none (a first submit). The port-year
    counter and the ledger's head stay locked from when they are taken to the commit, and every submit takes
    the one and every transition the other: what can be done before (checks, reads) is done before, and the
    ledger entry goes last.
    """
    declaration._history_user = actor
    declaration._change_reason = f"{action}: {note}"[:100] if note else action
    declaration.queue_rank = lane_queue_rank(declaration.lane)  # every lane change passes here
    # The transition's fields only; the database checks the table's constraints on save.
    declaration.full_clean(exclude=NOT_TRANSITION_FIELDS, validate_constraints=False)
    traders = instances_read(User, ACTIVE_USERS_OF, [declaration.declarant_id])
    if numbered and not declaration.reference:
        declaration.reference = _allocate_reference(declaration)
    # One statement on PostgreSQL: the transition's writes and the history row of the whole row as written.
    save_with_history(declaration, update_fields=TRANSITION_WRITES)
    if action in (Action.REJECT, Action.CANCEL, Action.AMEND):
        from finance.services import financing_declaration_changed  # lazy: finance imports declarations

        financing_declaration_changed(declaration=declaration, action=action)
    link = reverse("declarations:detail", args=[declaration.pk])
    notification_send(
        recipients=[user for user in traders if actor is None or user.pk != actor.pk],
        subject=_("%(reference)s: %(status)s") % {"reference": declaration, "status": declaration.get_status_display()},
        body=note,
        link=link,
    )
    # The payload is exactly the record's public summary, so the public verification page can
    # recompute it from the stored record and compare; the action is the entry's kind.
    ledger_append(
        kind=f"declaration.{action}",
        subject=declaration.ledger_subject,
        payload=declaration_public_summary(declaration),
        public_fields=PUBLIC_SUMMARY_FIELDS,
    )


def _raise_if_held(declaration: Declaration) -> None:
    """Release is blocked while the other port of the pair holds the declaration (the caller holds the lock)."""
    from .review import active_hold_for_release, hold_release_refusal

    if (hold := active_hold_for_release(declaration)) is not None:
        raise hold_release_refusal(hold, declaration)


def verification_request(declaration_ids: list[int]) -> None:
    from .crosscheck import verification_request as request  # crosscheck builds on this module

    request(declaration_ids)


@transaction.atomic
def declaration_submit(*, actor: User, declaration_id: int) -> Declaration:
    """Submit a draft: check everything, give it a reference number, record it, queue verification on commit.

    Returns the declaration with its items and containers loaded (what the API answers with).
    """
    return _submit(_locked_for_trader(actor, declaration_id), actor)


@transaction.atomic
def declaration_file(*, actor: User, header: dict, items: list[dict] = (), containers: list[dict] = ()) -> Declaration:
    """Create a declaration and submit it in one transaction: what a trader's system does that files complete ones.

    The draft's checks, then submit's, each as the two calls make them; if either refuses,
    nothing is stored. The history records the creation and the submission, as for a draft
    submitted later. Returns the declaration with its items and containers loaded.
    """
    return _submit(draft_write(actor=actor, header=header, items=items, containers=containers), actor)


def _submit(declaration: Declaration, actor: User) -> Declaration:
    """Submit a declaration the caller has locked or has just written, with its items and containers loaded."""
    target = _check_allowed(declaration, Action.SUBMIT, actor)
    _raise_if_incomplete(declaration)
    # Queued first: the reference counter and the ledger's head, taken next, stay locked until commit.
    verification_request([declaration.pk])
    declaration.status = target
    declaration.submitted_at = timezone.now()
    _record(declaration, Action.SUBMIT, actor, numbered=True)
    return declaration


@transaction.atomic
def declaration_amend(*, actor: User, declaration_id: int) -> Declaration:
    """Resubmit a declaration after the requested amendment: a new version, checked and verified again."""
    declaration = _locked_for_trader(actor, declaration_id)
    target = _check_allowed(declaration, Action.AMEND, actor)
    _raise_if_incomplete(declaration)
    declaration.status = target
    declaration.version += 1
    declaration.lane = ""
    declaration.current_warning_codes = ""  # the new version has no warnings until it is verified
    verification_request([declaration.pk])  # before the ledger's head is locked (held until commit)
    _record(declaration, Action.AMEND, actor)
    return declaration


@transaction.atomic
def declaration_cancel(*, actor: User, declaration_id: int, reason: str = "") -> Declaration:
    """The trader withdraws a draft or a submitted declaration."""
    declaration = _locked_for_trader(actor, declaration_id)
    declaration.status = _check_allowed(declaration, Action.CANCEL, actor)
    _record(declaration, Action.CANCEL, actor, reason)
    return declaration


@transaction.atomic
def declaration_decide(
    *, actor: User, declaration_id: int, action: str, message: str = "", expected_status: str = ""
) -> Declaration:
    """An officer of the port of clearance releases, asks for amendment, orders inspection or rejects.

    A message is required to ask for amendment (the trader reads it) and to reject (the reason).
    Release is refused while the other port holds the declaration (``services.review``).
    ``expected_status``, when given, is the status the officer saw: a declaration that changed
    meanwhile is refused, so two officers deciding at once never both decide.
    """
    if action not in OFFICER_DECISIONS:
        raise DomainError(_("“%(action)s” is not a decision.") % {"action": action}, field="action")
    if action in (Action.REQUEST_AMENDMENT, Action.REJECT) and not message.strip():
        raise DomainError(_("Say what the trader must change, or why the declaration is rejected."), field="message")
    declaration = _locked(declaration_id)
    port = clearance_port(declaration)
    if not roles.is_customs(actor) or port is None or not roles.serves_port(actor, port):
        raise TransitionNotAllowed(_("Only officers of the port of clearance can decide on this declaration."))
    if expected_status and declaration.status != expected_status:
        raise TransitionNotAllowed(
            _("Declaration %(reference)s is now “%(status)s”; reload to see what changed before deciding.")
            % {"reference": declaration, "status": declaration.get_status_display()}
        )
    declaration.status = _check_allowed(declaration, action, actor)
    if action == Action.RELEASE:
        _raise_if_held(declaration)
    if action in (Action.REQUEST_AMENDMENT, Action.REJECT):
        declaration.officer_message = message.strip()
    if action == Action.ORDER_INSPECTION:
        declaration.lane = "red"
    if action in (Action.RELEASE, Action.REJECT):
        declaration.decided_at = timezone.now()
    _record(declaration, action, actor, message.strip())
    return declaration


@transaction.atomic
def declaration_system_transition(
    *, declaration_id: int, action: str, lane: str | None = None, note: str = ""
) -> Declaration:
    """A transition the system takes (verification starts review; terminal events depart/arrive)."""
    declaration = _locked(declaration_id)
    declaration.status = _check_allowed(declaration, action, None)
    if action == Action.RELEASE:
        _raise_if_held(declaration)
    if lane is not None:
        declaration.lane = lane
    _record(declaration, action, None, note)
    return declaration


def declaration_submit_errors(declaration: Declaration) -> dict[str, list[str]]:
    """What submitting the stored declaration would refuse, as ``{dotted field: [messages]}``."""
    stored_items = list(declaration.items.all())
    items = [declaration_item_values(item) for item in stored_items]
    containers = [declaration_container_values(container) for container in declaration.containers.all()]
    header = declaration_header(declaration)  # reads the declaration's ports, which the check then reuses
    tables = ReferenceTables(
        header,
        items,
        known_ports=[declaration.origin_port, declaration.transfer_port, declaration.foreign_port],
        known_hs_codes=[item.hs_code for item in stored_items if DeclarationItem.hs_code.is_cached(item)],
        # Stored foreign keys: the database guarantees these countries and the currency exist.
        stored_countries={declaration.consignee_country_id, *(item.origin_country_id for item in stored_items)},
        stored_currencies={declaration.invoice_currency_id},
    )
    errors = declaration_errors(header, items, containers, complete=True, tables=tables)
    if declaration.procedure == Procedure.INTEGRATED and not containers:
        errors.setdefault("containers", []).append(_("An integrated declaration lists its containers."))
    return errors


def _raise_if_incomplete(declaration: Declaration) -> None:
    if errors := declaration_submit_errors(declaration):
        raise ValidationError(errors)


@transaction.atomic
def declaration_lane_set(*, declaration_id: int, lane: str, reason: str = "") -> Declaration:
    """Re-verification changed the lane of a declaration already under review: record it like a transition."""
    declaration = _locked(declaration_id)
    if declaration.lane == lane:
        return declaration
    declaration.lane = lane
    _record(declaration, "lane", None, reason)
    return declaration
