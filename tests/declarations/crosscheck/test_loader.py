"""What the loader reads into a bundle: the goods' HS code facts come from the code and its ancestors."""

from decimal import Decimal

import pytest

from declarations.crosscheck.loader import evidence_bundles_of
from declarations.models import Declaration, DeclarationItem
from portal.choices import SensitiveReason
from portal.models import HSCode

pytestmark = pytest.mark.django_db


def item_facts(declaration):
    """The goods' facts of the declaration as stored now (read afresh, as a verification locks and reads it)."""
    return evidence_bundles_of([Declaration.objects.get(pk=declaration.pk)])[declaration.pk].declaration.items


def test_an_item_has_the_sensitivity_of_its_nearest_flagged_ancestor_and_its_own_reference_values(draft):
    chapter = HSCode.objects.create(
        code="99", description_en="Test chapter", is_leaf=False, sensitive_reason=SensitiveReason.CITES
    )
    heading = HSCode.objects.create(
        code="9901",
        parent=chapter,
        description_en="Test heading",
        is_leaf=False,
        sensitive_reason=SensitiveReason.DUAL_USE,
        sensitive_note="Export licence",
    )
    HSCode.objects.create(
        code="990110",
        parent=heading,
        description_en="Test subheading",
        unit_value_min=Decimal("2.50"),
        unit_value_max=Decimal("9.00"),
        value_unit="USD/kg",
    )
    DeclarationItem.objects.filter(declaration=draft, line_number=1).update(hs_code_id="990110")

    first = item_facts(draft)[0]
    assert (first.hs_code, first.sensitive_reason, first.sensitive_note) == ("990110", "dual_use", "Export licence")
    assert (first.unit_value_min, first.unit_value_max, first.value_unit) == (
        Decimal("2.50"),
        Decimal("9.00"),
        "USD/kg",
    )

    HSCode.objects.filter(code="9901").update(sensitive_reason="", sensitive_note="")
    assert item_facts(draft)[0].sensitive_reason == "cites"  # read afresh at every verification


def test_a_parent_that_is_not_a_prefix_of_the_code_is_followed_too(draft):
    grandparent = HSCode.objects.create(
        code="98", description_en="Test chapter", is_leaf=False, sensitive_reason=SensitiveReason.QUARANTINE
    )
    parent = HSCode.objects.create(code="9802", parent=grandparent, description_en="Test heading", is_leaf=False)
    HSCode.objects.create(code="990220", parent=parent, description_en="Test subheading, filed elsewhere")
    DeclarationItem.objects.filter(declaration=draft, line_number=2).update(hs_code_id="990220")

    second = item_facts(draft)[1]
    assert (second.line, second.hs_code, second.sensitive_reason) == (2, "990220", "quarantine")
