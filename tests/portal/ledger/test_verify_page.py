"""The public /verify/ page: a registered record type, match and mismatch, check codes, the rate limit."""

import pytest
from django.db import transaction

from portal.ledger import registry
from portal.ledger.ratelimit import VERIFY_PAGE_LIMIT
from portal.ledger.registry import RecordType, VerifiableRecord, check_code
from portal.ledger.services import checkpoint_create, ledger_append

from .conftest import append_events

# A record type that exists only in the tests: "receipts" kept in a dict, appended like a real app would.
RECEIPTS: dict[str, dict] = {}


def receipt_payload(reference: str) -> dict:
    return dict(RECEIPTS[reference])


def find_receipt(reference: str) -> VerifiableRecord | None:
    if reference not in RECEIPTS:
        return None
    return VerifiableRecord(
        subject=f"tests.Receipt:{reference}", payload=receipt_payload(reference), title=f"Receipt {reference}"
    )


@pytest.fixture(autouse=True)
def receipt_type():
    RECEIPTS.clear()
    registry.register(RecordType(prefix="RCPT", label="Test receipt", find=find_receipt))
    yield
    registry.unregister("RCPT")
    RECEIPTS.clear()


def receipt_issue(reference: str, **fields) -> None:
    RECEIPTS[reference] = {"reference": reference, "amount": "125.00", "holder": "Shunde Trading", **fields}
    with transaction.atomic():
        ledger_append(
            kind="test.receipt_issued",
            subject=f"tests.Receipt:{reference}",
            payload=receipt_payload(reference),
            public_fields=["reference", "amount"],
        )


def verify_url(reference: str) -> str:
    return f"/verify/{reference}/{check_code(reference)}/"


def test_a_recorded_and_checkpointed_record_is_verified(client, db):
    append_events(5)
    receipt_issue("RCPT-2025-0001")
    checkpoint_create()
    response = client.get(verify_url("RCPT-2025-0001"))
    assert response.status_code == 200
    verification = response.context["verification"]
    assert verification.status == "verified"
    assert verification.entry.seq == 5 and verification.proof.tree_size == 6
    content = response.content.decode()
    assert "Genuine and unaltered" in content and "125.00" in content
    assert "Shunde Trading" not in content  # a private field is shown only as a hash


def test_a_record_newer_than_the_checkpoint_awaits_it(client, db):
    receipt_issue("RCPT-2025-0002")
    response = client.get(verify_url("RCPT-2025-0002"))
    assert response.context["verification"].status == "awaiting_checkpoint"


def test_a_record_changed_without_a_ledger_entry_does_not_match(client, db):
    receipt_issue("RCPT-2025-0003")
    checkpoint_create()
    RECEIPTS["RCPT-2025-0003"]["amount"] = "999.00"
    response = client.get(verify_url("RCPT-2025-0003"))
    assert response.status_code == 200
    assert response.context["verification"].status == "mismatch"
    assert response.context["verification"].problem == "record_changed"
    assert "Does NOT match the ledger" in response.content.decode()


def test_a_record_changed_with_a_new_entry_matches_again(client, db):
    receipt_issue("RCPT-2025-0004")
    receipt_issue("RCPT-2025-0004", amount="130.00")
    checkpoint_create()
    verification = client.get(verify_url("RCPT-2025-0004")).context["verification"]
    assert verification.status == "verified" and verification.entry.seq == 1


def test_an_unrecorded_record_says_so(client, db):
    RECEIPTS["RCPT-2025-0005"] = {"reference": "RCPT-2025-0005"}
    response = client.get(verify_url("RCPT-2025-0005"))
    assert response.context["verification"].status == "not_recorded"


def test_a_wrong_check_code_or_unknown_reference_is_the_same_404(client, db):
    receipt_issue("RCPT-2025-0006")
    assert client.get("/verify/RCPT-2025-0006/aaaaaaaaaa/").status_code == 404
    assert client.get(verify_url("RCPT-2025-9999")).status_code == 404
    assert client.get(verify_url("NOPE-1")).status_code == 404


def test_the_lookup_form_redirects_to_the_result(client, db):
    response = client.get("/verify/", {"reference": "RCPT-1", "check": "abc"})
    assert response.status_code == 302 and response["Location"] == "/verify/RCPT-1/abc/"
    assert client.get("/verify/RCPT-1/").status_code == 200


def test_the_page_is_rate_limited_per_address(client, db):
    receipt_issue("RCPT-2025-0007")
    url = verify_url("RCPT-2025-0007")
    for _ in range(VERIFY_PAGE_LIMIT):
        assert client.get(url).status_code == 200
    response = client.get(url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many requests" in response.content.decode()
    assert client.get(url, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_check_codes_are_short_stable_and_distinct():
    assert check_code("RCPT-1") == check_code("RCPT-1")
    assert len(check_code("RCPT-1")) == registry.CHECK_CODE_LENGTH
    assert check_code("RCPT-1") != check_code("RCPT-2")


def test_about_verification_shows_the_key_and_the_verifier(client, ledger_of, ledger_test_key):
    ledger_of(3)
    response = client.get("/about/verification/")
    content = response.content.decode()
    assert ledger_test_key.base64 in content
    assert "verifier.py inclusion --public-key key.json" in content
    assert "/ledger/verifier.py" in content
    download = client.get("/ledger/verifier.py")
    assert download.status_code == 200
    assert b"def verify_consistency" in b"".join(download.streaming_content)


@pytest.mark.browser
def test_browser_about_page_and_a_verify_page(page, transactional_db):
    receipt_issue("RCPT-2025-0100")
    checkpoint_create()
    page.goto("/about/verification/")
    assert page.locator("h1").inner_text() == "About verification"
    assert page.locator("#public-key").input_value() != ""
    assert page.get_by_role("link", name="Download verifier.py").is_visible()
    page.goto(verify_url("RCPT-2025-0100"))
    status = page.get_by_role("status")
    assert status.get_attribute("data-status") == "verified"
    assert "Genuine and unaltered" in status.inner_text()
    page.goto("/verify/")
    page.fill("#reference", "RCPT-2025-0100")
    page.fill("#check", check_code("RCPT-2025-0100"))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"**{verify_url('RCPT-2025-0100')}")
    assert page.get_by_role("status").get_attribute("data-status") == "verified"
