"""Form widgets of the portal's own, where Django's differ only in cost."""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _attributes(attrs: dict) -> str:
    """`` name="value"`` for each attribute as Django's ``attrs.html`` writes them: ``True`` as the bare name,
    ``False`` left out, in their order (``django.forms.utils.flatatt`` moves the bare names to the end)."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    """A ``<select>`` whose markup is written in Python instead of through Django's widget templates.

    Django renders each option through a template include: the officers' queue filters (4 selects, 48 options
    with the benchmark's traders) took 8.8 ms to render with Django's selects and 5.5 ms with this, the
    trader query included (`python -m tests.benchmarks rendering`). The context (options, selected,
    attributes, the ``aria-*`` a bound field adds) is Django's own ``get_context``; only the writing out is
    done here.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{conditional_escape(group_name)}">')
            parts.extend(
                f'<option value="{conditional_escape(option["value"])}"{_attributes(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>"
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every name, value and label is escaped above
