"""Loading the reference tables (ports, countries, currencies, HS codes) from the CSV files
in ``portal/reference_data/``; their sources are in ``SOURCES.md`` there.

Loading is an upsert, so running it again changes nothing unless the files changed. It
takes an app registry so the data migration and the management command share it.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "reference_data"


def read_rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def hs_parent_code(code: str) -> str | None:
    """The code one level up: chapter of a heading, heading of a subheading, subheading of a national line."""
    if len(code) == 2:
        return None
    if len(code) == 4:
        return code[:2]
    if len(code) == 6:
        return code[:4]
    return code[:6]


def _decimal_or_none(value: str) -> Decimal | None:
    return Decimal(value) if value else None


def _upsert(model, objects: list, unique_fields: list[str]) -> int:
    update_fields = [
        field.name for field in model._meta.concrete_fields if not field.primary_key and field.name not in unique_fields
    ]
    model.objects.bulk_create(
        objects, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields, batch_size=500
    )
    return len(objects)


@transaction.atomic
def reference_data_load(apps=None) -> dict[str, int]:
    """Upsert every reference table from the CSV files; returns the row count per table."""
    if apps is None:
        from django.apps import apps as installed_apps

        apps = installed_apps
    Country = apps.get_model("portal", "Country")
    Currency = apps.get_model("portal", "Currency")
    Port = apps.get_model("portal", "Port")
    IntegratedPortPair = apps.get_model("portal", "IntegratedPortPair")
    HSCode = apps.get_model("portal", "HSCode")
    counts = {}

    counts["countries"] = _upsert(
        Country,
        [
            Country(
                alpha2=r["alpha2"], alpha3=r["alpha3"], numeric=r["numeric"], name_en=r["name_en"], name_zh=r["name_zh"]
            )
            for r in read_rows("countries.csv")
        ],
        ["alpha2"],
    )
    counts["currencies"] = _upsert(
        Currency,
        [
            Currency(
                code=r["code"],
                numeric=r["numeric"],
                name_en=r["name_en"],
                name_zh=r.get("name_zh", ""),
                minor_units=int(r["minor_units"]) if r["minor_units"].isdigit() else None,
            )
            for r in read_rows("currencies.csv")
        ],
        ["code"],
    )
    counts["ports"] = _upsert(
        Port,
        [
            Port(
                locode=r["locode"],
                name_en=r["name_en"],
                name_zh=r["name_zh"],
                country_id=r["country"],
                timezone=r["timezone"],
                kind=r["kind"],
            )
            for r in read_rows("ports.csv")
        ],
        ["locode"],
    )
    port_ids = dict(Port.objects.values_list("locode", "id"))
    for row in read_rows("integrated_port_pairs.csv"):
        IntegratedPortPair.objects.update_or_create(
            river_port_id=port_ids[row["river_port"]],
            hub_port_id=port_ids[row["hub_port"]],
            defaults={"name_en": row["name_en"], "name_zh": row["name_zh"], "since": row["since"] or None},
        )
    counts["integrated_port_pairs"] = IntegratedPortPair.objects.count()

    hs_rows = sorted(read_rows("hs_codes.csv"), key=lambda r: (len(r["code"]), r["code"]))
    parents = {hs_parent_code(r["code"]) for r in hs_rows}
    # Parents first (sorted by length), so each level's foreign keys already exist.
    for level in sorted({len(r["code"]) for r in hs_rows}):
        _upsert(
            HSCode,
            [
                HSCode(
                    code=r["code"],
                    parent_id=hs_parent_code(r["code"]),
                    description_en=r["description_en"],
                    description_zh=r["description_zh"],
                    is_leaf=r["code"] not in parents,
                    sensitive_reason=r["sensitive_reason"],
                    sensitive_note=r["sensitive_note"],
                    unit_value_min=_decimal_or_none(r["unit_value_min"]),
                    unit_value_max=_decimal_or_none(r["unit_value_max"]),
                    value_unit=r["value_unit"],
                )
                for r in hs_rows
                if len(r["code"]) == level
            ],
            ["code"],
        )
    counts["hs_codes"] = len(hs_rows)
    # Bulk upserts send no signals: drop this process's cached tables now and once committed.
    from portal.reference_cache import reference_cache_clear

    reference_cache_clear()
    transaction.on_commit(reference_cache_clear)
    return counts
