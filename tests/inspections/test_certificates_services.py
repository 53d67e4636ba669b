"""Issuing and revoking certificates: who may, when, numbers, ledger and notifications."""

import pytest
from django.db import connection

from declarations.choices import Action
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from inspections.certificates.services import certificate_issue, certificate_revoke
from inspections.certificates.summary import certificate_public_summary
from inspections.choices import CertificateStatus
from inspections.models import Certificate
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.canonical import canonical_text
from portal.ledger.models import LedgerEntry
from portal.ledger.registry import find_record
from portal.models import Notification
from tests import factories
from tests.declarations.test_workflow import race

from .certificate_support import ACTORS, MAY_ISSUE, issued_certificate, released_declaration, tasks_run_in_process


@pytest.fixture
def renders_in_process(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tasks_run_in_process():
        yield


@pytest.fixture
def declaration(db):
    return released_declaration(items=3)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_only_officers_of_the_route_ports_may_issue(declaration, who):
    actor = ACTORS[who](declaration)

    def issue():
        return certificate_issue(
            actor=actor,
            declaration_id=declaration.pk,
            kind="health",  # noqa: E731
            item_ids=[declaration.items.first().pk],
        )

    if who in MAY_ISSUE:
        assert issue().status == CertificateStatus.VALID
    else:
        with pytest.raises(TransitionNotAllowed):
            issue()
        assert not Certificate.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_only_officers_of_the_route_ports_may_revoke(declaration, who):
    certificate = issued_certificate(declaration)
    actor = ACTORS[who](declaration)
    if who in MAY_ISSUE:
        assert certificate_revoke(actor=actor, certificate_id=certificate.pk, reason="Wrong consignee").status == (
            CertificateStatus.REVOKED
        )
    else:
        with pytest.raises(TransitionNotAllowed):
            certificate_revoke(actor=actor, certificate_id=certificate.pk, reason="Wrong consignee")
        certificate.refresh_from_db()
        assert certificate.status == CertificateStatus.VALID


@pytest.mark.django_db
def test_a_declaration_not_yet_inspected_or_released_gets_no_certificate():
    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input(items=1))
    declaration_submit(actor=trader, declaration_id=draft.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    with pytest.raises(TransitionNotAllowed, match="inspected or released"):
        certificate_issue(actor=officer, declaration_id=draft.pk, kind="quality", item_ids=[draft.items.first().pk])
    declaration_decide(actor=officer, declaration_id=draft.pk, action=Action.REJECT, message="Undervalued")
    with pytest.raises(TransitionNotAllowed):
        certificate_issue(actor=officer, declaration_id=draft.pk, kind="quality", item_ids=[draft.items.first().pk])


@pytest.mark.django_db
def test_items_must_belong_to_the_declaration_and_at_least_one_is_needed(declaration):
    other = released_declaration(items=1)
    officer = factories.customs_officer(ports=("CNSUD",))
    with pytest.raises(DomainError, match="belong") as error:
        certificate_issue(
            actor=officer,
            declaration_id=declaration.pk,
            kind="health",
            item_ids=[declaration.items.first().pk, other.items.first().pk],
        )
    assert error.value.field == "item_ids"
    with pytest.raises(DomainError, match="at least one"):
        certificate_issue(actor=officer, declaration_id=declaration.pk, kind="health", item_ids=[])
    with pytest.raises(DomainError):
        certificate_issue(
            actor=officer, declaration_id=declaration.pk, kind="beauty", item_ids=[declaration.items.first().pk]
        )
    assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_a_certificate_covers_some_items_and_numbers_follow_each_other(declaration):
    first_two = list(declaration.items.order_by("line_number"))[:2]
    first = issued_certificate(declaration, items=first_two)
    second = issued_certificate(declaration, kind="origin")
    assert sorted(item.line_number for item in first.items.all()) == [1, 2]
    assert second.items.count() == 3
    year = first.issued_at.year
    assert first.number.startswith(f"CERT-{year}-")
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1


@pytest.mark.django_db
def test_issue_records_the_public_summary_in_the_ledger_and_notifies_the_trader(declaration):
    trader = factories.UserFactory(role="trader_staff", organisation=declaration.declarant)
    certificate = issued_certificate(declaration)
    entry = LedgerEntry.objects.get(subject=certificate.ledger_subject)
    assert entry.kind == "certificate.issue"
    stored = Certificate.objects.get(pk=certificate.pk)
    assert entry.payload == canonical_text(certificate_public_summary(stored))
    assert "number" in entry.public_fields and "remarks" not in entry.public_fields
    assert Notification.objects.filter(recipient=trader, subject__contains=certificate.number).exists()
    record = find_record(certificate.number)
    assert record.subject == certificate.ledger_subject
    assert canonical_text(record.payload) == entry.payload


@pytest.mark.django_db
def test_revocation_needs_a_reason_and_happens_once(declaration):
    certificate = issued_certificate(declaration)
    officer = factories.customs_officer(ports=("CNSHK",))
    with pytest.raises(DomainError, match="why"):
        certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="  ")
    revoked = certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="Goods re-packed")
    assert revoked.revoked_by == officer and revoked.revocation_reason == "Goods re-packed"
    entries = list(LedgerEntry.objects.filter(subject=certificate.ledger_subject).order_by("seq"))
    assert [entry.kind for entry in entries] == ["certificate.issue", "certificate.revoke"]
    assert entries[-1].payload == canonical_text(certificate_public_summary(Certificate.objects.get(pk=certificate.pk)))
    with pytest.raises(TransitionNotAllowed, match="already revoked"):
        certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="Again")


@pytest.mark.django_db
def test_a_changed_certificate_no_longer_matches_its_ledger_entry(declaration):
    certificate = issued_certificate(declaration)
    Certificate.objects.filter(pk=certificate.pk).update(remarks="Quietly edited")
    entry = LedgerEntry.objects.get(subject=certificate.ledger_subject)
    assert canonical_text(find_record(certificate.number).payload) != entry.payload


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_take_distinct_consecutive_numbers(renders_in_process):
    assert connection.vendor == "postgresql"
    declaration = released_declaration(items=1)
    officers = [factories.customs_officer(ports=("CNSUD",)) for _ in range(6)]
    item_ids = [declaration.items.first().pk]
    results = race(
        *[
            (
                lambda officer=officer: certificate_issue(
                    actor=officer, declaration_id=declaration.pk, kind="health", item_ids=item_ids
                )
            )
            for officer in officers
        ]
    )
    assert all(isinstance(result, Certificate) for result in results), results
    numbers = sorted(int(result.number.rsplit("-", 1)[1]) for result in results)
    assert numbers == list(range(numbers[0], numbers[0] + 6))
    assert Certificate.objects.count() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_revocations_end_with_one_winner(renders_in_process):
    declaration = released_declaration(items=1)
    certificate = issued_certificate(declaration)
    officers = [factories.customs_officer(ports=("CNSUD",)) for _ in range(2)]
    results = race(
        *[
            (lambda officer=officer: certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="Error"))
            for officer in officers
        ]
    )
    assert sum(isinstance(result, Certificate) for result in results) == 1, results
    assert sum(isinstance(result, TransitionNotAllowed) for result in results) == 1, results
    assert LedgerEntry.objects.filter(subject=certificate.ledger_subject, kind="certificate.revoke").count() == 1
