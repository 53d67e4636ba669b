"""Pure validation rules for declarations, shared by forms, serializers and services."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTAINER_NUMBER = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")


def _letter_values() -> dict[str, int]:
    """ISO 6346 letter values: A=10 upwards, skipping the multiples of 11 (11, 22, 33)."""
    values, value = {}, 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


LETTER_VALUES = _letter_values()


def iso6346_check_digit(first_ten: str) -> int:
    """The check digit of an owner code, category, and serial number (10 characters)."""
    total = sum(
        (LETTER_VALUES[char] if char.isalpha() else int(char)) * (2**position)
        for position, char in enumerate(first_ten)
    )
    return total % 11 % 10


def normalise_container_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def validate_container_number(value: str) -> None:
    """ISO 6346: 3-letter owner code, category U/J/Z, 6-digit serial, check digit."""
    number = normalise_container_number(value)
    if not CONTAINER_NUMBER.match(number):
        raise ValidationError(
            _("“%(value)s” is not a container number: 4 letters (the 4th U, J or Z) then 7 digits, e.g. CSQU3054383."),
            code="container_format",
            params={"value": value},
        )
    expected = iso6346_check_digit(number[:10])
    if int(number[10]) != expected:
        raise ValidationError(
            _("The check digit of %(value)s is wrong: for %(prefix)s it must be %(expected)d."),
            code="container_check_digit",
            params={"value": number, "prefix": number[:10], "expected": expected},
        )


def validate_positive(value: Decimal) -> None:
    if value is not None and value <= 0:
        raise ValidationError(_("Must be greater than zero."), code="not_positive")


def validate_not_negative(value: Decimal) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("Must not be negative."), code="negative")
