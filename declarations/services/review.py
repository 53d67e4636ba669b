"""Holds: the other port of an integrated declaration's pair blocks its release until it lifts the hold.

The port of clearance (``workflow.clearance_port``) decides; officers of the other port of
the pair see the declaration read-only and may place a hold with a reason. While any hold
is active, release is refused (``workflow.declaration_decide`` and the system's automatic
release check :func:`active_hold_for_release`). One active hold per port is enforced by the
database (``one_active_hold_per_port``).
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles
from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.services import ledger_append
from portal.models import Port, User
from portal.services import notification_send

from ..choices import AWAITING_DECISION, Procedure, Status
from ..models import Declaration, Hold

# A hold matters only while a release can still come.
HOLDABLE = (*AWAITING_DECISION, Status.INSPECTION_REQUIRED, Status.AMENDMENT_REQUESTED)
HOLD_PUBLIC_FIELDS = ["declaration", "port", "placed_at", "lifted_at"]


def hold_port_for(declaration: Declaration) -> Port | None:
    """The port of the pair that is not the port of clearance (None for a standard declaration)."""
    from .workflow import clearance_port

    if declaration.procedure != Procedure.INTEGRATED or not declaration.transfer_port_id:
        return None
    clearance = clearance_port(declaration)
    for port in (declaration.origin_port, declaration.transfer_port):
        if port is not None and (clearance is None or port.pk != clearance.pk):
            return port
    return None


def active_hold_for_release(declaration: Declaration) -> Hold | None:
    """The oldest active hold on the declaration, if any (callers hold the declaration's row lock)."""
    return (
        Hold.objects.filter(declaration_id=declaration.pk, lifted_at__isnull=True)
        .select_related("port")
        .order_by("placed_at", "id")
        .first()
    )


def hold_release_refusal(hold: Hold, declaration: Declaration) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _(
            "Declaration %(reference)s is held by %(port)s customs (“%(reason)s”); it cannot be released "
            "until that hold is lifted."
        )
        % {"reference": declaration, "port": hold.port, "reason": hold.reason}
    )


def _locked_declaration(declaration_id: int) -> Declaration:
    # Lock: a hold and a release (or two holds) on one declaration must be serialised, so the
    # release sees the hold and the second hold sees the first.
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("origin_port", "transfer_port")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None:
        raise TransitionNotAllowed(_("This declaration no longer exists."))
    return declaration


def _hold_facts(hold: Hold, declaration: Declaration) -> dict:
    return {
        "declaration": declaration.reference or declaration.ledger_subject,
        "declaration_subject": declaration.ledger_subject,
        "port": hold.port.locode,
        "placed_at": hold.placed_at,
        "placed_by": hold.placed_by.username,
        "reason": hold.reason,
        "lifted_at": hold.lifted_at,
        "lifted_by": hold.lifted_by.username if hold.lifted_by_id else None,
        "lift_note": hold.lift_note,
    }


def _notify(declaration: Declaration, actor: User, subject: str, body: str) -> None:
    """The clearance port's customs staff and the declarant's people, never the actor."""
    from .workflow import clearance_port

    clearance = clearance_port(declaration)
    officers = (
        User.objects.filter(is_active=True, role__in=roles.CUSTOMS_ROLES, ports_served=clearance).distinct()
        if clearance
        else User.objects.none()
    )
    traders = User.objects.filter(organisation_id=declaration.declarant_id, is_active=True, role=Role.TRADER_STAFF)
    recipients = {user.pk: user for user in [*officers, *traders] if user.pk != actor.pk}
    notification_send(
        recipients=list(recipients.values()),
        subject=subject,
        body=body,
        link=reverse("declarations:detail", args=[declaration.pk]),
    )


def _ledger(kind: str, hold: Hold, declaration: Declaration) -> None:
    # Its own subject: the declaration's subject must end with the declaration's public summary,
    # which the public verification page compares with the stored record.
    ledger_append(
        kind=kind,
        subject=f"declarations.Hold:{hold.pk}",
        payload=_hold_facts(hold, declaration),
        public_fields=HOLD_PUBLIC_FIELDS,
    )


@transaction.atomic
def hold_place(*, actor: User, declaration_id: int, reason: str) -> Hold:
    """An officer of the other port of an integrated declaration's pair holds it, blocking release.

    Requires customs staff serving that other port and not the port of clearance (who decide
    instead), a reason, a declaration that can still be released, and no active hold of the
    same port. Writes the hold (with history), a ``declaration.hold`` ledger event and
    notifications to the clearance port's officers and the trader (e-mail on commit).
    """
    from .workflow import clearance_port

    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the declaration is held; the port of clearance and the trader read it."), field="reason"
        )
    if len(reason) > Hold._meta.get_field("reason").max_length:
        raise DomainError(_("Keep the reason under 500 characters."), field="reason")
    declaration = _locked_declaration(declaration_id)
    port = hold_port_for(declaration)
    clearance = clearance_port(declaration)
    if (
        not roles.is_customs(actor)
        or port is None
        or not roles.serves_port(actor, port)
        or (clearance is not None and roles.serves_port(actor, clearance))
    ):
        raise TransitionNotAllowed(
            _(
                "Only customs staff of the other port of an integrated declaration's pair can hold it; "
                "the port of clearance decides instead."
            )
        )
    if declaration.status not in HOLDABLE:
        raise TransitionNotAllowed(
            _("Declaration %(reference)s is now “%(status)s”, so it can no longer be held; reload to see what changed.")
            % {"reference": declaration, "status": declaration.get_status_display()}
        )
    existing = Hold.objects.filter(declaration=declaration, port=port, lifted_at__isnull=True).first()
    if existing is not None:
        raise _already_held(declaration, port)
    hold = Hold(declaration=declaration, port=port, reason=reason, placed_by=actor, placed_at=timezone.now())
    hold._history_user = actor
    hold.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():  # savepoint: the race's loser keeps a usable transaction
            hold.save()
    except IntegrityError:
        raise _already_held(declaration, port) from None
    _ledger("declaration.hold", hold, declaration)
    _notify(
        declaration,
        actor,
        _("%(reference)s held by %(port)s customs") % {"reference": declaration, "port": port.locode},
        reason,
    )
    return hold


def _already_held(declaration: Declaration, port: Port) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("%(port)s customs already holds declaration %(reference)s; reload to see the hold.")
        % {"port": port.locode, "reference": declaration}
    )


@transaction.atomic
def hold_lift(*, actor: User, hold_id: int, note: str = "") -> Hold:
    """Lift an active hold: customs staff (officer or supervisor) serving the port that placed it.

    Writes the lift (with history), a ``declaration.hold_lift`` ledger event and notifications
    to the clearance port's officers and the trader.
    """
    declaration_id = Hold.objects.filter(pk=hold_id).values_list("declaration_id", flat=True).first()
    if declaration_id is None:
        raise TransitionNotAllowed(_("This hold no longer exists."))
    declaration = _locked_declaration(declaration_id)
    # Lock order declaration → hold, as in hold_place, so the two never deadlock.
    hold = Hold.objects.select_for_update(of=("self",)).select_related("port", "placed_by").get(pk=hold_id)
    if not roles.is_customs(actor) or not roles.serves_port(actor, hold.port):
        raise TransitionNotAllowed(_("Only customs staff of %(port)s can lift its hold.") % {"port": hold.port.locode})
    if hold.lifted_at is not None:
        raise TransitionNotAllowed(_("This hold was already lifted; reload to see what changed."))
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    hold.lift_note = (note or "").strip()[:500]
    hold._history_user = actor
    hold.save()
    _ledger("declaration.hold_lift", hold, declaration)
    _notify(
        declaration,
        actor,
        _("%(port)s customs lifted its hold on %(reference)s") % {"reference": declaration, "port": hold.port.locode},
        hold.lift_note,
    )
    return hold
