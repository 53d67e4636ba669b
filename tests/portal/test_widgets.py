import re

import pytest
from django import forms

from portal.models import Organisation
from portal.widgets import Select
from tests.factories import OrganisationFactory

CHOICES = [
    ("", "Any"),
    ("a&b", 'Fish "&" chips <b>'),
    ("Groups", [("g1", "First of a group"), ("g2", "Second")]),
    (3, "Three"),
]


def markup(html: str) -> str:
    """The markup without the line breaks and indentation Django's templates put between the tags."""
    return re.sub(r">\s+<", "><", str(html)).strip()


class ChoiceForm(forms.Form):
    django_select = forms.ChoiceField(choices=CHOICES, help_text="Pick one.")
    portal_select = forms.ChoiceField(choices=CHOICES, help_text="Pick one.", widget=Select)


@pytest.mark.parametrize(
    "data",
    [
        {},  # unbound: nothing selected
        {"django_select": "g2", "portal_select": "g2"},  # an option inside a group selected
        {"django_select": "nope", "portal_select": "nope"},  # invalid: aria-invalid and the error's id
    ],
)
def test_select_writes_the_markup_django_s_templates_write(data):
    form = ChoiceForm(data or None)
    form.is_valid()
    django_html = markup(form["django_select"]).replace("django_select", "FIELD")
    portal_html = markup(form["portal_select"]).replace("portal_select", "FIELD")
    assert portal_html == django_html
    assert "&quot;&amp;&quot; chips &lt;b&gt;" in portal_html  # labels and values escaped


def test_select_of_model_choices_gives_the_primary_keys_as_values(db):
    traders = OrganisationFactory.create_batch(2)
    field = forms.ModelChoiceField(queryset=Organisation.objects.filter(pk__in=[t.pk for t in traders]), widget=Select)
    html = field.widget.render("trader", traders[1].pk)
    assert html.count("<option") == 3  # the empty choice and the two
    assert f'<option value="{traders[0].pk}">{traders[0]}</option>' in html
    assert f'<option value="{traders[1].pk}" selected>{traders[1]}</option>' in html
