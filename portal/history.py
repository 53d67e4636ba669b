"""django-simple-history, with the cost it adds to every save of a tracked model cut."""

import functools
from collections.abc import Sequence

from django.db import DatabaseError, connection, models
from django.utils import timezone
from simple_history.manager import HistoryManager as LibraryHistoryManager


class HistoryManager(LibraryHistoryManager):
    """The library's manager, whose class is built once per queryset class.

    simple-history builds a new manager class (``from_queryset``, which inspects every method of
    the queryset) on each access to ``instance.history`` — and every save of a tracked row
    accesses it. Pass it as ``HistoricalRecords(history_manager=HistoryManager)`` on models
    saved on hot paths.
    """

    @classmethod
    @functools.cache
    def from_queryset(cls, queryset_class, class_name=None):
        return super().from_queryset(queryset_class, class_name)


HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


@functools.cache
def _write_sql(model: type[models.Model], columns: tuple[str, ...], adding: bool) -> str:
    """The statement that writes ``columns`` of one row (an INSERT, or an UPDATE by primary key) and, from the
    row as written, its history row: the tracked columns, then :data:`HISTORY_COLUMNS` as parameters."""
    table, history = model._meta.db_table, model.history.model._meta.db_table
    tracked = ", ".join(f'"{field.column}"' for field in model.history.model.tracked_fields)
    if adding:
        names = ", ".join(f'"{column}"' for column in columns)
        write = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(columns))})'  # noqa: S608
    else:
        assignments = ", ".join(f'"{column}" = %s' for column in columns)
        write = f'UPDATE "{table}" SET {assignments} WHERE "{model._meta.pk.column}" = %s'  # noqa: S608
    return (
        f"WITH written AS ({write} RETURNING {tracked}), "  # noqa: S608 — the model's own table and columns
        f'recorded AS (INSERT INTO "{history}" ({tracked}, {", ".join(HISTORY_COLUMNS)}) '
        f"SELECT {tracked}, %s, %s, %s, %s FROM written) "
        f'SELECT "{model._meta.pk.column}" FROM written'
    )


def save_with_history(instance: models.Model, *, update_fields: Sequence[str] | None = None) -> None:
    """``instance.save(update_fields=…)`` and the history row simple-history would add, in one statement.

    On the hot paths every transition of a declaration saves it and records its history: through the ORM that
    is two statements, each compiled, and a historical instance built from every field. Here the history row
    is copied by PostgreSQL from the row as written (``RETURNING``), with the user and change reason the
    caller left on the instance (``_history_user``, ``_change_reason``, ``_history_date``), as simple-history
    reads them. (Of a field changed on the instance but not among ``update_fields``, simple-history would
    record the unsaved value; this records the stored one.) Fields are prepared as ``save`` prepares them
    (``pre_save``: ``auto_now``, defaults already set). Elsewhere, or for an instance without
    ``_history_user``, it is ``save`` itself. No ``pre_save``/``post_save`` signal is sent: callers use it for
    models nothing else listens to.
    """
    model = type(instance)
    if connection.vendor != "postgresql" or not hasattr(instance, "_history_user"):
        instance.save(update_fields=update_fields)
        return
    adding = instance._state.adding
    pk = model._meta.pk
    if adding:
        fields = [field for field in model._meta.concrete_fields if not (field is pk and instance.pk is None)]
    elif update_fields is None:
        fields = [field for field in model._meta.concrete_fields if field is not pk]
    else:
        fields = [model._meta.get_field(name) for name in update_fields]
    values = [field.get_db_prep_save(field.pre_save(instance, adding), connection) for field in fields]
    if not adding:
        values.append(instance.pk)
    user = instance._history_user
    reason = getattr(instance, "_change_reason", None)
    when = getattr(instance, "_history_date", None) or timezone.now()
    history = [when, reason, "+" if adding else "~", user.pk if user is not None else None]
    with connection.cursor() as cursor:
        cursor.execute(_write_sql(model, tuple(field.column for field in fields), adding), [*values, *history])
        row = cursor.fetchone()
    if row is None:
        raise DatabaseError("Save with update_fields did not affect any rows.")
    if adding:
        setattr(instance, pk.attname, row[0])
        instance._state.adding = False
        instance._state.db = connection.alias
