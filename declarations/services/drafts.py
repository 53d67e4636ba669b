"""Writing declarations while the trader may still change them: drafts and amendments."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField
from django.utils.translation import gettext as _

from portal.exceptions import TransitionNotAllowed
from portal.history import save_with_history
from portal.models import User
from portal.rows import instances_insert, prefetched_set

from ..choices import EDITABLE
from ..models import Declaration, DeclarationContainer, DeclarationItem
from ..validators import normalise_container_number
from .access import declaration_for_trader_update
from .validation import ITEM_FIELDS, ReferenceTables, declaration_errors

HEADER_FIELDS = [
    "direction",
    "procedure",
    "origin_port",
    "transfer_port",
    "foreign_port",
    "transport_document_number",
    "consignor_name",
    "consignor_address",
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "incoterm",
    "invoice_currency",
]
FOREIGN_KEYS = {"origin_port", "transfer_port", "foreign_port", "consignee_country", "invoice_currency"}
CONTAINER_VALUES = ["number", "size_type", "seal_number", "temperature_min", "temperature_max"]


def _checked_tables(header: dict, items: list[dict], containers: list[dict], *, complete: bool) -> ReferenceTables:
    """The input's reference rows, read once; raises ``ValidationError`` if the input breaks a rule."""
    tables = ReferenceTables(header, items)
    if errors := declaration_errors(header, items, containers, complete=complete, tables=tables):
        raise ValidationError(errors)
    return tables


def _apply(
    declaration: Declaration,
    header: dict,
    items: list[dict],
    containers: list[dict],
    tables: ReferenceTables | None = None,
) -> None:
    """Write header, items and containers; items and containers are replaced as a whole (bulk).

    ``tables`` are the reference rows the validation just read (looked up here when not given).
    The written items (with their HS code rows), containers and, for a new declaration, its
    empty list of documents are left on the instance as prefetched, so whoever presents or
    summarises it next does not read them back.
    """
    tables = tables if tables is not None else ReferenceTables(header, items)
    adding = declaration._state.adding
    for name in HEADER_FIELDS:
        value = header.get(name)
        if name in FOREIGN_KEYS:
            if name.endswith("_port"):
                setattr(declaration, name, tables.ports.get(value) if value else None)
            else:
                setattr(declaration, f"{name}_id", value or None)
        elif value is not None:
            setattr(declaration, name, value)
    declaration.item_count = len(items)
    declaration.container_count = len(containers)
    declaration.total_packages = sum(item.get("packages") or 0 for item in items)
    declaration.total_gross_mass = sum((item.get("gross_mass") or Decimal(0) for item in items), Decimal(0))
    declaration.total_net_mass = sum((item.get("net_mass") or Decimal(0) for item in items), Decimal(0))
    declaration.total_value = sum((item.get("value") or Decimal(0) for item in items), Decimal(0))
    save_with_history(declaration)

    if not adding:  # a new declaration has no rows to replace
        declaration.items.all().delete()
        declaration.containers.all().delete()
    written_items = [
        DeclarationItem(
            declaration=declaration,
            line_number=index + 1,
            hs_code_id=item["hs_code"],
            description=item["description"],
            origin_country_id=item["origin_country"],
            **{name: item[name] for name in ITEM_FIELDS if name not in {"hs_code", "description", "origin_country"}},
        )
        for index, item in enumerate(items)
    ]
    written_containers = [
        DeclarationContainer(declaration=declaration, **{name: container.get(name) for name in CONTAINER_VALUES})
        for container in containers
    ]
    if not instances_insert(written_items, written_containers):  # one statement on PostgreSQL
        DeclarationItem.objects.bulk_create(written_items)
        DeclarationContainer.objects.bulk_create(written_containers)
    _remember_written(declaration, written_items, written_containers, tables, adding=adding)


def _remember_written(
    declaration: Declaration,
    items: list[DeclarationItem],
    containers: list[DeclarationContainer],
    tables: ReferenceTables,
    *,
    adding: bool,
) -> None:
    """Leave the rows just written on the instance as the database now holds them (its prefetch cache).

    Only where the database gave the new rows their ids (PostgreSQL); elsewhere the next read
    goes to the database as before. Decimals take their column's scale, as read back (a quantity
    given as ``40`` is stored and read as ``40.000``).
    """
    if any(row.pk is None for row in [*items, *containers]):
        return
    for rows, model in ((items, DeclarationItem), (containers, DeclarationContainer)):
        for field in model._meta.concrete_fields:
            if isinstance(field, DecimalField):
                exponent = Decimal(1).scaleb(-field.decimal_places)
                for row in rows:
                    if (value := getattr(row, field.attname)) is not None:
                        setattr(row, field.attname, Decimal(value).quantize(exponent))
    for item in items:
        if (hs_code := tables.hs_codes.get(item.hs_code_id)) is not None:
            item.hs_code = hs_code
    prefetched = {"items": items, "containers": containers}
    if adding:
        prefetched["documents"] = []
    for name, rows in prefetched.items():
        prefetched_set(declaration, name, rows)


def _normalised(items: list[dict], containers: list[dict]) -> tuple[list[dict], list[dict]]:
    containers = [
        {
            **container,
            "number": normalise_container_number(container.get("number") or ""),
            "seal_number": (container.get("seal_number") or "").strip(),
            "size_type": (container.get("size_type") or "").strip().upper(),
        }
        for container in containers
    ]
    return [dict(item) for item in items], containers


def _require_complete_rows(items: list[dict], containers: list[dict]) -> None:
    """Stored rows cannot be half-empty even in a draft: a row is either complete or left out."""
    errors = {}
    for index, item in enumerate(items):
        for name in ITEM_FIELDS:
            if item.get(name) in (None, ""):
                errors.setdefault(f"items.{index}.{name}", []).append(_("This field is required."))
    for index, container in enumerate(containers):
        for name in ("number", "size_type", "seal_number"):
            if not container.get(name):
                errors.setdefault(f"containers.{index}.{name}", []).append(_("This field is required."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def declaration_create_draft(
    *, actor: User, header: dict, items: list[dict] = (), containers: list[dict] = ()
) -> Declaration:
    """Create a draft for the actor's organisation.

    Requires a trader. Present values must be valid; missing ones may be filled in later.
    Items and containers are written in bulk (a constant number of queries).
    """
    return draft_write(actor=actor, header=header, items=items, containers=containers)


def draft_write(*, actor: User, header: dict, items: list[dict] = (), containers: list[dict] = ()) -> Declaration:
    """``declaration_create_draft`` without its own transaction, for a service that goes on in the caller's."""
    from .access import require_trader

    require_trader(actor)
    items, containers = _normalised(list(items), list(containers))
    tables = _checked_tables(header, items, containers, complete=False)
    _require_complete_rows(items, containers)
    declaration = Declaration(declarant=actor.organisation, created_by=actor)
    declaration._history_user = actor
    _apply(declaration, header, items, containers, tables)
    return declaration


@transaction.atomic
def declaration_update_draft(
    *, actor: User, declaration_id: int, header: dict, items: list[dict], containers: list[dict]
) -> Declaration:
    """Replace the content of a draft, or of a declaration whose amendment customs requested.

    Locks the declaration so a concurrent submit cannot interleave with the edit.
    """
    declaration = declaration_for_trader_update(actor=actor, declaration_id=declaration_id)
    if declaration.status not in EDITABLE:
        raise TransitionNotAllowed(
            _("Declaration %(reference)s is %(status)s and can no longer be changed.")
            % {"reference": declaration, "status": declaration.get_status_display()}
        )
    items, containers = _normalised(items, containers)
    tables = _checked_tables(header, items, containers, complete=False)
    _require_complete_rows(items, containers)
    declaration._history_user = actor
    _apply(declaration, header, items, containers, tables)
    return declaration


@transaction.atomic
def declaration_copy(*, actor: User, declaration_id: int) -> Declaration:
    """A new draft with the same route, parties and goods items as one the actor's organisation filed.

    Containers are not copied: a repeat shipment travels in other boxes under other seals.
    """
    from .access import declaration_for_trader

    source = declaration_for_trader(actor=actor, declaration_id=declaration_id)
    items = [declaration_item_values(item) for item in source.items.all()]
    copy = Declaration(declarant=actor.organisation, created_by=actor)
    copy._history_user = actor
    _apply(copy, declaration_header(source), items, [])
    return copy


def declaration_header(declaration: Declaration) -> dict:
    """The header of a stored declaration in the input form the services take."""
    values = {name: getattr(declaration, name) for name in HEADER_FIELDS if name not in FOREIGN_KEYS}
    values.update(
        {
            "origin_port": declaration.origin_port.locode if declaration.origin_port_id else None,
            "transfer_port": declaration.transfer_port.locode if declaration.transfer_port_id else None,
            "foreign_port": declaration.foreign_port.locode if declaration.foreign_port_id else None,
            "consignee_country": declaration.consignee_country_id,
            "invoice_currency": declaration.invoice_currency_id,
        }
    )
    return values


def declaration_item_values(item: DeclarationItem) -> dict:
    return {
        "hs_code": item.hs_code_id,
        "description": item.description,
        "origin_country": item.origin_country_id,
        "quantity": item.quantity,
        "unit": item.unit,
        "packages": item.packages,
        "gross_mass": item.gross_mass,
        "net_mass": item.net_mass,
        "value": item.value,
    }


def declaration_container_values(container: DeclarationContainer) -> dict:
    return {name: getattr(container, name) for name in CONTAINER_VALUES}
