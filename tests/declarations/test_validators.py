import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from declarations.validators import iso6346_check_digit, validate_container_number

KNOWN_VALID = ["CSQU3054383", "MSKU1234565", "TGHU1234567", "MAEU5201221"]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_container_numbers_are_valid(number):
    validate_container_number(number)


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_every_wrong_check_digit_is_refused_with_the_right_one_named(number):
    right = number[10]
    for digit in "0123456789":
        if digit == right:
            continue
        with pytest.raises(ValidationError) as excinfo:
            validate_container_number(number[:10] + digit)
        assert f"it must be {right}" in excinfo.value.messages[0]


@pytest.mark.parametrize("number", ["CSQ3054383", "CSQA3054383", "CSQU305438X", "1SQU3054383", ""])
def test_malformed_numbers_are_refused(number):
    with pytest.raises(ValidationError) as excinfo:
        validate_container_number(number)
    assert excinfo.value.code == "container_format"


def test_spaces_and_lower_case_are_tolerated():
    validate_container_number("csqu 305438-3")


@given(
    owner=st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    category=st.sampled_from("UJZ"),
    serial=st.integers(min_value=0, max_value=999_999),
)
def test_the_computed_check_digit_always_validates(owner, category, serial):
    first_ten = f"{owner}{category}{serial:06d}"
    validate_container_number(first_ten + str(iso6346_check_digit(first_ten)))
