"""Pure validators shared by forms, serializers and services."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: the 31 characters of the code (no I, O, S, V, Z) and the weights
# 3^i mod 31 of positions 1–17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first_17: str) -> str:
    """The check character of a Unified Social Credit Code's first 17 characters."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first_17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Raise ValidationError unless ``value`` is an 18-character USCC with a correct check character."""
    if len(value) != 18:
        raise ValidationError(
            _("A Unified Social Credit Code has 18 characters; this one has %(count)d."),
            code="uscc_length",
            params={"count": len(value)},
        )
    bad = [char for char in value if char not in USCC_ALPHABET]
    if bad:
        raise ValidationError(
            _("“%(char)s” cannot appear in a Unified Social Credit Code (letters I, O, S, V, Z are not used)."),
            code="uscc_character",
            params={"char": bad[0]},
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        raise ValidationError(
            _("The check character of this Unified Social Credit Code should be %(expected)s, not %(actual)s."),
            code="uscc_check",
            params={"expected": expected, "actual": value[17]},
        )
