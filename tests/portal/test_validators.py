import pytest
from django.core.exceptions import ValidationError

from portal.validators import uscc_check_character, validate_uscc


@pytest.mark.parametrize("code", ["914403001922038216", "91440300708461136T"])
def test_real_unified_social_credit_codes_are_valid(code):
    validate_uscc(code)


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("914403001922038217")
    assert "should be 6, not 7" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("91440300192203821", "18 characters"), ("9144030019220382I6", "“I” cannot appear")],
)
def test_malformed_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code)
    assert fragment in excinfo.value.messages[0]


def test_check_character_uses_the_31_character_alphabet():
    # A remainder of 0 maps to "0", never to "31".
    assert all(len(uscc_check_character(f"9144030019220{n:04d}")) == 1 for n in range(500))
