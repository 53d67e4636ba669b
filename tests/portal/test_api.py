import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_requests_get_the_json_error_format(api):
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"code", "detail", "fields"}
    assert response.json()["code"] == "not_authenticated"


def test_token_authentication_identifies_the_system(api):
    carrier = factories.logistics_system(username="carrier-x")
    token = Token.objects.create(user=carrier)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = api.get("/api/v1/me").json()
    assert body["username"] == "carrier-x"
    assert body["role"] == "logistics_system"
    assert body["organisation"]["kind"] == "logistics"


def test_session_authentication_serves_the_browser(client):
    officer = factories.customs_officer(ports=("CNSUD", "CNSHK"))
    client.force_login(officer)
    body = client.get("/api/v1/me").json()
    assert sorted(body["ports_served"]) == ["CNSHK", "CNSUD"]


def test_a_wrong_token_is_refused(api):
    api.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_token_of_an_inactive_user_is_refused(api):
    carrier = factories.logistics_system(username="carrier-gone")
    token = Token.objects.create(user=carrier)
    carrier.is_active = False
    carrier.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_a_token_reads_its_user_and_organisation_in_one_query(api, django_assert_num_queries):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from portal.api.authentication import TokenAuthentication

    carrier = factories.logistics_system(username="carrier-y")
    token = Token.objects.create(user=carrier)
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {token.key}"))
    with django_assert_num_queries(1):
        user, _token = TokenAuthentication().authenticate(request)
        assert (user.pk, user.organisation.name_en) == (carrier.pk, carrier.organisation.name_en)


def test_a_user_without_organisation_authenticates_by_token(api):
    user = factories.trader(username="loner")
    user.organisation = None
    user.save()
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "loner"


def test_lists_paginate_and_filter(api):
    api.force_authenticate(factories.trader())
    body = api.get("/api/v1/reference/hs-codes", {"chapter": "94", "is_leaf": "true", "page_size": 5}).json()
    assert body["count"] > 5 and len(body["results"]) == 5 and body["next"]
    assert all(row["code"].startswith("94") and row["is_leaf"] for row in body["results"])
    ports = api.get("/api/v1/reference/ports", {"kind": "river"}).json()["results"]
    assert "CNSUD" in [port["locode"] for port in ports]
    assert all(port["kind"] == "river" for port in ports)


def test_unknown_record_is_a_json_404(api):
    api.force_authenticate(factories.trader())
    response = api.get("/api/v1/reference/ports/XXXXX")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_bad_filter_value_names_the_field(api):
    api.force_authenticate(factories.trader())
    response = api.get("/api/v1/reference/hs-codes", {"sensitive_reason": "radioactive"})
    assert response.status_code == 400
    assert "sensitive_reason" in response.json()["fields"]


def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me" in schema["paths"]
    assert "/api/v1/reference/hs-codes" in schema["paths"]


def test_interactive_docs_load_nothing_from_other_hosts(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    assert "swagger-ui" in html
    asset = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', html).group(1)
    assert client.get(asset).status_code == 200


def test_health_reports_the_database(client):
    body = client.get("/api/v1/health").json()
    assert body["database"] == "ok"
    assert body["broker"] in {"ok", "in-process"}
