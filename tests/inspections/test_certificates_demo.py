"""Demo certificates: one valid, one revoked, both matching their ledger entries; seeding twice adds none."""

import pytest

from declarations.demo import demo_declarations_seed
from inspections.demo_certificates import demo_certificates_seed
from inspections.models import Certificate
from portal.demo import DEMO_STEPS, demo_seed
from portal.ledger.selectors import record_verification_get

pytestmark = pytest.mark.django_db


def test_demo_certificates_are_one_valid_and_one_revoked_and_verify(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo_seed()
    demo_declarations_seed()
    assert demo_certificates_seed() == 2
    assert demo_certificates_seed() == 0
    assert sorted(Certificate.objects.values_list("status", flat=True)) == ["revoked", "valid"]
    for certificate in Certificate.objects.all():
        verification = record_verification_get(reference=certificate.number)
        assert verification.status == "awaiting_checkpoint", certificate.number  # matches; signed by the last step
    # Certificates are issued before the last step signs the checkpoint that covers them.
    assert DEMO_STEPS.index("inspections.demo_certificates.demo_certificates_seed") < DEMO_STEPS.index(
        "portal.demo.demo_checkpoint"
    )
    assert DEMO_STEPS[-1] == "portal.demo.demo_checkpoint"
