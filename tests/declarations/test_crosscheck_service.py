"""Verification of one declaration through the service: warnings stored, lanes set, results replaced."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from declarations.choices import Lane, Status
from declarations.models import (
    Declaration,
    ManifestLine,
    PortRiskSettings,
    VerificationRequest,
    VerificationRun,
    VerificationWarning,
)
from declarations.services import declaration_amend, declaration_decide, declaration_submit
from declarations.services.crosscheck import (
    declaration_verify,
    declarations_verify_batch,
    verification_request,
    verification_sweep,
)
from portal.ledger.models import LedgerEntry
from portal.models import Notification, Port
from tests import factories
from tests.declarations import evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_port():
    """Shunde without random selection, so a clean declaration is green."""
    return PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))


@pytest.fixture
def submitted(trader, draft):
    return declaration_submit(actor=trader, declaration_id=draft.pk)


def codes(declaration) -> list[str]:
    return sorted(declaration.warnings.values_list("code", flat=True))


def test_without_a_manifest_the_declaration_goes_red_under_review(submitted, quiet_port):
    run = declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert "MANIFEST_MISSING" in codes(submitted)
    assert submitted.status == Status.UNDER_REVIEW
    assert submitted.lane == run.lane == Lane.RED
    assert LedgerEntry.objects.filter(subject=submitted.ledger_subject, kind="declaration.start_review").exists()


def test_matching_evidence_turns_it_green_and_replaces_the_earlier_result(submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    evidence.manifest_for(submitted)
    run = declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert codes(submitted) == []
    assert submitted.lane == Lane.GREEN
    assert run.runs == 2
    assert VerificationRun.objects.filter(declaration=submitted).count() == 1
    assert LedgerEntry.objects.filter(subject=submitted.ledger_subject, kind="declaration.lane").exists()


def test_a_rerun_never_duplicates_warnings(submitted, quiet_port):
    evidence.manifest_for(submitted, gross_mass=submitted.total_gross_mass * Decimal("1.2"))
    for _ in range(3):
        declaration_verify(declaration_id=submitted.pk)
    assert codes(submitted) == ["GROSS_MASS_MISMATCH"]


def stored_warnings(declaration) -> dict[str, tuple]:
    return {w.code: (w.pk, w.message, w.raised_at) for w in VerificationWarning.objects.filter(declaration=declaration)}


@pytest.mark.parametrize("verify", ["one by one", "batch"])
def test_a_warning_found_again_keeps_its_row_and_when_it_was_first_raised(submitted, quiet_port, verify):
    def run():
        if verify == "batch":
            declarations_verify_batch(declaration_ids=[submitted.pk])
        else:
            declaration_verify(declaration_id=submitted.pk)

    line = evidence.manifest_for(
        submitted, gross_mass=submitted.total_gross_mass * Decimal("1.2"), consignee="Someone Else Entirely Ltd"
    )
    run()
    first = stored_warnings(submitted)
    assert set(first) == {"GROSS_MASS_MISMATCH", "CONSIGNEE_MISMATCH"}

    run()  # nothing changed: the same rows
    assert stored_warnings(submitted) == first

    ManifestLine.objects.filter(pk=line.pk).update(
        gross_mass=submitted.total_gross_mass * Decimal("1.3"), consignee_name=submitted.consignee_name
    )
    run()  # the mass differs by another amount; the consignee now matches
    now = stored_warnings(submitted)
    assert set(now) == {"GROSS_MASS_MISMATCH"}
    pk, message, raised_at = now["GROSS_MASS_MISMATCH"]
    assert message != first["GROSS_MASS_MISMATCH"][1]
    assert raised_at == first["GROSS_MASS_MISMATCH"][2]  # the same concern, raised when first found


def test_an_amended_version_gets_its_own_result(trader, submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=officer, declaration_id=submitted.pk, action="request_amendment", message="Fix it")
    declaration_amend(actor=trader, declaration_id=submitted.pk)
    declaration_verify(declaration_id=submitted.pk)
    assert sorted(VerificationRun.objects.filter(declaration=submitted).values_list("version", flat=True)) == [1, 2]
    submitted.refresh_from_db()
    assert submitted.status == Status.UNDER_REVIEW


def test_loaded_before_release_alerts_the_officers_of_both_ports_once(submitted, quiet_port):
    shunde = factories.customs_officer(ports=("CNSUD",))
    shekou = factories.customs_officer(ports=("CNSHK",))
    elsewhere = factories.customs_officer(ports=("CNNSA",))
    evidence.manifest_for(submitted)
    container = submitted.containers.first().number
    evidence.event(container, "loaded", "CNSUD")
    declaration_verify(declaration_id=submitted.pk)
    declaration_verify(declaration_id=submitted.pk)
    assert "LOADED_BEFORE_RELEASE" in codes(submitted)
    for officer, expected in ((shunde, 1), (shekou, 1), (elsewhere, 0)):
        assert (
            Notification.objects.filter(recipient=officer, subject__startswith="LOADED_BEFORE_RELEASE").count()
            == expected
        )


def test_green_is_released_automatically_only_where_enabled(submitted, quiet_port):
    evidence.manifest_for(submitted)
    quiet_port.auto_release_green = True
    quiet_port.save()
    declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert submitted.status == Status.RELEASED


def test_drafts_and_cancelled_declarations_are_not_verified(draft):
    assert declaration_verify(declaration_id=draft.pk) is None
    assert not VerificationRun.objects.exists()


def test_requests_coalesce_into_one_queue_entry(submitted):
    for _ in range(500):
        verification_request([submitted.pk])
    assert VerificationRequest.objects.filter(declaration=submitted).count() == 1


def test_a_run_finishes_its_queue_entry_unless_evidence_arrived_meanwhile(submitted, quiet_port):
    assert VerificationRequest.objects.filter(declaration=submitted).exists()  # queued by the submit
    declaration_verify(declaration_id=submitted.pk)
    assert not VerificationRequest.objects.filter(declaration=submitted).exists()
    # A request made after the run started keeps the entry for one more run.
    VerificationRequest.objects.create(declaration=submitted, requested_at=timezone.now() + timedelta(seconds=5))
    declaration_verify(declaration_id=submitted.pk)
    assert VerificationRequest.objects.filter(declaration=submitted).exists()


def test_the_sweep_resends_what_was_never_verified(submitted):
    long_ago = timezone.now() - timedelta(minutes=5)
    Declaration.objects.filter(pk=submitted.pk).update(updated_at=long_ago)
    VerificationRequest.objects.filter(declaration=submitted).update(requested_at=long_ago, queued_at=long_ago)
    assert verification_sweep() == 1
    declaration_verify(declaration_id=submitted.pk)
    assert verification_sweep() == 0


def test_a_fresh_submission_is_left_alone_by_the_sweep(submitted):
    assert verification_sweep() == 0


def test_the_detail_page_shows_current_warnings_and_polls_while_open(client, trader, submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    client.force_login(trader)
    html = client.get(f"/declarations/{submitted.pk}/").content.decode()
    assert 'data-code="MANIFEST_MISSING"' in html
    assert f'hx-get="/declarations/{submitted.pk}/verification/"' in html
    fragment = client.get(f"/declarations/{submitted.pk}/verification/")
    assert fragment.status_code == 200 and 'data-code="MANIFEST_MISSING"' in fragment.content.decode()


def test_polling_stops_once_the_declaration_is_closed(client, trader, submitted):
    from declarations.services import declaration_cancel

    declaration_cancel(actor=trader, declaration_id=submitted.pk)
    client.force_login(trader)
    assert client.get(f"/declarations/{submitted.pk}/verification/").status_code == 286
    page = client.get(f"/declarations/{submitted.pk}/").content.decode()
    assert "hx-get" not in page.split('id="verification"')[1][:300]


def test_another_organisation_cannot_poll_the_verification(client, submitted):
    client.force_login(factories.trader())
    assert client.get(f"/declarations/{submitted.pk}/verification/").status_code == 404


def test_officer_queue_orders_red_first_and_counts_current_warnings(
    client, trader, quiet_port, django_assert_max_num_queries
):
    from declarations.services import declaration_create_draft

    clean = declaration_submit(
        actor=trader, declaration_id=declaration_create_draft(actor=trader, **factories.declaration_input()).pk
    )
    evidence.manifest_for(clean)
    risky = declaration_submit(
        actor=trader,
        declaration_id=declaration_create_draft(
            actor=trader, **factories.declaration_input(transport_document_number="NOMANIFEST1")
        ).pk,
    )
    declaration_verify(declaration_id=clean.pk)
    declaration_verify(declaration_id=risky.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        html = client.get("/declarations/queue/").content.decode()
    assert html.index(risky.reference) < html.index(clean.reference)
    assert 'hx-trigger="every 5s"' in html
    assert "Red 1" in html and "Green 1" in html
    elsewhere = factories.customs_officer(ports=("CNNSA",))
    client.force_login(elsewhere)
    assert risky.reference not in client.get("/declarations/queue/").content.decode()
    client.force_login(trader)
    assert client.get("/declarations/queue/").status_code == 403


def test_a_released_declaration_departs_when_every_container_has_departed(submitted, quiet_port):
    evidence.manifest_for(submitted)
    declaration_verify(declaration_id=submitted.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=officer, declaration_id=submitted.pk, action="release")
    first, second = submitted.containers.values_list("number", flat=True)
    evidence.event(first, "departed", "CNSUD", minutes_ago=-1)
    declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert submitted.status == Status.RELEASED  # one container is still here
    evidence.event(second, "departed", "CNSUD", minutes_ago=-1)
    declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert submitted.status == Status.DEPARTED
    assert LedgerEntry.objects.filter(subject=submitted.ledger_subject, kind="declaration.depart").exists()


def test_departures_before_release_do_not_close_it(submitted, quiet_port):
    evidence.manifest_for(submitted)
    for number in submitted.containers.values_list("number", flat=True):
        evidence.event(number, "departed", "CNSUD", minutes_ago=30)
    declaration_verify(declaration_id=submitted.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=officer, declaration_id=submitted.pk, action="release")
    declaration_verify(declaration_id=submitted.pk)
    submitted.refresh_from_db()
    assert submitted.status == Status.RELEASED


# --- the current warning codes stored on the declaration (the officers' queue filters on them) -------------------


def stored_codes(declaration) -> str:
    declaration.refresh_from_db()
    return declaration.current_warning_codes


def test_a_run_stores_its_warning_codes_on_the_declaration(submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    assert stored_codes(submitted) == " MANIFEST_MISSING "


def test_the_stored_codes_follow_the_warnings_when_evidence_changes(submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    evidence.manifest_for(submitted, gross_mass=submitted.total_gross_mass * Decimal("1.2"))
    declaration_verify(declaration_id=submitted.pk)
    assert stored_codes(submitted) == " GROSS_MASS_MISMATCH "
    submitted.items.update(gross_mass=submitted.total_gross_mass * Decimal("1.2"))
    Declaration.objects.filter(pk=submitted.pk).update(total_gross_mass=submitted.total_gross_mass * Decimal("1.2"))
    declaration_verify(declaration_id=submitted.pk)
    assert codes(submitted) == [] and stored_codes(submitted) == ""


def test_an_amendment_empties_the_stored_codes_until_the_new_version_is_verified(trader, submitted, quiet_port):
    declaration_verify(declaration_id=submitted.pk)
    officer = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=officer, declaration_id=submitted.pk, action="request_amendment", message="Fix it")
    declaration_amend(actor=trader, declaration_id=submitted.pk)
    assert stored_codes(submitted) == ""
    declaration_verify(declaration_id=submitted.pk)
    assert stored_codes(submitted) == " MANIFEST_MISSING "


def test_the_stored_codes_are_each_code_once_sorted_between_spaces():
    from declarations.models.declaration import warning_codes_text

    assert warning_codes_text(["SEAL_BROKEN", "GROSS_MASS_MISMATCH", "SEAL_BROKEN"]) == (
        " GROSS_MASS_MISMATCH SEAL_BROKEN "
    )
    assert warning_codes_text([]) == ""


def test_the_batch_path_closes_departed_declarations_like_the_one_by_one_path(submitted, quiet_port):
    from declarations.services.crosscheck import declarations_verify_batch

    evidence.manifest_for(submitted)
    declaration_verify(declaration_id=submitted.pk)
    declaration_decide(actor=factories.customs_officer(ports=("CNSUD",)), declaration_id=submitted.pk, action="release")
    for number in submitted.containers.values_list("number", flat=True):
        evidence.event(number, "departed", "CNSUD", minutes_ago=-1)
    declarations_verify_batch(declaration_ids=[submitted.pk])
    submitted.refresh_from_db()
    assert submitted.status == Status.DEPARTED
