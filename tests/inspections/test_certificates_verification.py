"""The public verification page for certificates: valid, then revoked; unknown for a bad reference;
the record as stored matches its latest ledger entry."""

import pytest

from inspections.certificates.services import certificate_revoke
from inspections.certificates.verification import certificate_verification_path
from inspections.models import Certificate
from portal.ledger.registry import check_code
from portal.ledger.services import checkpoint_create
from tests import factories

from .certificate_support import issued_certificate, released_declaration


@pytest.fixture
def certificate(db):
    return issued_certificate(released_declaration(items=2))


def _verdict(client, certificate):
    response = client.get(certificate_verification_path(certificate.number))
    assert response.status_code == 200
    return response, response.content.decode()


@pytest.mark.django_db
def test_a_new_certificate_verifies_as_valid_with_its_public_data_and_ledger_proof(client, certificate):
    checkpoint_create()
    response, html = _verdict(client, certificate)
    assert response.context["verification"].status == "verified"
    assert 'data-certificate-status="valid"' in html
    assert f"Certificate {certificate.number} is VALID" in html
    assert certificate.declaration.reference in html
    for item in certificate.items.all():
        assert item.description in html and item.hs_code_id in html
    assert "certificate.issue" in html and "Audit path" in html
    assert "Fumigated" not in html  # remarks are private: only their salted hash is published


@pytest.mark.django_db
def test_after_revocation_the_page_says_revoked_and_still_matches_the_ledger(client, certificate):
    officer = factories.customs_officer(ports=("CNSHK",))
    certificate_revoke(actor=officer, certificate_id=certificate.pk, reason="Issued for the wrong consignee")
    response, html = _verdict(client, certificate)
    assert response.context["verification"].status == "awaiting_checkpoint"
    assert 'data-certificate-status="revoked"' in html
    assert f"Certificate {certificate.number} is REVOKED" in html
    assert "Issued for the wrong consignee" in html
    assert response.context["verification"].entry.kind == "certificate.revoke"
    checkpoint_create()
    response, _html = _verdict(client, certificate)
    assert response.context["verification"].status == "verified"


@pytest.mark.django_db
def test_a_certificate_revoked_behind_the_ledgers_back_shows_a_mismatch(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(status="revoked", revocation_reason="forged")
    response, html = _verdict(client, certificate)
    verification = response.context["verification"]
    assert verification.status == "mismatch" and verification.problem == "record_changed"
    assert "Does NOT match the ledger" in html


@pytest.mark.django_db
@pytest.mark.parametrize("reference", ["CERT-2026-999999", "CERT-nonsense"])
def test_an_unknown_certificate_is_reported_unknown(client, db, reference):
    response = client.get(f"/verify/{reference}/{check_code(reference)}/")
    assert response.status_code == 404
    assert 'data-status="unknown"' in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_check_code_is_the_same_unknown_page(client, certificate):
    response = client.get(f"/verify/{certificate.number}/aaaaaaaaaa/")
    assert response.status_code == 404
    assert 'data-status="unknown"' in response.content.decode()
    assert certificate.declaration.reference not in response.content.decode()
