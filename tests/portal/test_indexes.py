"""On the tables written with every declaration, record and verification: no index another index makes redundant, and
none on the foreign keys nothing reads by (``declarations.models.declaration``'s UNINDEXED_FOREIGN_KEYS). Every index is
written on every insert of its table and on every update of an indexed column, so each must serve a read."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]

# The tables the load's requests and the verification worker write (bench_cost's day).
WRITTEN_ON_EVERY_FILING = (
    "declarations.Declaration",
    "declarations.HistoricalDeclaration",
    "declarations.DeclarationItem",
    "declarations.DeclarationContainer",
    "declarations.ContainerEvent",
    "declarations.SensorReading",
    "declarations.Manifest",
    "declarations.ManifestLine",
    "declarations.VerificationRequest",
    "declarations.VerificationRun",
    "declarations.VerificationWarning",
    "portal.Notification",
    "portal.IdempotencyKey",
    "portal.LedgerEntry",
    "portal.LedgerNode",
)
# Foreign keys that nothing reads rows by (a referenced row is deleted only by an administrator's clean-up of reference
# data, which then scans the table): no index may lead with them.
UNREAD_FOREIGN_KEYS = {
    "declarations_declaration": {"foreign_port_id", "consignee_country_id", "invoice_currency_id", "created_by_id"},
    "declarations_declarationitem": {"hs_code_id", "origin_country_id"},
    "declarations_containerevent": {"port_id"},
}


def indexes() -> list[tuple[str, str, bool, bool, list[str]]]:
    """(table, index, unique, partial, key columns as PostgreSQL prints them: opclass and order included)."""
    tables = [apps.get_model(label)._meta.db_table for label in WRITTEN_ON_EVERY_FILING]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, "
            # Each key column as written, with its operator class where it is not the default one (the
            # ``varchar_pattern_ops`` twin of a text key serves other reads) and its order.
            "array(SELECT pg_get_indexdef(x.indexrelid, k, true)"
            " || CASE WHEN o.opcdefault THEN '' ELSE ' ' || o.opcname END"
            " || CASE WHEN x.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END"
            " FROM generate_series(1, x.indnkeyatts) k JOIN pg_opclass o ON o.oid = x.indclass[k - 1] ORDER BY k) "
            "FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE t.relname = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        return [(table, name, unique, partial, list(keys)) for table, name, unique, partial, keys in cursor.fetchall()]


def redundant(found) -> list[str]:
    """Non-unique, non-partial indexes whose key columns lead another index of their table (which serves their reads)."""
    return [
        f"{table}.{name} {keys} leads {other}"
        for table, name, unique, partial, keys in found
        if not unique and not partial
        for other_table, other, _unique, other_partial, other_keys in found
        if other_table == table and other != name and not other_partial and other_keys[: len(keys)] == keys
    ]


def test_no_index_is_made_redundant_by_another():
    assert redundant(indexes()) == []


def test_no_index_leads_with_a_foreign_key_nothing_reads_by():
    leading = {(table, keys[0]) for table, _name, _unique, _partial, keys in indexes()}
    assert {(table, column) for table, columns in UNREAD_FOREIGN_KEYS.items() for column in columns} & leading == set()


def test_the_check_finds_a_redundant_index():
    # The rule itself: an index on (a) beside one on (a, b) is redundant; a unique one, a partial one, or one with
    # another operator class is not.
    found = [
        ("t", "a", False, False, ["a"]),
        ("t", "a_b", False, False, ["a", "b"]),
        ("t", "b_unique", True, False, ["b"]),
        ("t", "b_c", False, False, ["b", "c"]),
        ("t", "c_like", False, False, ["c varchar_pattern_ops"]),
        ("t", "c_d", False, False, ["c", "d"]),
        ("t", "d_partial", False, False, ["d"]),
        ("t", "d_e", False, True, ["d", "e"]),
        ("u", "a", False, False, ["a"]),
    ]
    assert redundant(found) == ["t.a ['a'] leads a_b"]
