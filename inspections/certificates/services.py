"""Issuing and revoking certificates, and rendering their PDF (STYLE.md, "A transition").

Inside one transaction: lock the row (or the number sequence), check the locked state and
the actor, change the fields, save (history records the actor), append the certificate's
public summary to the ledger, notify the trader, and schedule the PDF rendering on commit.
A forbidden or stale action raises ``TransitionNotAllowed``; bad input ``DomainError``.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.choices import Status
from declarations.models import Declaration
from portal import roles
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.services import ledger_append
from portal.models import User
from portal.services import notification_send

from ..choices import CertificateKind, CertificateStatus
from ..models import Certificate, CertificateSequence
from .summary import PUBLIC_SUMMARY_FIELDS, certificate_public_summary
from .verification import PREFIX

# Goods are certified once customs has seen them: after the inspection, after release, and
# after the barge left (the certificate travels with the goods). Not before (nothing was
# checked yet), and not for rejected or cancelled declarations.
CERTIFIABLE = (Status.INSPECTED, Status.RELEASED, Status.DEPARTED)


def certificate_ports(declaration: Declaration) -> list[int]:
    """The ports whose officers may issue and revoke: the port of clearance and the transfer port."""
    return [port_id for port_id in (declaration.origin_port_id, declaration.transfer_port_id) if port_id]


def certificate_may_issue(actor: User, declaration: Declaration) -> bool:
    """True when ``actor`` is customs staff serving the declaration's clearance or transfer port."""
    return roles.is_customs(actor) and actor.ports_served.filter(pk__in=certificate_ports(declaration)).exists()


def _allocate_number() -> str:
    """Next number of the year, e.g. CERT-2026-000042 (gap-free per year)."""
    year = timezone.localtime(timezone.now()).year
    CertificateSequence.objects.bulk_create([CertificateSequence(year=year)], ignore_conflicts=True)
    # Lock the year's counter: two officers issuing at once must not take the same number.
    sequence = CertificateSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{PREFIX}-{year}-{sequence.last_number:06d}"


def _record(certificate: Certificate, kind: str, actor: User, subject: str, body: str = "") -> None:
    """Ledger entry, trader notification and PDF rendering for a change that has just been saved."""
    # The payload is exactly the public summary, so the verification page can recompute and compare it.
    ledger_append(
        kind=kind,
        subject=certificate.ledger_subject,
        payload=certificate_public_summary(certificate),
        public_fields=PUBLIC_SUMMARY_FIELDS,
    )
    declaration = certificate.declaration
    traders = User.objects.filter(organisation_id=declaration.declarant_id, is_active=True)
    notification_send(
        recipients=traders,
        subject=subject,
        body=body,
        link=reverse("declarations:detail", args=[declaration.pk]) + "#certificates",
    )
    certificate_id = certificate.pk
    # After commit: the worker must find the committed certificate, and a rollback renders nothing.
    transaction.on_commit(lambda: _queue_render(certificate_id))


def _queue_render(certificate_id: int) -> None:
    from .tasks import certificate_pdf_render as task

    task.delay(certificate_id)


@transaction.atomic
def certificate_issue(
    *, actor: User, declaration_id: int, kind: str, item_ids: list[int], remarks: str = ""
) -> Certificate:
    """Issue a certificate of ``kind`` for some or all items of a declaration.

    Requires a customs officer or supervisor serving the declaration's port of clearance or
    transfer port, a declaration that is inspected, released or departed, and at least one
    item, all of the declaration. Takes the next number under a lock, records
    ``certificate.issue`` in the ledger, notifies the trader and schedules the PDF on commit.
    """
    if kind not in CertificateKind.values:
        raise DomainError(_("Choose the kind of certificate."), field="kind")
    item_ids = sorted({int(item_id) for item_id in item_ids})
    if not item_ids:
        raise DomainError(_("Choose at least one item the certificate covers."), field="item_ids")
    # Lock: the declaration's status must not change (e.g. to rejected) while it is certified.
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("declarant", "origin_port")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None or not certificate_may_issue(actor, declaration):
        raise TransitionNotAllowed(
            _("Only officers of the declaration's port of clearance or transfer port can issue its certificates.")
        )
    if declaration.status not in CERTIFIABLE:
        raise TransitionNotAllowed(
            _(
                "Declaration %(reference)s is “%(status)s”; certificates are issued once the goods are inspected "
                "or released."
            )
            % {"reference": declaration, "status": declaration.get_status_display()}
        )
    items = list(declaration.items.filter(pk__in=item_ids))
    if len(items) != len(item_ids):
        raise DomainError(
            _("Every item must belong to declaration %(reference)s.") % {"reference": declaration}, field="item_ids"
        )
    certificate = Certificate(
        number=_allocate_number(),
        kind=kind,
        declaration=declaration,
        issued_by=actor,
        issued_at=timezone.now(),
        remarks=remarks.strip(),
    )
    certificate._history_user = actor
    certificate.full_clean()
    certificate.save()
    certificate.items.set(items)
    _record(
        certificate,
        "certificate.issue",
        actor,
        subject=_("%(number)s issued for %(reference)s") % {"number": certificate.number, "reference": declaration},
        body=certificate.get_kind_display(),
    )
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: User, certificate_id: int, reason: str) -> Certificate:
    """Revoke a valid certificate with a reason anyone verifying it will read.

    Requires customs staff serving the declaration's clearance or transfer port and a
    reason. Locks the certificate, records ``certificate.revoke`` in the ledger, notifies the
    trader and re-renders the PDF (marked REVOKED) on commit.
    """
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the certificate is revoked."), field="reason")
    # Lock: two officers revoking at once must not both revoke (the second sees “revoked”).
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("declaration__declarant", "declaration__origin_port", "issued_by")
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None or not certificate_may_issue(actor, certificate.declaration):
        raise TransitionNotAllowed(
            _("Only officers of the declaration's port of clearance or transfer port can revoke its certificates.")
        )
    if certificate.status != CertificateStatus.VALID:
        raise TransitionNotAllowed(_("Certificate %(number)s is already revoked.") % {"number": certificate.number})
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_by = actor
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = reason[:500]
    certificate._history_user = actor
    certificate._change_reason = "revoke"
    certificate.full_clean()
    certificate.save()
    _record(
        certificate,
        "certificate.revoke",
        actor,
        subject=_("%(number)s revoked") % {"number": certificate.number},
        body=reason,
    )
    return certificate


@transaction.atomic
def certificate_pdf_render(*, certificate_id: int) -> Certificate | None:
    """Render the certificate's PDF as it is now and store it with its SHA-256 and time.

    Safe to run twice: it replaces its own previous file. Holds the certificate's lock while
    rendering, so a revocation in the meantime is either in this PDF or renders it again.
    """
    from .pdf import certificate_pdf_bytes

    # Lock: a revocation must not slip between reading the status and storing the PDF.
    certificate = Certificate.objects.select_for_update(of=("self",)).filter(pk=certificate_id).first()
    if certificate is None:
        return None
    content = certificate_pdf_bytes(certificate)
    previous = certificate.pdf.name
    certificate.pdf.save(f"{certificate.number}.pdf", ContentFile(content), save=False)
    certificate.pdf_sha256 = hashlib.sha256(content).hexdigest()
    certificate.pdf_rendered_at = timezone.now()
    certificate._change_reason = "pdf rendered"
    certificate.save(update_fields=["pdf", "pdf_sha256", "pdf_rendered_at"])
    if previous and previous != certificate.pdf.name:
        storage = certificate.pdf.storage
        # After commit: a rolled-back render must leave the previous file in place.
        transaction.on_commit(lambda: storage.delete(previous))
    return certificate
