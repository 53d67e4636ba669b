"""``Idempotency-Key`` on POSTs of the API (portal.api.idempotency), exercised through the
declarations endpoints, plus a guard that every POST endpoint under /api/v1/ honours it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from rest_framework.test import APIClient

import declarations.services
from declarations.models import Declaration
from portal.api.idempotency import ABANDONED_AFTER, KEY_LIFETIME, IdempotentMixin, idempotency_keys_purge
from portal.models import IdempotencyKey
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/declarations"


@pytest.fixture
def trader():
    return factories.trader()


@pytest.fixture
def api(trader):
    client = APIClient()
    client.force_authenticate(trader)
    return client


def post(api, body=None, key="key-1", **kwargs):
    return api.post(
        URL,
        body if body is not None else factories.declaration_payload(),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **kwargs,
    )


def test_same_key_and_body_replays_the_stored_response(api):
    first = post(api)
    retry = post(api)

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Declaration.objects.count() == 1
    stored = IdempotencyKey.objects.get()
    assert stored.response_status == 201 and stored.completed_at is not None


def test_json_key_order_and_white_space_do_not_make_another_request(api):
    first = api.post(
        URL,
        '{"origin_port": "CNSUD", "procedure": "integrated"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    retry = api.post(
        URL,
        '{ "procedure":"integrated",\n "origin_port":"CNSUD" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert first.status_code == 201 and retry["Idempotent-Replayed"] == "true"
    assert Declaration.objects.count() == 1


def test_same_key_with_another_body_is_422_in_the_error_format(api):
    post(api)

    response = post(api, factories.declaration_payload(items=2))

    assert response.status_code == 422
    assert response.json() == {"code": "idempotency_key_reused", "detail": response.json()["detail"], "fields": {}}
    assert Declaration.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(api):
    created = post(api).json()

    response = api.post(f"{URL}/{created['id']}/submit", HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 422
    assert Declaration.objects.get().status == "draft"


def test_keys_belong_to_one_user(api):
    other = APIClient()
    other.force_authenticate(factories.trader())

    first, theirs = post(api), post(other)

    assert first.status_code == theirs.status_code == 201
    assert not theirs.has_header("Idempotent-Replayed")
    assert Declaration.objects.count() == 2


def test_without_a_key_every_post_acts(api):
    api.post(URL, factories.declaration_payload(), format="json")
    api.post(URL, factories.declaration_payload(), format="json")

    assert Declaration.objects.count() == 2 and IdempotencyKey.objects.count() == 0


def test_client_errors_are_stored_and_replayed(api):
    body = factories.declaration_payload()
    body["items"][0]["net_mass"] = "5000"

    first = post(api, body)
    retry = post(api, body)

    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json() and retry["Idempotent-Replayed"] == "true"
    assert list(first.json()["fields"]) == ["items.0.net_mass"]


def test_server_errors_are_not_stored_and_the_key_can_be_retried(api, monkeypatch):
    original = declarations.services.declaration_create_draft

    def broken(**kwargs):
        original(**kwargs)  # writes, then fails: the write must be rolled back with the claim
        raise RuntimeError("database went away")

    monkeypatch.setattr(declarations.services, "declaration_create_draft", broken)
    api.raise_request_exception = False
    failed = post(api)
    monkeypatch.setattr(declarations.services, "declaration_create_draft", original)
    retry = post(api)

    assert failed.status_code == 500
    assert retry.status_code == 201 and not retry.has_header("Idempotent-Replayed")
    assert Declaration.objects.count() == 1


def test_expired_keys_are_ignored(api):
    first = post(api)
    IdempotencyKey.objects.update(created_at=timezone.now() - KEY_LIFETIME - timedelta(seconds=1))

    again = post(api)

    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert again.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1


def test_a_request_in_progress_is_answered_409(api, trader):
    first = post(api)
    # The same key claimed by a request that has not finished (its process still running).
    IdempotencyKey.objects.filter(user=trader).update(completed_at=None, response_status=None, response_body=b"")

    response = post(api)

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_request_in_progress"
    assert Declaration.objects.count() == 1 and first.status_code == 201


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(api, trader):
    post(api)
    Declaration.objects.all().delete()  # the dead process's transaction never committed
    IdempotencyKey.objects.filter(user=trader).update(
        completed_at=None, created_at=timezone.now() - ABANDONED_AFTER - timedelta(seconds=1)
    )

    response = post(api)

    assert response.status_code == 201 and Declaration.objects.count() == 1


def test_an_overlong_key_is_refused(api):
    response = post(api, key="k" * 256)

    assert response.status_code == 400 and list(response.json()["fields"]) == ["Idempotency-Key"]
    assert Declaration.objects.count() == 0


def test_purge_deletes_only_expired_keys(api):
    post(api, key="old")
    post(api, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - KEY_LIFETIME)

    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_run_once(trader, monkeypatch):
    """The second request arrives while the first is inside the service: it gets 409, never a second run."""
    original = declarations.services.declaration_create_draft
    inside, release = threading.Event(), threading.Event()

    def slow(**kwargs):
        inside.set()
        assert release.wait(20)
        return original(**kwargs)

    monkeypatch.setattr(declarations.services, "declaration_create_draft", slow)
    results = {}

    def first_request():
        client = APIClient()
        client.force_authenticate(trader)
        try:
            results["first"] = post(client, key="race")
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    assert inside.wait(20)
    client = APIClient()
    client.force_authenticate(trader)
    second = post(client, key="race")
    release.set()
    thread.join(30)
    replay = post(client, key="race")

    assert second.status_code == 409 and second["Retry-After"] == "1"
    assert results["first"].status_code == 201
    assert replay.status_code == 201 and replay.content == results["first"].content
    assert Declaration.objects.count() == 1


def test_every_post_endpoint_of_the_api_honours_the_key():
    posts = [
        (path, callback)
        for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints()
        if method == "POST" and path.startswith("/api/v1/")
    ]

    assert posts, "no POST endpoints found"
    missing = [path for path, callback in posts if not issubclass(callback.cls, IdempotentMixin)]
    assert missing == []


def test_the_schema_documents_the_key_and_its_errors_on_every_post():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path, operations in schema["paths"].items():
        if "post" not in operations or not path.startswith("/api/v1/"):
            continue
        operation = operations["post"]
        assert "Idempotency-Key" in [parameter["name"] for parameter in operation.get("parameters", [])], path
        assert {"409", "422"} <= set(operation["responses"]), path
