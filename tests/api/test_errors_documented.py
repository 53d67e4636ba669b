"""Fixes found by the schema fuzzing, each pinned: what the API answers is what the schema says."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(factories.trader())
    return client


@pytest.mark.parametrize(
    "url",
    ["/api/v1/declarations", "/api/v1/certificates", "/api/v1/inspections/bookings", "/api/v1/logistics/manifests"],
)
def test_a_cursor_that_cannot_be_read_is_a_bad_request_about_the_cursor(url):
    api = APIClient()
    api.force_authenticate(factories.logistics_system() if "logistics" in url else factories.trader())
    response = api.get(url, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "cursor" in response.json()["fields"]


def test_a_path_the_api_does_not_have_answers_json_not_html(api):
    response = api.get("/api/v1/declarations/not-a-number")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_pages_outside_the_api_keep_the_html_not_found_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_operation_with_a_path_parameter_documents_404(api):
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if "{" in path
        for method, operation in operations.items()
        if "404" not in operation.get("responses", {})
    ]
    assert missing == []


@pytest.mark.parametrize("url", ["/api/v1/reference/ports", "/api/v1/ledger/checkpoints"])
def test_a_page_number_past_the_end_is_a_bad_request_about_the_page(api, url):
    response = api.get(url, {"page": "999999"})
    assert response.status_code == 400
    assert "page" in response.json()["fields"]


def test_a_draft_without_ports_lane_or_incoterm_is_answered_as_the_schema_says(api):
    response = api.post("/api/v1/declarations", {"direction": "export"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["origin_port"] is None and body["lane"] == "" and body["incoterm"] == ""
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    detail = schema["DeclarationDetail"]["properties"]
    assert detail["origin_port"].get("nullable") is True
    lane = schema[detail["lane"]["oneOf"][1]["$ref"].split("/")[-1]] if "oneOf" in detail["lane"] else detail["lane"]
    assert "" in lane.get("enum", [""])


def test_every_paged_list_documents_its_400_for_a_bad_page_or_cursor(api):
    schema = api.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if {"page", "cursor"} & {parameter["name"] for parameter in operation.get("parameters", [])}
        and "400" not in operation["responses"]
    ]
    assert missing == []
