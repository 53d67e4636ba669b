"""Reading rows on hot paths without the ORM's query compiler, and leaving rows a service has
already read or written on an instance, as ``prefetch_related`` would.

On the declarations API's hot path the ORM spent more time compiling each SELECT than
PostgreSQL spent answering it (docs/BENCHMARKS.md, issue 4's figure). ``rows_read`` takes
plain SQL over a model's table (its columns named by ``columns_sql``, model after model over a join) and builds
the instances itself: on PostgreSQL psycopg2 already returns Python values, so only a field's
own ``from_db_value`` (e.g. ``JSONField``) is applied; elsewhere it falls back to Django's
``raw()`` (one model) or returns ``None`` (a join) so the caller uses the ORM.
"""

from collections.abc import Iterable, Sequence
from functools import cache

from django.db import connection, models


def prefetched_set(instance: models.Model, name: str, rows: Iterable[models.Model]) -> None:
    """Make ``instance.<name>.all()`` answer ``rows`` without a query (its prefetch cache).

    ``rows`` must be exactly what the database holds for that relation, in the relation's
    order: callers pass rows they have just read from it or written to it.
    """
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


@cache
def _columns(model: type[models.Model]) -> dict[str, models.Field]:
    return {field.column: field for field in model._meta.concrete_fields}


def _instance(model: type[models.Model], names: Sequence[str], values: Sequence) -> models.Model:
    fields = _columns(model)
    by_attname = {}
    for name, value in zip(names, values, strict=True):
        field = fields[name]
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        by_attname[field.attname] = value
    # from_db takes the values in the model's field order (a table's column order may differ).
    return model.from_db(connection.alias, None, [by_attname[field.attname] for field in model._meta.concrete_fields])


def rows_read(
    models_: Sequence[type[models.Model]], sql: str, params: Sequence
) -> list[tuple[models.Model, ...]] | None:
    """Each row of ``sql`` as one instance per model, its columns in the order of ``models_``.

    The SQL selects each model's columns, model after model (``columns_sql``). Returns ``None``
    off PostgreSQL when there are several models (use the ORM then).
    """
    if connection.vendor != "postgresql":
        if len(models_) > 1:
            return None
        return [(row,) for row in models_[0].objects.raw(sql, params)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    result = []
    for row in rows:
        instances, start = [], 0
        for model in models_:
            end = start + len(_columns(model))
            instances.append(_instance(model, names[start:end], row[start:end]))
            start = end
        result.append(tuple(instances))
    return result


def columns_sql(model: type[models.Model], alias: str = "") -> str:
    """The model's columns for ``rows_read``'s SELECT, named one by one (``SELECT *`` would also
    return a column a newer migration added while this process still runs the older code)."""
    prefix = f'"{alias}".' if alias else ""
    return ", ".join(f'{prefix}"{field.column}"' for field in model._meta.concrete_fields)


def instances_read(model: type[models.Model], sql: str, params: Sequence) -> list[models.Model]:
    """The rows of ``sql`` (``SELECT <columns_sql(model)>`` of the model's table) as instances of ``model``."""
    return [row[0] for row in rows_read([model], sql, params)]


def instances_insert(*groups: Sequence[models.Model]) -> bool:
    """Insert new instances, each group of one model, in one statement on PostgreSQL; ``False`` elsewhere.

    What ``bulk_create`` of each group would write (every concrete field but the primary key, prepared as
    ``save`` prepares it), as ``INSERT … SELECT FROM unnest(…)`` of column arrays, one per group in one
    round trip; each instance gets its primary key and is marked as stored. For models of plain columns
    (no JSON, no field computed by the database but the key). Elsewhere nothing is written: the caller
    uses ``bulk_create``.
    """
    if connection.vendor != "postgresql":
        return False
    groups = [rows for rows in groups if rows]
    if not groups:
        return True
    quote = connection.ops.quote_name
    parts, params = [], []
    for number, rows in enumerate(groups):
        model = type(rows[0])
        pk = model._meta.pk
        fields = [field for field in model._meta.concrete_fields if field is not pk]
        casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        columns = ", ".join(quote(field.column) for field in fields)
        parts.append(
            f"group{number} AS (INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 — model's names
            f"SELECT * FROM unnest({casts}) RETURNING {quote(pk.column)})"
        )
        params += [[field.get_db_prep_save(field.pre_save(row, True), connection) for row in rows] for field in fields]
    # The keys come from the table's sequence, taken row after row in the arrays' order: sorted, they are
    # the rows' keys in the order given.
    keys = ", ".join(
        f"(SELECT array_agg({column} ORDER BY {column}) FROM group{number})"  # noqa: S608
        for number, column in enumerate(quote(type(rows[0])._meta.pk.column) for rows in groups)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {keys}", params)
        written = cursor.fetchone()
    for rows, ids in zip(groups, written, strict=True):
        for row, pk_value in zip(rows, ids, strict=True):
            row.pk = pk_value
            row._state.adding, row._state.db = False, connection.alias
    return True
