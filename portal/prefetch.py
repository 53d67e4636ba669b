"""Leaving rows a service has already read or written on an instance, as ``prefetch_related`` would."""

from collections.abc import Iterable

from django.db import models


def prefetched_set(instance: models.Model, name: str, rows: Iterable[models.Model]) -> None:
    """Make ``instance.<name>.all()`` answer ``rows`` without a query (its prefetch cache).

    ``rows`` must be exactly what the database holds for that relation, in the relation's
    order: callers pass rows they have just read from it or written to it.
    """
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
