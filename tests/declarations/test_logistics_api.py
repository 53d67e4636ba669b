"""The logistics bulk API: who may post, all or nothing with row-indexed errors, duplicates, scoped lists."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from declarations.models import ContainerEvent, Manifest
from declarations.services.logistics import MAX_RECORDS, container_events_ingest
from tests import factories
from tests.declarations.test_logistics_ingest import event, manifest, reading

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/logistics/container-events"
MANIFESTS = "/api/v1/logistics/manifests"
READINGS = "/api/v1/logistics/sensor-readings"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def carrier():
    return factories.logistics_system()


@pytest.fixture
def api(carrier):
    return token_client(carrier)


def test_a_logistics_system_posts_a_list_of_container_events(api, carrier):
    response = api.post(EVENTS, [event(1), event(2, event_type="weighed", weight=12480.5)], format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"received": 2, "stored": 2, "duplicates": 0}
    assert ContainerEvent.objects.filter(source=carrier.organisation).count() == 2


def test_manifests_and_sensor_readings_are_posted_the_same_way(api):
    assert api.post(MANIFESTS, [manifest(1), manifest(2)], format="json").json() == {
        "received": 2,
        "stored": 2,
        "duplicates": 0,
    }
    assert api.post(READINGS, [reading(1), reading(2, kind="seal_status", value="closed")], format="json").json() == {
        "received": 2,
        "stored": 2,
        "duplicates": 0,
    }


def test_one_bad_row_among_a_thousand_stores_nothing_and_names_the_row(api):
    records = [event(n) for n in range(1000)]
    records[617]["occurred_at"] = "2026-03-01T08:30:00"
    response = api.post(EVENTS, records, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["617.occurred_at"]
    assert "time zone" in body["fields"]["617.occurred_at"][0]
    assert not ContainerEvent.objects.exists()


def test_manifest_line_errors_are_named_by_their_dotted_path(api):
    response = api.post(MANIFESTS, [manifest(0), manifest(1, {"gross_mass": "-1"})], format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["1.lines.0.gross_mass"]
    assert not Manifest.objects.exists()


def test_duplicates_by_external_id_are_counted_not_stored_again(api):
    api.post(EVENTS, [event(1), event(2)], format="json")
    response = api.post(EVENTS, [event(2), event(3), event(3)], format="json")
    assert response.json() == {"received": 3, "stored": 1, "duplicates": 2}
    assert ContainerEvent.objects.count() == 3


def test_more_than_ten_thousand_records_are_refused_naming_the_limit(api):
    response = api.post(EVENTS, [event(n) for n in range(MAX_RECORDS + 1)], format="json")
    assert response.status_code == 400
    assert "10,000" in response.json()["fields"]["records"][0]
    assert not ContainerEvent.objects.exists()


@pytest.mark.parametrize("body", [{"records": [event(1)]}, "CSQU3054383", 42, None])
def test_a_body_that_is_not_a_list_is_refused(api, body):
    response = api.post(EVENTS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("make_user", [factories.trader, factories.customs_officer, factories.bank_officer])
def test_other_roles_may_not_post_or_list(make_user):
    client = token_client(make_user())
    assert client.post(EVENTS, [event(1)], format="json").status_code == 403
    assert client.get(EVENTS).status_code == 403
    assert not ContainerEvent.objects.exists()


def test_anonymous_callers_get_401():
    client = APIClient()
    response = client.post(EVENTS, [event(1)], format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert client.get(MANIFESTS).status_code == 401


def test_idempotency_key_makes_a_retry_answer_the_same_without_storing_again(api):
    first = api.post(EVENTS, [event(1)], format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    retry = api.post(EVENTS, [event(1)], format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == {"received": 1, "stored": 1, "duplicates": 0}
    assert retry["Idempotent-Replayed"] == "true"
    assert api.post(EVENTS, [event(2)], format="json", HTTP_IDEMPOTENCY_KEY="batch-1").status_code == 422


# --- lists -------------------------------------------------------------------------------------------------------


def test_an_organisation_never_sees_another_organisations_records(api, carrier):
    other = factories.logistics_system()
    container_events_ingest(actor=other, records=[event(1, external_id="THEIRS")])
    token_client(other).post(MANIFESTS, [manifest(1, external_id="THEIRS")], format="json")
    token_client(other).post(READINGS, [reading(1, external_id="THEIRS")], format="json")
    api.post(EVENTS, [event(1, external_id="OURS")], format="json")

    assert [row["external_id"] for row in api.get(EVENTS).json()["results"]] == ["OURS"]
    assert api.get(MANIFESTS).json()["results"] == []
    assert api.get(READINGS).json()["results"] == []
    assert api.get(MANIFESTS, {"transport_document": "PRBL2026000123"}).json()["results"] == []
    assert api.get(EVENTS, {"container_number": "CSQU3054383"}).json()["results"][0]["external_id"] == "OURS"


def test_lists_filter_by_container_transport_document_and_time(api):
    api.post(
        EVENTS,
        [
            event(1, container_number="CSQU3054383", occurred_at="2026-03-01T08:00:00Z"),
            event(2, container_number="MSKU1234565", occurred_at="2026-03-02T08:00:00Z"),
            event(3, container_number="MSKU1234565", occurred_at="2026-03-03T08:00:00Z", event_type="loaded"),
        ],
        format="json",
    )
    api.post(
        MANIFESTS,
        [
            manifest(1, {"transport_document_number": "BL-A", "containers": ["CSQU3054383"]}),
            manifest(2, {"transport_document_number": "BL-B", "containers": ["MSKU1234565"]}),
        ],
        format="json",
    )

    def ids(url, **params):
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        return sorted(row["external_id"] for row in response.json()["results"])

    assert ids(EVENTS, container_number="msku 123456-5") == ["EV-000002", "EV-000003"]
    assert ids(EVENTS, since="2026-03-02T00:00:00Z", until="2026-03-03T00:00:00Z") == ["EV-000002"]
    assert ids(EVENTS, event_type="loaded") == ["EV-000003"]
    assert ids(MANIFESTS, transport_document="BL-B") == ["MF-0002"]
    assert ids(MANIFESTS, container_number="CSQU3054383") == ["MF-0001"]
    body = api.get(MANIFESTS, {"transport_document": "BL-A"}).json()["results"][0]
    assert body["port_of_loading"] == "CNSUD"
    assert body["lines"][0]["containers"] == ["CSQU3054383"]
    assert api.get(EVENTS, {"since": "2026-03-03T00:00:00Z", "until": "2026-03-01T00:00:00Z"}).status_code == 400


def test_lists_are_paginated_with_a_constant_number_of_queries(api, carrier, django_assert_max_num_queries):
    api.post(MANIFESTS, [manifest(n) for n in range(30)], format="json")
    api.post(EVENTS, [event(n) for n in range(30)], format="json")
    with django_assert_max_num_queries(6):
        first = api.get(MANIFESTS, {"page_size": 25}).json()
    assert len(first["results"]) == 25 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5
    with django_assert_max_num_queries(5):
        assert len(api.get(EVENTS, {"page_size": 30}).json()["results"]) == 30


def test_the_schema_documents_the_bulk_list_body_errors_and_idempotency_key(api):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/logistics/container-events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"
    assert body["items"]["$ref"].endswith("ContainerEventInputRequest")
    assert {"400", "401", "403", "201"} <= set(post["responses"])
    assert post["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "Idempotency-Key" in [parameter["name"] for parameter in post["parameters"]]
    listing = schema["paths"]["/api/v1/logistics/manifests"]["get"]
    assert {"transport_document", "container_number", "since", "until", "cursor"} <= {
        parameter["name"] for parameter in listing["parameters"]
    }
    assert "/api/v1/logistics/sensor-readings" in schema["paths"]
