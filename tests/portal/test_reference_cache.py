"""The in-memory reference tables: read once, dropped on change, and never the only word on a code."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from declarations.models import Declaration
from declarations.services.validation import declaration_errors
from portal import reference_cache
from portal.models import Country, HSCode, IntegratedPortPair, Port
from portal.reference_cache import reference_snapshot
from tests import factories

pytestmark = pytest.mark.django_db


def errors_of(data: dict) -> dict:
    return declaration_errors(data["header"], data["items"], data["containers"], complete=True)


def test_a_second_check_reads_no_reference_table():
    data = factories.declaration_input(items=3, containers=2)
    assert errors_of(data) == {}  # loads the snapshot

    with CaptureQueriesContext(connection) as queries:
        assert errors_of(data) == {}

    assert queries.captured_queries == []


def test_codes_added_by_another_process_are_accepted_at_once():
    reference_snapshot()  # this process's snapshot predates the rows below
    # bulk_create sends no signal, as a change made by another process would not reach this one.
    Country.objects.bulk_create([Country(alpha2="XQ", alpha3="XQQ", numeric="999", name_en="Testland")])
    HSCode.objects.bulk_create([HSCode(code="999991", parent_id="9403", description_en="Test goods")])
    Port.objects.bulk_create([Port(locode="XQAAA", name_en="Test port", country_id="XQ", timezone="UTC", kind="sea")])
    data = factories.declaration_input(items=1, containers=1, foreign_port="XQAAA", consignee_country="XQ")
    data["items"][0]["hs_code"] = "999991"

    assert errors_of(data) == {}


def test_a_pair_added_by_another_process_is_accepted_at_once():
    reference_snapshot()
    IntegratedPortPair.objects.all().delete()  # the delete signal drops the snapshot …
    reference_snapshot()  # … which is read again without any pair
    origin, transfer = Port.objects.get(locode="CNSUD"), Port.objects.get(locode="CNSHK")
    IntegratedPortPair.objects.bulk_create([IntegratedPortPair(river_port=origin, hub_port=transfer, name_en="Pair")])

    assert "transfer_port" not in errors_of(factories.declaration_input())


def test_a_change_made_in_this_process_drops_the_snapshot():
    leaf = HSCode.objects.get(code="940360")
    assert errors_of(factories.declaration_input()) == {}

    HSCode.objects.create(code="94036001", parent=leaf, description_en="A finer line")
    leaf.is_leaf = False
    leaf.save()

    assert "more detailed codes" in " ".join(errors_of(factories.declaration_input())["items.0.hs_code"])


def test_the_snapshot_expires(settings, monkeypatch):
    settings.REFERENCE_CACHE_SECONDS = 60
    first = reference_snapshot()
    assert reference_snapshot() is first

    monkeypatch.setattr(reference_cache.time, "monotonic", lambda: first.loaded_at + 61)

    assert reference_snapshot() is not first


def test_loading_the_reference_data_drops_the_snapshot():
    from portal.reference import reference_data_load

    first = reference_snapshot()
    reference_data_load()

    assert reference_snapshot() is not first


def test_a_read_overtaken_by_a_change_is_not_kept(monkeypatch):
    """A thread reading the tables while another changes one must not keep what it read."""
    read_ports = Port.objects.all

    def ports_then_a_change():
        rows = list(read_ports())
        reference_cache.reference_cache_clear()  # another thread saved a port meanwhile
        return rows

    monkeypatch.setattr(Port.objects, "all", ports_then_a_change)
    overtaken = reference_snapshot()
    monkeypatch.undo()

    assert reference_snapshot() is not overtaken


def test_ports_attached_from_the_snapshot_cost_no_query_and_equal_the_joined_ones():
    origin, transfer = Port.objects.get(locode="CNSUD"), Port.objects.get(locode="CNSHK")
    row = Declaration(origin_port_id=origin.pk, transfer_port_id=transfer.pk, foreign_port_id=None)
    reference_snapshot()

    with CaptureQueriesContext(connection) as queries:
        reference_cache.reference_ports_attach([row])
        attached = (row.origin_port, row.transfer_port, row.foreign_port)

    assert queries.captured_queries == []
    assert attached == (origin, transfer, None)


def test_a_port_added_by_another_process_is_attached_from_the_database():
    reference_snapshot()
    Port.objects.bulk_create([Port(locode="XQBBB", name_en="Newer port", country_id="CN", timezone="UTC", kind="sea")])
    newer = Port.objects.get(locode="XQBBB")
    rows = [Declaration(origin_port_id=newer.pk), Declaration(origin_port_id=newer.pk)]

    with CaptureQueriesContext(connection) as queries:
        reference_cache.reference_ports_attach(rows, ("origin_port",))

    assert len(queries.captured_queries) == 1
    assert [row.origin_port.locode for row in rows] == ["XQBBB", "XQBBB"]
