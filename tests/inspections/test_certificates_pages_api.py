"""Certificate pages and API: who sees, issues, revokes and downloads; others get 404 (or 403 by role)."""

import pytest
from django.urls import reverse

from inspections.certificates.services import certificate_pdf_render
from inspections.models import Certificate
from tests import factories

from .certificate_support import ACTORS, MAY_ISSUE, MAY_SEE, issued_certificate, released_declaration

CUSTOMS = {
    "officer of the clearance port",
    "officer of the transfer port",
    "officer of an unrelated port",
    "supervisor of both ports",
    "supervisor of an unrelated port",
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def declaration(db):
    return released_declaration(items=2)


@pytest.fixture
def certificate(declaration, media):
    certificate = issued_certificate(declaration)
    return certificate_pdf_render(certificate_id=certificate.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_the_pdf_downloads_only_for_the_traders_organisation_and_officers_of_the_route(client, certificate, who):
    client.force_login(ACTORS[who](certificate.declaration))
    response = client.get(reverse("certificates:pdf", args=[certificate.pk]))
    if who in MAY_SEE:
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert certificate.number in response["Content-Disposition"]
    else:
        assert response.status_code == 404


@pytest.mark.django_db
def test_the_trader_finds_the_certificate_on_the_declaration_page(client, certificate):
    trader = ACTORS["own trader"](certificate.declaration)
    client.force_login(trader)
    html = client.get(reverse("declarations:detail", args=[certificate.declaration_id])).content.decode()
    assert 'id="certificates"' in html and certificate.number in html
    assert reverse("certificates:pdf", args=[certificate.pk]) in html
    assert reverse("certificates:issue", args=[certificate.declaration_id]) not in html


@pytest.mark.django_db
def test_the_declaration_page_reads_its_certificates_without_joining_ports_or_officers(client, certificate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(ACTORS["officer of the clearance port"](certificate.declaration))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("declarations:detail", args=[certificate.declaration_id])).content.decode()
    assert certificate.number in html and str(certificate.get_kind_display()) in html
    (certificate_read,) = [q["sql"] for q in queries if q["sql"].startswith('SELECT "inspections_certificate"."id"')]
    assert '"portal_port"."' not in certificate_read and '"portal_user"."' not in certificate_read
    assert not [q["sql"] for q in queries if '"inspections_certificate_items"' in q["sql"]]  # nor its items


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_issuing_from_the_page(client, declaration, who):
    client.force_login(ACTORS[who](declaration))
    items = [str(item.pk) for item in declaration.items.all()]
    url = reverse("certificates:issue", args=[declaration.pk])
    response = client.post(url, {"kind": "quality", "items": items, "remarks": ""})
    certificate = Certificate.objects.first()
    if who in MAY_ISSUE:
        assert response.status_code == 302 and certificate is not None
        assert response["Location"] == reverse("certificates:detail", args=[certificate.pk])
    else:
        assert response.status_code == (404 if who in CUSTOMS else 403)
        assert certificate is None


@pytest.mark.django_db
def test_the_issue_form_shows_errors(client, declaration):
    client.force_login(factories.customs_officer(ports=("CNSUD",)))
    url = reverse("certificates:issue", args=[declaration.pk])
    assert "Issue certificate" in client.get(url).content.decode()
    response = client.post(url, {"kind": "quality"})
    assert response.status_code == 400 and "Choose at least one item." in response.content.decode()


@pytest.mark.django_db
def test_revoking_from_the_page_needs_a_reason(client, certificate):
    client.force_login(factories.customs_officer(ports=("CNSHK",)))
    url = reverse("certificates:revoke", args=[certificate.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Wrong goods description"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked" and certificate.revocation_reason == "Wrong goods description"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["own trader", "officer of an unrelated port"])
def test_others_cannot_revoke_from_the_page(client, certificate, who):
    client.force_login(ACTORS[who](certificate.declaration))
    response = client.post(reverse("certificates:revoke", args=[certificate.pk]), {"reason": "No"})
    assert response.status_code == (403 if who == "own trader" else 404)
    certificate.refresh_from_db()
    assert certificate.status == "valid"


# --- API ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_the_api_lists_and_reads_only_what_the_caller_may_see(client, certificate, who):
    client.force_login(ACTORS[who](certificate.declaration))
    listed = client.get("/api/v1/certificates")
    one = client.get(f"/api/v1/certificates/{certificate.pk}")
    pdf = client.get(f"/api/v1/certificates/{certificate.pk}/pdf")
    if who in MAY_SEE:
        assert [row["number"] for row in listed.json()["results"]] == [certificate.number]
        assert one.status_code == 200 and one.json()["status"] == "valid"
        assert one.json()["verification_url"].endswith(
            f"/verify/{certificate.number}/" + one.json()["verification_url"].rsplit("/", 2)[1] + "/"
        )
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    else:
        assert listed.json()["results"] == []
        assert one.status_code == 404 and one.json()["code"] == "not_found"
        assert pdf.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ACTORS)
def test_the_api_issues_for_officers_of_the_route_only(client, declaration, who):
    client.force_login(ACTORS[who](declaration))
    body = {"declaration": declaration.pk, "kind": "origin", "items": [declaration.items.first().pk]}
    response = client.post(
        "/api/v1/certificates", body, content_type="application/json", headers={"Idempotency-Key": f"issue-{who}"}
    )
    if who in MAY_ISSUE:
        assert response.status_code == 201, response.json()
        assert response.json()["number"].startswith("CERT-") and response.json()["pdf_ready"] is False
    else:
        assert response.status_code == (404 if who in CUSTOMS else 403)
        assert not Certificate.objects.exists()


@pytest.mark.django_db
def test_the_api_issue_is_idempotent_and_reports_bad_items(client, declaration):
    client.force_login(factories.customs_officer(ports=("CNSUD",)))
    body = {"declaration": declaration.pk, "kind": "origin", "items": [item.pk for item in declaration.items.all()]}
    first = client.post(
        "/api/v1/certificates", body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    again = client.post(
        "/api/v1/certificates", body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and Certificate.objects.count() == 1
    other = released_declaration(items=1)
    bad = client.post(
        "/api/v1/certificates", {**body, "items": [other.items.first().pk]}, content_type="application/json"
    )
    assert bad.status_code == 400 and "items" in bad.json()["fields"]


@pytest.mark.django_db
def test_the_api_revokes_once_then_409(client, certificate):
    client.force_login(factories.customs_supervisor(ports=("CNSUD", "CNSHK")))
    url = f"/api/v1/certificates/{certificate.pk}/revoke"
    assert client.post(url, {}, content_type="application/json").status_code == 400
    done = client.post(url, {"reason": "Superseded"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    again = client.post(url, {"reason": "Superseded"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


@pytest.mark.django_db
def test_the_api_pdf_is_409_while_it_is_being_rendered(client, declaration):
    pending = issued_certificate(declaration)
    client.force_login(factories.customs_officer(ports=("CNSUD",)))
    response = client.get(f"/api/v1/certificates/{pending.pk}/pdf")
    assert response.status_code == 409 and response.json()["code"] == "pdf_not_ready"


@pytest.mark.django_db
def test_the_schema_documents_the_certificates_endpoints(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).content.decode()
    for path in ("/api/v1/certificates", "/api/v1/certificates/{id}/revoke", "/api/v1/certificates/{id}/pdf"):
        assert path in schema
