"""django-simple-history, with the cost it adds to every save of a tracked model cut."""

import functools

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
