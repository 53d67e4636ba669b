"""The officer review panel on the declaration page: content, query counts, decisions and holds through the page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from declarations.choices import Action, Status
from declarations.models import Declaration, Hold, SensorReading, VerificationRun, VerificationWarning
from declarations.selectors_review import temperature_chart
from declarations.services import declaration_create_draft, declaration_decide, declaration_submit
from declarations.services.review import hold_place
from declarations.services.workflow import declaration_system_transition
from portal.choices import Role
from portal.ledger.services import checkpoint_create
from portal.models import Notification
from tests import factories
from tests.declarations.evidence import event, manifest_for, reading
from tests.declarations.test_workflow import race

REEFER = {
    "number": "CSQU3054383",
    "size_type": "45R1",
    "seal_number": "SEAL00000",
    "temperature_min": Decimal("-20.0"),
    "temperature_max": Decimal("-16.0"),
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submitted_declaration(trader, *, reefer: bool = False, lane: str = "red") -> Declaration:
    data = factories.declaration_input(items=2, containers=2)
    if reefer:
        data["containers"][0] = dict(REEFER)
    draft = declaration_create_draft(actor=trader, **data)
    declaration_submit(actor=trader, declaration_id=draft.pk)
    return declaration_system_transition(declaration_id=draft.pk, action=Action.START_REVIEW, lane=lane)


def add_evidence(declaration, *, events: int = 3, readings: int = 4) -> None:
    source = factories.OrganisationFactory(kind="logistics")
    manifest_for(declaration, source=source, packages=declaration.total_packages + 5)
    for n in range(events):
        port = "CNSUD" if n % 2 == 0 else "CNSHK"
        event(
            "CSQU3054383",
            "gate_in" if n % 2 == 0 else "discharged",
            port,
            minutes_ago=200 - n,
            source=source,
            seal="SEAL00000" if n else "SEAL99999",
            external_id=f"E{n}",
        )
        event("MSKU1234565", "loaded", port, minutes_ago=150 - n, source=source, external_id=f"F{n}")
    for n in range(readings):
        value = "-18.0" if n % 3 else "-11.5"
        SensorReading.objects.create(
            source=source,
            external_id=f"R{n}",
            container_number="CSQU3054383",
            device="IOT-7",
            kind="temperature",
            value=value,
            read_at=timezone.now() - timedelta(minutes=100 - n),
        )
    reading("CSQU3054383", "seal_status", "open", minutes_ago=3, source=source)


def add_warning(declaration) -> VerificationWarning:
    run = VerificationRun.objects.create(
        declaration=declaration, version=declaration.version, state="done", lane="red", score=60
    )
    return VerificationWarning.objects.create(
        run=run,
        declaration=declaration,
        code="SEAL_BROKEN",
        severity="high",
        message="Seal of CSQU3054383 reported open between Shunde and Shekou.",
        key="CSQU3054383",
        evidence={
            "container": "CSQU3054383",
            "reading_ids": [1, 2],
            "declared_seal": "SEAL00000",
            "ports": ["CNSUD", "CNSHK"],
        },
    )


def detail(client, declaration):
    return client.get(reverse("declarations:detail", args=[declaration.pk]))


def decide(client, declaration, action, message="", expected=None, follow=False):
    return client.post(
        reverse("declarations:decide", args=[declaration.pk]),
        {
            "action": action,
            "message": message,
            "expected_status": expected or declaration.status,
        },
        follow=follow,
    )


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Content -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_of_the_clearance_port_sees_warnings_evidence_and_decisions(trader):
    declaration = submitted_declaration(trader, reefer=True)
    add_evidence(declaration)
    add_warning(declaration)
    officer = factories.customs_officer(ports=("CNSUD",))
    response = detail(client_for(officer), declaration)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="officer-review"' in html
    # The warning and its evidence, readably.
    assert "SEAL_BROKEN" in html and "Declared seal" in html and "CNSUD, CNSHK" in html
    # Manifest line with the package difference, events of both containers across both ports.
    assert 'data-testid="manifest-lines"' in html and "declared 80" in html
    assert html.count('class="compact timeline-table"') == 2
    assert "Gate in" in html and "Discharged" in html and "CNSHK" in html
    assert "SEAL99999" in html  # the seal a terminal saw, flagged against the declared one
    # Reefer chart: accessible SVG with its numbers as a table; the seal opened.
    assert "<svg" in html and "<title" in html and "Temperature of container CSQU3054383" in html
    assert "4 readings, 2 outside the declared range -20.0 to -16.0" in html
    assert html.count("chart-point-outside") == 2
    assert "sensor reports the seal opened" in html
    # Ledger status and the public page, decisions of the clearance port, no hold form.
    assert 'data-status="awaiting_checkpoint"' in html and "/verify/DECL-" in html
    for label in ("Release", "Request amendment", "Order inspection", "Reject"):
        assert f">{label}</button>" in html
    assert "Place hold" not in html


@pytest.mark.django_db
def test_ledger_status_says_verified_after_a_checkpoint_and_mismatch_after_tampering(trader):
    declaration = submitted_declaration(trader)
    officer = factories.customs_officer(ports=("CNSUD",))
    checkpoint_create()
    assert 'data-status="verified"' in detail(client_for(officer), declaration).content.decode()
    Declaration.objects.filter(pk=declaration.pk).update(consignee_name="Someone Else Ltd.")  # behind the ledger's back
    assert 'data-status="mismatch"' in detail(client_for(officer), declaration).content.decode()


@pytest.mark.django_db
def test_officer_of_the_other_port_sees_the_evidence_read_only_with_a_hold_form(trader):
    declaration = submitted_declaration(trader)
    officer = factories.customs_officer(ports=("CNSHK",))
    html = detail(client_for(officer), declaration).content.decode()
    assert "You see this declaration read-only" in html and "Place hold" in html
    assert ">Release</button>" not in html


@pytest.mark.django_db
def test_traders_see_no_review_panel(trader):
    declaration = submitted_declaration(trader)
    add_warning(declaration)
    html = detail(client_for(trader), declaration).content.decode()
    assert 'data-testid="officer-review"' not in html and "Place hold" not in html
    assert "SEAL_BROKEN" in html  # the trader's own verification section still lists warnings
    assert "Reading ids" not in html


def test_temperature_chart_geometry_flags_readings_outside_the_range():
    now = timezone.now()
    chart = temperature_chart(
        [
            (1, now, Decimal("-18")),
            (2, now + timedelta(hours=1), Decimal("-10")),
            (3, now + timedelta(hours=2), Decimal("-25")),
        ],
        Decimal("-20"),
        Decimal("-16"),
    )
    assert [p.outside for p in chart.points] == [False, True, True]
    assert chart.points[0].x == chart.plot["left"] and chart.points[-1].x == chart.plot["right"]
    assert chart.points[1].y < chart.points[0].y < chart.points[2].y  # warmer is higher
    assert chart.band["y"] < chart.points[0].y < chart.band["y"] + chart.band["height"]
    assert chart.outside_count == 2
    assert temperature_chart([], None, None) is None


# --- Query counts --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_review_page_queries_do_not_grow_with_events_readings_and_items(trader, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = submitted_declaration(trader, reefer=True)
    add_evidence(small, events=1, readings=1)
    add_warning(small)
    officer = factories.customs_officer(ports=("CNSUD",))
    client = client_for(officer)
    detail(client, small)  # session and caches warm
    with CaptureQueriesContext(connection) as few:
        assert detail(client, small).status_code == 200

    other_trader = factories.trader()
    large_input = factories.declaration_input(items=30, containers=3)
    large_input["containers"][0] = dict(REEFER)
    draft = declaration_create_draft(actor=other_trader, **large_input)
    declaration_submit(actor=other_trader, declaration_id=draft.pk)
    large = declaration_system_transition(declaration_id=draft.pk, action=Action.START_REVIEW, lane="red")
    add_evidence(large, events=40, readings=120)
    add_warning(large)
    hold_place(actor=factories.customs_officer(ports=("CNSHK",)), declaration_id=large.pk, reason="Hold")
    with CaptureQueriesContext(connection) as many:
        assert detail(client, large).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(len(few)):
        detail(client, large)


# --- Decisions through the page ------------------------------------------------------------------------

VIEWERS = {
    "own trader": (lambda d: factories.UserFactory(role=Role.TRADER_STAFF, organisation=d.declarant), "refused"),
    "other trader": (lambda d: factories.trader(), "not found"),
    "officer of the clearance port": (lambda d: factories.customs_officer(ports=("CNSUD",)), "allowed"),
    "officer of the other port": (lambda d: factories.customs_officer(ports=("CNSHK",)), "refused"),
    "officer of an unrelated port": (lambda d: factories.customs_officer(ports=("CNNSA",)), "not found"),
    "supervisor": (lambda d: factories.customs_supervisor(ports=("CNSUD", "CNSHK")), "allowed"),
    "bank officer": (lambda d: factories.bank_officer(), "not found"),
    "logistics system": (lambda d: factories.logistics_system(), "not found"),
}
RESULT = {
    Action.RELEASE: Status.RELEASED,
    Action.REQUEST_AMENDMENT: Status.AMENDMENT_REQUESTED,
    Action.ORDER_INSPECTION: Status.INSPECTION_REQUIRED,
    Action.REJECT: Status.REJECTED,
}


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("action", list(RESULT))
def test_every_decision_by_every_role_through_the_page(action, viewer, trader):
    declaration = submitted_declaration(trader)
    make, expected = VIEWERS[viewer]
    actor = make(declaration)
    response = decide(client_for(actor), declaration, action, message="Please see the seal photo")
    refreshed = Declaration.objects.get(pk=declaration.pk)
    if expected == "allowed":
        assert response.status_code == 302, response.content[:500]
        assert refreshed.status == RESULT[action]
        assert refreshed.history.first().history_user == actor
        assert Notification.objects.filter(recipient=trader, link__endswith=f"/{declaration.pk}/").exists()
        assert any("The trader has been notified" in m for m in flash(response))
    elif expected == "not found":
        assert response.status_code == 404
        assert refreshed.status == Status.UNDER_REVIEW
    else:
        assert response.status_code == 302
        assert refreshed.status == Status.UNDER_REVIEW
        assert any("port of clearance" in m for m in flash(response)), flash(response)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [Action.REJECT, Action.REQUEST_AMENDMENT])
def test_a_decision_that_needs_a_message_shows_a_form_error_without_one(action, trader):
    declaration = submitted_declaration(trader)
    officer = factories.customs_officer(ports=("CNSUD",))
    response = decide(client_for(officer), declaration, action, message="  ")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "Say what the trader must change" in html
    assert Declaration.objects.get(pk=declaration.pk).status == Status.UNDER_REVIEW


@pytest.mark.django_db
def test_a_stale_decision_is_told_who_decided_first(trader):
    declaration = submitted_declaration(trader)
    first = factories.customs_officer(ports=("CNSUD",), first_name="Chen", last_name="Jing")
    second = factories.customs_officer(ports=("CNSUD",))
    declaration_decide(actor=first, declaration_id=declaration.pk, action=Action.ORDER_INSPECTION)
    # The second officer still has the page as it was (under review) and rejects — allowed from
    # inspection_required by the table, but not what they saw: refused.
    response = decide(
        client_for(second), declaration, Action.REJECT, message="Undervalued", expected=Status.UNDER_REVIEW, follow=True
    )
    html = response.content.decode()
    assert f"Declaration {declaration.reference} is now Inspection required by Chen Jing" in html
    assert Declaration.objects.get(pk=declaration.pk).status == Status.INSPECTION_REQUIRED


@pytest.mark.django_db
def test_release_through_the_page_is_refused_while_held_naming_port_and_reason(trader):
    declaration = submitted_declaration(trader)
    hold_place(
        actor=factories.customs_officer(ports=("CNSHK",)), declaration_id=declaration.pk, reason="Seal photo missing"
    )
    officer = factories.customs_officer(ports=("CNSUD",))
    html = detail(client_for(officer), declaration).content.decode()
    assert "Release is blocked by a hold." in html and "disabled" in html
    response = decide(client_for(officer), declaration, Action.RELEASE, follow=True)
    assert "CNSHK" in response.content.decode() and "Seal photo missing" in response.content.decode()
    assert Declaration.objects.get(pk=declaration.pk).status == Status.UNDER_REVIEW


@pytest.mark.django_db
def test_hold_and_lift_through_the_page(trader):
    declaration = submitted_declaration(trader)
    shekou = factories.customs_officer(ports=("CNSHK",))
    client = client_for(shekou)
    empty = client.post(reverse("declarations:hold-place", args=[declaration.pk]), {"reason": " "})
    assert empty.status_code == 400 and not Hold.objects.exists()
    placed = client.post(reverse("declarations:hold-place", args=[declaration.pk]), {"reason": "Weight off"})
    assert placed.status_code == 302
    hold = Hold.objects.get()
    html = detail(client, declaration).content.decode()
    assert "Lift hold" in html and "Place hold" not in html
    # The clearance port's officer sees it but cannot lift it.
    shunde = factories.customs_officer(ports=("CNSUD",))
    assert "Lift hold" not in detail(client_for(shunde), declaration).content.decode()
    refused = client_for(shunde).post(reverse("declarations:hold-lift", args=[declaration.pk, hold.pk]), {})
    assert any("Only customs staff of CNSHK" in m for m in flash(refused))
    lifted = client.post(reverse("declarations:hold-lift", args=[declaration.pk, hold.pk]), {"note": "Reweighed"})
    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == shekou and hold.lift_note == "Reweighed"


# --- Two officers at once ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("actions", [(Action.RELEASE, Action.RELEASE), (Action.ORDER_INSPECTION, Action.REJECT)])
def test_two_officers_deciding_at_once_one_wins_and_the_other_sees_a_conflict(actions):
    trader = factories.trader()
    declaration = submitted_declaration(trader)
    officers = [factories.customs_officer(ports=("CNSUD",)) for _ in actions]
    clients = [client_for(officer) for officer in officers]
    results = race(
        *[
            (lambda client=client, action=action: decide(client, declaration, action, message="Reason", follow=True))
            for client, action in zip(clients, actions, strict=True)
        ]
    )
    assert all(getattr(r, "status_code", None) == 200 for r in results), results
    pages = [r.content.decode() for r in results]
    winners = [p for p in pages if "The trader has been notified" in p]
    losers = [p for p in pages if "your decision was not recorded" in p]
    assert len(winners) == 1 and len(losers) == 1, pages
    final = Declaration.objects.get(pk=declaration.pk)
    assert f"Declaration {declaration.reference} is now {final.get_status_display()} by" in losers[0]
    decisions = [h for h in final.history.all() if (h.history_change_reason or "").split(":")[0] in RESULT]
    assert len(decisions) == 1


@pytest.mark.django_db
def test_the_polled_warnings_section_stops_once_the_declaration_is_decided(trader):
    declaration = submitted_declaration(trader)
    add_warning(declaration)
    officer = factories.customs_officer(ports=("CNSUD",))
    url = reverse("declarations:review-warnings", args=[declaration.pk])
    live = client_for(officer).get(url)
    assert live.status_code == 200 and "Declared seal" in live.content.decode()
    assert 'hx-trigger="every 5s"' in live.content.decode()
    assert client_for(trader).get(url).status_code == 404  # the officers' view of the evidence only
    assert client_for(factories.customs_officer(ports=("CNNSA",))).get(url).status_code == 404
    declaration_decide(actor=officer, declaration_id=declaration.pk, action=Action.REJECT, message="No")
    assert client_for(officer).get(url).status_code == 286


@pytest.mark.django_db
def test_each_poll_of_the_warnings_also_carries_the_current_lane(client):
    """The decision card's lane badge is swapped out-of-band with every poll, so it follows the worker."""
    from declarations.services.crosscheck import declaration_verify

    trader = factories.trader()
    draft = declaration_create_draft(actor=trader, **factories.declaration_input())
    declaration_submit(actor=trader, declaration_id=draft.pk)
    declaration_verify(declaration_id=draft.pk)
    client.force_login(factories.customs_officer(ports=("CNSUD",)))
    html = client.get(f"/declarations/{draft.pk}/review-warnings/").content.decode()
    lane = Declaration.objects.get(pk=draft.pk).lane
    assert 'id="review-lane" hx-swap-oob="true"' in html
    assert f"lane-{lane}" in html.split('id="review-lane"')[1]


@pytest.mark.django_db
def test_the_declaration_and_its_queue_row_take_their_ports_from_the_snapshot_not_from_joins(trader):
    """Joined three times, the port table cost PostgreSQL more to plan than the row cost to read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from declarations.officer_queue import declaration_queue_page
    from declarations.selectors import declaration_get
    from portal.reference_cache import reference_snapshot

    declaration = submitted_declaration(trader)
    officer = factories.customs_officer(ports=("CNSUD",))
    stored = Declaration.objects.values_list(
        "origin_port__locode", "transfer_port__locode", "foreign_port__locode"
    ).get(pk=declaration.pk)
    reference_snapshot()

    with CaptureQueriesContext(connection) as queries:
        got = declaration_get(actor=officer, declaration_id=declaration.pk)
        [row] = declaration_queue_page(actor=officer)["rows"]
        ports = (got.origin_port.locode, got.transfer_port.locode, got.foreign_port.locode)
        route = (row.origin_port.locode, row.transfer_port.locode)

    assert ports == stored
    assert route == stored[:2]
    assert not [query["sql"] for query in queries.captured_queries if 'JOIN "portal_port"' in query["sql"]]


@pytest.mark.django_db
def test_a_decision_reads_the_declaration_once_under_its_lock(trader, django_assert_max_num_queries):
    """The POST checks that the officer may see the declaration with one query; the service locks and reads it
    (its items and containers for the ledger's summary), so the page's full read is not repeated before it."""
    declaration = submitted_declaration(trader)
    client = client_for(factories.customs_officer(ports=("CNSUD",)))
    with django_assert_max_num_queries(15):
        response = decide(client, declaration, Action.RELEASE)
    assert response.status_code == 302
