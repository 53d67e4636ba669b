import pytest
from django.core.management import call_command

from portal.models import Country, Currency, HSCode, IntegratedPortPair, Port
from portal.reference import hs_parent_code, reference_data_load

pytestmark = pytest.mark.django_db

GREATER_BAY_AREA = ["CNSHK", "CNSUD", "CNNSA", "CNYTN", "HKHKG", "MOMFM", "CNZUH"]


def test_greater_bay_area_ports_xiamen_and_twenty_foreign_ports_are_loaded():
    locodes = set(Port.objects.values_list("locode", flat=True))
    assert set(GREATER_BAY_AREA + ["CNXMN"]) <= locodes
    assert Port.objects.exclude(country__in=["CN", "HK", "MO"]).count() >= 20
    shunde = Port.objects.get(locode="CNSUD")
    assert shunde.kind == "river" and shunde.timezone == "Asia/Shanghai" and shunde.name_zh == "顺德"


def test_shunde_and_shekou_are_an_integrated_pair():
    pair = IntegratedPortPair.objects.get()
    assert (pair.river_port.locode, pair.hub_port.locode) == ("CNSUD", "CNSHK")


def test_countries_and_currencies_are_complete():
    assert Country.objects.count() >= 249
    assert Country.objects.get(alpha2="CN").alpha3 == "CHN"
    assert Currency.objects.get(code="CNY").minor_units == 2
    assert Currency.objects.get(code="JPY").minor_units == 0
    assert Currency.objects.count() >= 150


def test_hs_codes_form_a_tree_of_chapters_headings_and_subheadings():
    assert HSCode.objects.filter(code__regex=r"^\d{2}$").count() == 97
    assert HSCode.objects.filter(code__regex=r"^\d{6}$").count() >= 300
    for code in HSCode.objects.exclude(parent=None).values_list("code", "parent_id"):
        assert hs_parent_code(code[0]) == code[1]
    chapter = HSCode.objects.get(code="94")
    assert not chapter.is_leaf
    assert HSCode.objects.filter(code__startswith="9403", is_leaf=True).exists()
    assert all(row.description_zh for row in HSCode.objects.filter(code__regex=r"^\d{6}$"))


def test_sensitive_subheadings_carry_their_reason():
    reasons = set(HSCode.objects.exclude(sensitive_reason="").values_list("sensitive_reason", flat=True))
    assert reasons == {"dual_use", "cites", "hazardous", "quarantine"}


def test_reference_unit_values_are_ordered_ranges():
    ranged = HSCode.objects.exclude(unit_value_min=None)
    assert ranged.count() >= 60
    assert all(code.unit_value_min <= code.unit_value_max for code in ranged)


def test_loading_again_changes_nothing(capsys):
    before = (Port.objects.count(), HSCode.objects.count(), Country.objects.count(), IntegratedPortPair.objects.count())
    counts = reference_data_load()
    call_command("load_reference_data")
    after = (Port.objects.count(), HSCode.objects.count(), Country.objects.count(), IntegratedPortPair.objects.count())
    assert before == after
    assert counts["hs_codes"] == HSCode.objects.count()
    assert "hs_codes:" in capsys.readouterr().out


def test_a_changed_file_row_updates_the_table(monkeypatch):
    from portal import reference

    original = reference.read_rows

    def renamed(name):
        rows = original(name)
        if name == "ports.csv":
            for row in rows:
                if row["locode"] == "CNSUD":
                    row["name_en"] = "Shunde New Port"
        return rows

    monkeypatch.setattr(reference, "read_rows", renamed)
    reference_data_load()
    assert Port.objects.get(locode="CNSUD").name_en == "Shunde New Port"
