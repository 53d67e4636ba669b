import pytest
from django.utils import translation

from declarations.choices import Lane, Status
from declarations.models import Declaration


def django_generated_display(declaration: Declaration, field_name: str) -> str:
    """What Django's own ``get_<field>_display()`` gives, which the model replaces with a cheaper look-up."""
    return declaration._get_FIELD_display(Declaration._meta.get_field(field_name))


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_declaration_status_and_lane_labels_are_django_s_own_in_every_language(language):
    with translation.override(language):
        for status in [*Status.values, "not-a-status"]:
            declaration = Declaration(status=status)
            assert declaration.get_status_display() == django_generated_display(declaration, "status")
        for lane in [*Lane.values, ""]:
            declaration = Declaration(lane=lane)
            assert declaration.get_lane_display() == django_generated_display(declaration, "lane")


def test_labels_are_translated_when_asked_not_when_the_model_is_loaded():
    declaration = Declaration(status=Status.UNDER_REVIEW)
    with translation.override("en"):
        english = declaration.get_status_display()
    with translation.override("zh-hans"):
        chinese = declaration.get_status_display()
    assert english == str(Status.UNDER_REVIEW.label) != chinese
