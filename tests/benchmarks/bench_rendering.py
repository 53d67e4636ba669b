"""Rendering figures: what the portal's own pieces cost against the Django ones they replace on officer pages."""

from __future__ import annotations

import re
import timeit
from datetime import UTC, datetime

from .support import median, spread

ROUNDS = 7  # the two sides alternate in each round; each side's figure is the median of its rounds

NOTES = f"""
How the rendering figures are taken (`tests/benchmarks/bench_rendering.py`): in one process, the Django
way and the portal's way of writing the same output alternate, {ROUNDS} rounds; each round times a
batch of each and keeps the best of 3 batches; each figure is the median of the rounds, and the ratio
is portal / Django within each round. They are the costs that `portal.choices.choice_label`,
`portal.widgets.Select` and `{{% port_time %}}` (`portal.templatetags.portal_tags`) give in their
docstrings.

- **status label**: a declaration's `get_status_display()` (the portal's look-up) against Django's
  generated method on the same field (`Model._get_FIELD_display`), with English active.
- **queue filter form**: the officers' queue filters (`QueueFilterForm`, every field through
  `declarations/_field.html`, as on the queue page) with the portal's `Select` against the same form
  with Django's `forms.Select` on the four select fields; the options are the bench database's
  traders, lanes, statuses and warning codes; each render includes the form's query for the traders,
  on both sides.
- **local time**: `{{% port_time moment %}}` against the two `date` filters and the `timezone` filter it
  replaced, one aware moment per render.
"""


def _best(call, number: int) -> float:
    """Seconds per call: the best of 3 batches of ``number`` calls."""
    return min(timeit.repeat(call, number=number, repeat=3)) / number


def _compare(name: str, unit: str, scale: float, django_call, portal_call, number: int, what: str) -> list[dict]:
    django_times, portal_times, ratios = [], [], []
    for _round in range(ROUNDS):
        django_time = _best(django_call, number)
        portal_time = _best(portal_call, number)
        django_times.append(django_time * scale)
        portal_times.append(portal_time * scale)
        ratios.append(portal_time / django_time)
    return [
        {
            "name": f"{name}, Django's",
            "value": round(median(django_times), 2),
            "unit": unit,
            "target": "",
            "ok": None,
            "repeats": ROUNDS,
            "note": f"{spread(django_times, 2)}; {what}",
        },
        {
            "name": f"{name}, the portal's",
            "value": round(median(portal_times), 2),
            "unit": unit,
            "target": "",
            "ok": None,
            "repeats": ROUNDS,
            "note": f"{spread(portal_times, 2)}; {what}",
        },
        {
            "name": f"{name}, portal / Django",
            "value": round(median(ratios), 2),
            "unit": "×",
            "target": "< 1",
            "ok": median(ratios) < 1,
            "repeats": ROUNDS,
            "note": f"within each round {min(ratios):.2f}–{max(ratios):.2f}",
        },
    ]


def _status_label() -> list[dict]:
    from declarations.choices import Status
    from declarations.models import Declaration

    declaration = Declaration(status=Status.UNDER_REVIEW)
    field = Declaration._meta.get_field("status")
    return _compare(
        "status label",
        "µs",
        1e6,
        lambda: declaration._get_FIELD_display(field),
        declaration.get_status_display,
        2000,
        f"one call; {len(Status.choices)} statuses",
    )


def _queue_filter_form() -> list[dict]:
    from django import forms
    from django.template import engines

    from declarations.forms_queue import QueueFilterForm
    from portal.widgets import Select

    template = engines["django"].from_string(
        '{% for field in filter_form %}{% include "declarations/_field.html" %}{% endfor %}'
    )
    select_fields = [name for name, field in QueueFilterForm.base_fields.items() if isinstance(field.widget, Select)]

    class DjangoSelectsForm(QueueFilterForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name in select_fields:  # the form's own deep copies: the class's fields are left alone
                self.fields[name].widget = forms.Select(choices=self.fields[name].choices)

    def rendered(form_class):
        form = form_class({"lane": "green"})
        form.is_valid()
        return template.render({"filter_form": form})

    def markup(html: str) -> str:  # Django's select templates put line breaks and indentation between the tags
        return re.sub(r">\s+<", "><", html)

    if markup(rendered(DjangoSelectsForm)) != markup(rendered(QueueFilterForm)):
        raise AssertionError("the two forms must write the same markup for the comparison to mean anything")
    options = sum(len(list(QueueFilterForm().fields[name].choices)) for name in select_fields)
    return _compare(
        "queue filter form",
        "ms",
        1e3,
        lambda: rendered(DjangoSelectsForm),
        lambda: rendered(QueueFilterForm),
        30,
        f"the whole form rendered; {len(select_fields)} selects with {options} options",
    )


def _local_time() -> list[dict]:
    from django.template import engines

    engine = engines["django"]
    django_way = engine.from_string(
        "{% load tz %}<time datetime=\"{{ moment|date:'c' }}\">"
        '{{ moment|timezone:"Asia/Shanghai"|date:"Y-m-d H:i" }}</time>'
    )
    portal_way = engine.from_string("{% load portal_tags %}{% port_time moment %}")
    context = {"moment": datetime(2026, 11, 21, 17, 45, 30, 123456, tzinfo=UTC)}
    if django_way.render(context) != portal_way.render(context):
        raise AssertionError("port_time must write what the filters wrote")
    return _compare(
        "local time of a moment",
        "µs",
        1e6,
        lambda: django_way.render(context),
        lambda: portal_way.render(context),
        2000,
        "one moment rendered",
    )


def run() -> list[dict]:
    from django.utils import translation

    from tests.benchmarks.support import bench_users

    bench_users()  # the demo traders, so the trader select has options
    with translation.override("en"):
        return [*_status_label(), *_queue_filter_form(), *_local_time()]
