"""The officer queue: order, filters and search, counts per lane, keyset pages that survive new
arrivals, constant queries, assignment and take-over, bulk release, and who sees what — on the
page, its polled list and the API."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from declarations.choices import Action, Lane, Status
from declarations.models import Assignment, Declaration
from declarations.officer_queue import QueueFilters, declaration_queue_page
from declarations.services import (
    declaration_amend,
    declaration_create_draft,
    declaration_decide,
    declaration_submit,
    declaration_system_transition,
)
from declarations.services.assignment import declaration_assign, declaration_release_many
from declarations.services.crosscheck import declaration_verify
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.models import Notification, Port
from tests import factories
from tests.declarations import evidence

pytestmark = pytest.mark.django_db

PAGE = "/declarations/officer-queue/"
LIST = "/declarations/officer-queue/list/"
RELEASE = "/declarations/officer-queue/release/"
API = "/api/v1/declarations/queue"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def officer():
    return factories.customs_officer(ports=("CNSUD",), first_name="Chen", last_name="Jing")


@pytest.fixture
def quiet_port():
    """Shunde without random selection, so a declaration with clean evidence is green."""
    from declarations.models import PortRiskSettings

    return PortRiskSettings.objects.create(port=Port.objects.get(locode="CNSUD"), random_selection_percent=Decimal("0"))


def filed(
    trader,
    *,
    lane: str | None = None,
    document: str = "PRBL2026000123",
    hs_code: str = "",
    origin: str = "CNSUD",
    transfer: str | None = "CNSHK",
    containers: int = 1,
) -> Declaration:
    """A submitted declaration, put under review in ``lane`` when one is given (as verification does)."""
    data = factories.declaration_input(
        transport_document_number=document,
        origin_port=origin,
        transfer_port=transfer,
        containers=containers,
        procedure="integrated" if transfer else "standard",
    )
    if hs_code:
        data["items"][0].update(hs_code=hs_code, description="Cotton T-shirts", value=Decimal("200.00"))
    draft = declaration_create_draft(actor=trader, **data)
    declaration = declaration_submit(actor=trader, declaration_id=draft.pk)
    if lane:
        declaration = declaration_system_transition(
            declaration_id=declaration.pk, action=Action.START_REVIEW, lane=lane
        )
    return declaration


def submitted_on(declaration: Declaration, when: datetime) -> None:
    Declaration.objects.filter(pk=declaration.pk).update(submitted_at=when)


def references(page: dict) -> list[str]:
    return [row.reference for row in page["rows"]]


def html_references(html: str) -> list[str]:
    return re.findall(r'data-testid="queue-row" data-reference="([^"]+)"', html)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- order ------------------------------------------------------------------------------------------------------


def test_queue_is_red_yellow_green_then_not_verified_and_oldest_first_within_a_lane(client, trader, officer):
    green = filed(trader, lane=Lane.GREEN)
    red_old = filed(trader, lane=Lane.RED)
    unverified = filed(trader)
    yellow = filed(trader, lane=Lane.YELLOW)
    red_new = filed(trader, lane=Lane.RED)
    expected = [red_old.reference, red_new.reference, yellow.reference, green.reference, unverified.reference]

    assert references(declaration_queue_page(actor=officer)) == expected
    client.force_login(officer)
    assert html_references(client.get(PAGE).content.decode()) == expected
    assert [row["reference"] for row in api_for(officer).get(API).json()["results"]] == expected


def test_a_lane_change_moves_the_declaration_and_a_decision_removes_it(trader, officer):
    first = filed(trader, lane=Lane.GREEN)
    second = filed(trader, lane=Lane.GREEN)
    from declarations.services.workflow import declaration_lane_set

    declaration_lane_set(declaration_id=second.pk, lane=Lane.RED, reason="re-verified")
    assert references(declaration_queue_page(actor=officer)) == [second.reference, first.reference]
    declaration_decide(actor=officer, declaration_id=first.pk, action=Action.RELEASE)
    assert references(declaration_queue_page(actor=officer)) == [second.reference]
    assert Declaration.objects.get(pk=second.pk).queue_rank == 0


def test_the_stored_rank_cannot_drift_from_the_lane(trader):
    from django.db import IntegrityError, transaction

    declaration = filed(trader, lane=Lane.RED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Declaration.objects.filter(pk=declaration.pk).update(queue_rank=2)


# --- filters and search -----------------------------------------------------------------------------------------


def test_lane_filter_including_not_yet_verified(trader, officer):
    red = filed(trader, lane=Lane.RED)
    unverified = filed(trader)
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(lane="red"))) == [red.reference]
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(lane="none"))) == [
        unverified.reference
    ]


def test_status_filter(trader, officer):
    submitted = filed(trader)
    under_review = filed(trader, lane=Lane.YELLOW)
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(status=Status.SUBMITTED))) == [
        submitted.reference
    ]
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(status=Status.UNDER_REVIEW))) == [
        under_review.reference
    ]


def test_warning_filter_counts_only_the_current_versions_warnings(trader, officer, quiet_port):
    missing_manifest = filed(trader, document="NOMANIFEST1")
    clean = filed(trader, document="CLEANBL0001")
    evidence.manifest_for(clean)
    amended = filed(trader, document="NOMANIFEST2")
    for declaration in (missing_manifest, clean, amended):
        declaration_verify(declaration_id=declaration.pk)
    # The amended declaration's first version had the warning; its second version has a manifest.
    declaration_decide(
        actor=officer,
        declaration_id=amended.pk,
        action=Action.REQUEST_AMENDMENT,
        message="Give the right bill of lading",
    )
    evidence.manifest_for(amended)
    declaration_amend(actor=trader, declaration_id=amended.pk)
    declaration_verify(declaration_id=amended.pk)

    page = declaration_queue_page(actor=officer, filters=QueueFilters(warning_code="MANIFEST_MISSING"))
    assert references(page) == [missing_manifest.reference]
    assert "MANIFEST_MISSING" in page["rows"][0].warning_codes
    rows = {row.reference: row for row in declaration_queue_page(actor=officer)["rows"]}
    assert rows[amended.reference].warning_count == 0 and rows[amended.reference].warning_codes == []


def test_trader_filter(trader, officer):
    other_trader = factories.trader()
    mine = filed(trader)
    theirs = filed(other_trader)
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(trader=trader.organisation_id))) == [
        mine.reference
    ]
    assert references(
        declaration_queue_page(actor=officer, filters=QueueFilters(trader=other_trader.organisation_id))
    ) == [theirs.reference]


def test_hs_chapter_filter_matches_any_item(trader, officer):
    furniture = filed(trader)
    shirts = filed(trader, hs_code="610910")
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(hs_chapter="61"))) == [
        shirts.reference
    ]
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(hs_chapter="94"))) == [
        furniture.reference
    ]


def test_date_range_uses_whole_days_in_port_time(trader, officer):
    early = filed(trader)
    on_the_day = filed(trader)
    late_evening = filed(trader)
    submitted_on(early, datetime(2026, 3, 1, 23, 59, tzinfo=SHANGHAI))
    submitted_on(on_the_day, datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI))
    submitted_on(late_evening, datetime(2026, 3, 3, 23, 59, tzinfo=SHANGHAI))
    march_2_to_3 = QueueFilters(submitted_from=date(2026, 3, 2), submitted_to=date(2026, 3, 3))
    assert references(declaration_queue_page(actor=officer, filters=march_2_to_3)) == [
        on_the_day.reference,
        late_evening.reference,
    ]
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(submitted_to=date(2026, 3, 1)))) == [
        early.reference
    ]
    far = api_for(officer).get(API, {"submitted_from": "0001-01-01", "submitted_to": "9999-12-31"})
    assert far.status_code == 200 and len(far.json()["results"]) == 3


@pytest.mark.parametrize("how", ["reference", "reference in lower case", "container", "transport document"])
def test_search_by_reference_container_or_transport_document(trader, officer, how):
    wanted = filed(trader, document="FINDMEBL42", containers=2)
    filed(trader, document="OTHERBL0001", containers=1)
    term = {
        "reference": wanted.reference,
        "reference in lower case": wanted.reference.lower(),
        "container": "mskU 123456-5",
        "transport document": "findmebl42",
    }[how]
    assert references(declaration_queue_page(actor=officer, filters=QueueFilters(search=term))) == [wanted.reference]


def test_page_filters_come_from_the_query_string_and_the_poll_keeps_them(client, trader, officer):
    red = filed(trader, lane=Lane.RED)
    filed(trader, lane=Lane.GREEN)
    client.force_login(officer)
    html = client.get(PAGE, {"lane": "red", "hs_chapter": "94"}).content.decode()
    assert html_references(html) == [red.reference]
    assert 'hx-get="/declarations/officer-queue/list/?lane=red&amp;hs_chapter=94"' in html
    assert 'hx-trigger="every 5s"' in html
    assert html_references(client.get(LIST, {"lane": "red", "hs_chapter": "94"}).content.decode()) == [red.reference]


def test_a_bad_filter_is_shown_and_not_applied(client, trader, officer):
    declaration = filed(trader)
    client.force_login(officer)
    html = client.get(PAGE, {"hs_chapter": "9x"}).content.decode()
    assert "Enter the chapter as two digits" in html
    assert html_references(html) == [declaration.reference]
    response = api_for(officer).get(API, {"hs_chapter": "9x", "lane": "purple"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"hs_chapter", "lane"}


# --- counts per lane --------------------------------------------------------------------------------------------


def test_counts_per_lane_follow_the_other_filters(client, trader, officer):
    other_trader = factories.trader()
    filed(trader, lane=Lane.RED)
    filed(trader, lane=Lane.RED)
    filed(trader, lane=Lane.GREEN)
    filed(trader)
    filed(other_trader, lane=Lane.YELLOW)
    everyone = declaration_queue_page(actor=officer)["lane_counts"]
    assert everyone == {"red": 2, "yellow": 1, "green": 1, "none": 1}
    mine = declaration_queue_page(actor=officer, filters=QueueFilters(trader=trader.organisation_id, lane="red"))
    assert mine["lane_counts"] == {"red": 2, "yellow": 0, "green": 1, "none": 1}
    assert len(mine["rows"]) == 2
    body = api_for(officer).get(API, {"trader": other_trader.organisation_id}).json()
    assert body["lane_counts"] == {"red": 0, "yellow": 1, "green": 0, "none": 0}
    client.force_login(officer)
    html = client.get(PAGE).content.decode()
    assert re.search(r'data-lane="red">\s*Red 2<', html)


# --- pages ------------------------------------------------------------------------------------------------------


def test_pages_neither_repeat_nor_skip_rows_while_declarations_arrive(trader, officer):
    existing = [
        filed(trader, lane=lane)
        for lane in (Lane.GREEN, Lane.RED, None, Lane.YELLOW, Lane.RED, Lane.GREEN, None, Lane.YELLOW)
    ]
    # Same submission time for two of them: the id breaks the tie.
    tie = existing[0].submitted_at
    submitted_on(existing[5], tie)
    arrivals = iter([Lane.RED, Lane.GREEN, None, Lane.YELLOW, Lane.RED, None])
    seen, cursor = [], ""
    while True:
        page = declaration_queue_page(actor=officer, after=cursor, size=3)
        seen += references(page)
        for _ in range(2):  # new declarations arrive between two page requests
            if (lane := next(arrivals, "done")) != "done":
                filed(trader, lane=lane)
        if not (cursor := page["next"]):
            break
    assert len(seen) == len(set(seen)), "a row was shown twice"
    assert {declaration.reference for declaration in existing} <= set(seen), "a row was skipped"
    # Walking back from the last page gives every row before it, in queue order, once.
    everything = references(declaration_queue_page(actor=officer, size=200))
    back, cursor = [], page["previous"]
    while cursor:
        previous = declaration_queue_page(actor=officer, before=cursor, size=3)
        back = references(previous) + back
        cursor = previous["previous"]
    assert back == everything[: everything.index(page["rows"][0].reference)]


def test_api_pages_with_cursor_neither_repeat_nor_skip_while_declarations_arrive(trader, officer):
    existing = [filed(trader, lane=lane) for lane in (Lane.GREEN, Lane.RED, None, Lane.YELLOW, Lane.RED)]
    api = api_for(officer)
    url, seen = f"{API}?page_size=2", []
    while url:
        body = api.get(url).json()
        seen += [row["reference"] for row in body["results"]]
        filed(trader, lane=Lane.RED)  # sorts before the cursor once we are past the reds
        filed(trader)  # sorts at the very end: it will be on a later page
        url = body["next"]
    assert len(seen) == len(set(seen))
    assert {declaration.reference for declaration in existing} <= set(seen)


def test_a_tampered_cursor_gives_the_first_page(trader, officer):
    first = filed(trader, lane=Lane.RED)
    assert references(declaration_queue_page(actor=officer, after="not-a-cursor")) == [first.reference]


# --- constant queries -------------------------------------------------------------------------------------------


def _many(trader, officer, count: int) -> None:
    lanes = [Lane.RED, Lane.YELLOW, Lane.GREEN, None]
    for number in range(count):
        declaration = filed(trader, lane=lanes[number % 4], containers=1 + number % 3)
        if number % 5 == 0:
            declaration_assign(actor=officer, declaration_id=declaration.pk)


@pytest.mark.parametrize("count", [2, 30])
def test_queue_page_and_poll_take_the_same_queries_whatever_the_page_size(
    client, trader, officer, count, django_assert_max_num_queries
):
    _many(trader, officer, count)
    client.force_login(officer)
    with django_assert_max_num_queries(10):
        html = client.get(PAGE).content.decode()
    assert len(html_references(html)) == min(count, 25)
    with django_assert_max_num_queries(9):
        client.get(LIST, {"lane": "red", "warning_code": "MANIFEST_MISSING"})


@pytest.mark.parametrize("count", [2, 30])
def test_queue_api_takes_the_same_queries_whatever_the_page_size(trader, officer, count, django_assert_max_num_queries):
    _many(trader, officer, count)
    api = api_for(officer)
    with django_assert_max_num_queries(5):
        body = api.get(API, {"page_size": 50}).json()
    assert len(body["results"]) == count


# --- assignment -------------------------------------------------------------------------------------------------


def test_officer_assigns_to_themselves_and_the_queue_shows_it(client, trader, officer):
    declaration = filed(trader, lane=Lane.YELLOW)
    client.force_login(officer)
    response = client.post(f"/declarations/{declaration.pk}/assign/", {"next": f"{PAGE}?lane=yellow"})
    assert response.status_code == 302 and response["Location"] == f"{PAGE}?lane=yellow"
    assignment = Assignment.objects.get(declaration=declaration)
    assert assignment.officer == officer
    assert assignment.history.latest().history_user == officer
    colleague = factories.customs_officer(ports=("CNSUD",))
    client.force_login(colleague)
    html = client.get(PAGE).content.decode()
    assert "Chen Jing" in html and "Take over" in html


def test_taking_over_needs_a_note_and_tells_the_first_officer(client, trader, officer):
    declaration = filed(trader, lane=Lane.RED)
    declaration_assign(actor=officer, declaration_id=declaration.pk)
    colleague = factories.customs_officer(ports=("CNSUD",))
    with pytest.raises(DomainError) as refusal:
        declaration_assign(actor=colleague, declaration_id=declaration.pk, note="  ")
    assert refusal.value.field == "note" and "Chen Jing" in refusal.value.message
    assert Assignment.objects.get(declaration=declaration).officer == officer

    client.force_login(colleague)
    response = client.post(f"/declarations/{declaration.pk}/assign/", {"note": ""})
    assert response.status_code == 400
    assert "say why you take it over" in response.content.decode()
    response = client.post(f"/declarations/{declaration.pk}/assign/", {"note": "Chen is on leave today"})
    assert response.status_code == 302
    assignment = Assignment.objects.get(declaration=declaration)
    assert (assignment.officer, assignment.note) == (colleague, "Chen is on leave today")
    assert assignment.history.count() == 2
    assert assignment.history.latest().history_change_reason == "take_over: Chen is on leave today"
    assert Notification.objects.filter(recipient=officer, body="Chen is on leave today").exists()


def test_assigning_oneself_again_changes_nothing_and_a_decided_declaration_cannot_be_assigned(trader, officer):
    declaration = filed(trader, lane=Lane.GREEN)
    first = declaration_assign(actor=officer, declaration_id=declaration.pk)
    again = declaration_assign(actor=officer, declaration_id=declaration.pk)
    assert again.assigned_at == first.assigned_at and first.history.count() == 1
    declaration_decide(actor=officer, declaration_id=declaration.pk, action=Action.RELEASE)
    colleague = factories.customs_officer(ports=("CNSUD",))
    with pytest.raises(TransitionNotAllowed):
        declaration_assign(actor=colleague, declaration_id=declaration.pk, note="late")


def test_assign_through_the_api(trader, officer):
    declaration = filed(trader, lane=Lane.RED)
    url = f"/api/v1/declarations/{declaration.pk}/assign"
    response = api_for(officer).post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="assign-1")
    assert response.status_code == 200 and response.json()["officer"] == officer.username
    colleague = factories.customs_officer(ports=("CNSUD",))
    response = api_for(colleague).post(url, {"note": ""}, format="json")
    assert response.status_code == 400 and "note" in response.json()["fields"]
    response = api_for(colleague).post(url, {"note": "Taking the reds today"}, format="json")
    assert response.status_code == 200 and response.json()["note"] == "Taking the reds today"
    row = api_for(officer).get(API).json()["results"][0]
    assert row["assignee"]["username"] == colleague.username


# --- bulk release -----------------------------------------------------------------------------------------------


def test_bulk_release_releases_each_and_says_why_the_others_were_not(client, trader, officer):
    green = filed(trader, lane=Lane.GREEN)
    yellow = filed(trader, lane=Lane.YELLOW)
    red = filed(trader, lane=Lane.RED)
    raced = filed(trader, lane=Lane.GREEN)
    shekou = filed(trader, lane=Lane.GREEN, origin="CNSHK", transfer="CNSUD")
    client.force_login(officer)
    selection = {"declaration": [green.pk, yellow.pk, red.pk, raced.pk, shekou.pk, 999999], "next": PAGE}

    confirm = client.post(RELEASE, selection)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Release these declarations?" in html
    assert all(d.reference in html for d in (green, yellow, red, raced, shekou))
    assert Declaration.objects.filter(status=Status.RELEASED).count() == 0

    # Someone else acts first on one of them between the confirmation page and the confirmation.
    colleague = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=colleague, declaration_id=raced.pk, action=Action.REJECT, message="Wrong consignee")
    result = client.post(RELEASE, {**selection, "confirm": "yes"})
    html = result.content.decode()
    released = re.findall(r'<ul data-testid="released">(.*?)</ul>', html, re.S)[0]
    refused = re.findall(r'<ul data-testid="refused">(.*?)</ul>', html, re.S)[0]
    assert green.reference in released and yellow.reference in released
    assert red.reference in refused and "only green and yellow" in refused
    assert raced.reference in refused and "Rejected" in refused
    assert shekou.reference in refused and "port of clearance" in refused
    assert "1 selected declaration was not found" in html
    assert set(Declaration.objects.filter(status=Status.RELEASED).values_list("pk", flat=True)) == {green.pk, yellow.pk}
    assert Declaration.objects.get(pk=green.pk).history.filter(history_change_reason="release").count() == 1


def test_bulk_release_refuses_a_declaration_held_by_the_other_port(trader, officer):
    from declarations.services.review import hold_place

    held = filed(trader, lane=Lane.GREEN)
    free = filed(trader, lane=Lane.YELLOW)
    shekou_officer = factories.customs_officer(ports=("CNSHK",))
    hold_place(actor=shekou_officer, declaration_id=held.pk, reason="Seal photo does not match")
    outcomes = declaration_release_many(actor=officer, declaration_ids=[held.pk, free.pk])
    assert [(o.reference, o.released) for o in outcomes] == [(held.reference, False), (free.reference, True)]
    assert outcomes[0].reason
    assert Declaration.objects.get(pk=held.pk).status == Status.UNDER_REVIEW


def test_bulk_release_rechecks_the_lane_on_the_locked_row(trader, officer):
    from declarations.services.workflow import declaration_lane_set

    declaration = filed(trader, lane=Lane.GREEN)
    declaration_lane_set(declaration_id=declaration.pk, lane=Lane.RED, reason="seal broken")
    [outcome] = declaration_release_many(actor=officer, declaration_ids=[declaration.pk])
    assert not outcome.released and "Red" in outcome.reason


def test_queue_offers_selection_only_for_green_and_yellow_of_the_officers_clearance_port(client, trader, officer):
    green = filed(trader, lane=Lane.GREEN)
    red = filed(trader, lane=Lane.RED)
    transfer_only = filed(trader, lane=Lane.GREEN, origin="CNSHK", transfer="CNSUD")
    client.force_login(officer)
    html = client.get(PAGE).content.decode()
    assert f'value="{green.pk}" form="bulk-release"' in html
    assert f'value="{red.pk}" form="bulk-release"' not in html
    assert f'value="{transfer_only.pk}" form="bulk-release"' not in html


# --- scope ------------------------------------------------------------------------------------------------------


def test_officer_of_another_port_sees_none_of_them(client, trader, officer):
    declaration = filed(trader, lane=Lane.RED)
    elsewhere = factories.customs_officer(ports=("CNNSA",))
    assert declaration_queue_page(actor=elsewhere)["rows"] == []
    client.force_login(elsewhere)
    assert declaration.reference not in client.get(PAGE).content.decode()
    assert api_for(elsewhere).get(API).json()["results"] == []
    assert api_for(elsewhere).get(API).json()["lane_counts"] == {"red": 0, "yellow": 0, "green": 0, "none": 0}
    assert client.post(f"/declarations/{declaration.pk}/assign/").status_code == 404
    response = api_for(elsewhere).post(f"/api/v1/declarations/{declaration.pk}/assign", {}, format="json")
    assert response.status_code == 404
    client.post(RELEASE, {"declaration": [declaration.pk], "confirm": "yes"})
    assert Declaration.objects.get(pk=declaration.pk).status == Status.UNDER_REVIEW


def test_officer_of_the_transfer_port_sees_it_but_cannot_release_it(trader):
    declaration = filed(trader, lane=Lane.GREEN)
    shekou = factories.customs_officer(ports=("CNSHK",))
    assert references(declaration_queue_page(actor=shekou)) == [declaration.reference]
    [outcome] = declaration_release_many(actor=shekou, declaration_ids=[declaration.pk])
    assert not outcome.released


@pytest.mark.parametrize("who", ["trader", "bank", "logistics"])
def test_traders_banks_and_systems_are_refused(client, trader, who):
    declaration = filed(trader, lane=Lane.GREEN)
    user = {"trader": trader, "bank": factories.bank_officer(), "logistics": factories.logistics_system()}[who]
    client.force_login(user)
    for url in (PAGE, LIST):
        assert client.get(url).status_code == 403
    assert client.post(RELEASE, {"declaration": [declaration.pk], "confirm": "yes"}).status_code == 403
    assert client.post(f"/declarations/{declaration.pk}/assign/").status_code == 403
    api = api_for(user)
    assert api.get(API).status_code == 403
    assert api.post(f"/api/v1/declarations/{declaration.pk}/assign", {}, format="json").status_code == 403
    assert Declaration.objects.get(pk=declaration.pk).status == Status.UNDER_REVIEW


def test_signed_out_visitors_go_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_home_card_links_to_the_full_queue(client, trader, officer):
    filed(trader, lane=Lane.RED)
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert 'href="/declarations/officer-queue/"' in html


def test_the_schema_documents_the_queue_and_assign(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    queue = schema["paths"]["/api/v1/declarations/queue"]["get"]
    assert {"lane", "warning_code", "trader", "hs_chapter", "cursor"} <= {p["name"] for p in queue["parameters"]}
    assign = schema["paths"]["/api/v1/declarations/{id}/assign"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(assign["responses"])
    assert assign["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert any(p["name"] == "Idempotency-Key" for p in assign["parameters"])
