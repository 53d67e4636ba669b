import base64

import pytest
from django.core.cache import cache
from django.db import transaction

from portal.ledger import signing
from portal.ledger.services import checkpoint_create, ledger_append

# A fixed Ed25519 seed, so the tests never touch the project's real key file.
TEST_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def ledger_test_key(monkeypatch):
    monkeypatch.setenv("LEDGER_SIGNING_KEY", TEST_SIGNING_KEY)
    return signing.public_key_info()


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def append_events(count: int, *, start: int = 0, subject: str = "tests.Event") -> list:
    """Append ``count`` events, each in its own transaction, the way a service does."""
    entries = []
    for number in range(start, start + count):
        with transaction.atomic():
            entries.append(
                ledger_append(
                    kind="test.event",
                    subject=f"{subject}:{number}",
                    payload={"number": number, "reference": f"T-{number}", "secret": f"hidden {number}"},
                    public_fields=["number", "reference"],
                )
            )
    return entries


@pytest.fixture
def ledger_of(db):
    """``ledger_of(n)``: a ledger of n events with a checkpoint at n."""

    def build(count: int, *, checkpoint: bool = True):
        entries = append_events(count)
        if checkpoint:
            checkpoint_create()
        return entries

    return build
