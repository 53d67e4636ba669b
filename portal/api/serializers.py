import copy

from rest_framework import serializers

from portal.models import Country, Currency, HSCode, Organisation, Port, User


def _shallow(field: serializers.Field) -> serializers.Field:
    clone = object.__new__(type(field))  # what copy.copy does, without its generic protocol
    clone.__dict__.update(field.__dict__)
    clone.__dict__.pop("fields", None)  # a serializer's fields (cached) are built for each copy
    return clone


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A field ready to bind to a new serializer, copied from a template that is never used itself.

    A plain field keeps nothing per use but what ``bind`` sets (name, parent), so a shallow copy
    is enough and costs a fraction of DRF's ``__deepcopy__`` (which re-runs ``__init__``). So is a
    nested serializer of this kind (its fields come from its own template when first used), or a
    list of them, whose child is copied and bound to the list. Anything else with a child (other
    serializers, list and many-to-many fields) is deep-copied, as DRF does.
    """
    if isinstance(field, FieldsBuiltOnce):
        return _shallow(field)
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, FieldsBuiltOnce):
        clone = _shallow(field)
        clone.child = _shallow(field.child)
        clone.child.parent = clone  # the rest of the child's binding (name, source) is the template's
        return clone
    if isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation"):
        return copy.deepcopy(field)
    return _shallow(field)


class FieldsBuiltOnce:
    """Serializer mixin: build the fields once per class, then give each instance copies.

    DRF builds a serializer's fields on every instantiation — a model serializer introspects
    its model each time, any serializer deep-copies its declared fields — and a nested
    ``many=True`` serializer does it once per request. That was most of the time the
    declarations API spent parsing and answering. The fields depend only on the class
    (``Meta`` and the declared fields), so the first build is kept as a template, never bound,
    and each instance gets copies (``_field_copy``). A subclass whose fields depend on the
    instance or the context must override ``get_fields`` itself (none here do).
    """

    def get_fields(self):
        template = type(self).__dict__.get("_fields_template")
        if template is None:
            template = super().get_fields()
            type(self)._fields_template = template  # two threads may both build it, harmlessly
        return {name: _field_copy(field) for name, field in template.items()}


class Serializer(FieldsBuiltOnce, serializers.Serializer):
    """DRF's ``Serializer`` with its fields built once per class (``FieldsBuiltOnce``)."""


class ModelSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """DRF's ``ModelSerializer`` with its fields read from the model once per class (``FieldsBuiltOnce``)."""


class ErrorSerializer(serializers.Serializer):
    """The body of every API error."""

    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field, keyed by the field's flat dotted path, e.g. `transfer_port`, "
        "`items.2.hs_code`, `containers.0.number`; empty when the error is not about particular fields.",
    )


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["alpha2", "alpha3", "numeric", "name_en", "name_zh"]


class CurrencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Currency
        fields = ["code", "numeric", "name_en", "name_zh", "minor_units"]


class PortSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id")

    class Meta:
        model = Port
        fields = ["locode", "name_en", "name_zh", "country", "timezone", "kind"]


class HSCodeSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True)
    sensitive = serializers.BooleanField()

    class Meta:
        model = HSCode
        fields = [
            "code",
            "parent",
            "description_en",
            "description_zh",
            "is_leaf",
            "sensitive",
            "sensitive_reason",
            "sensitive_note",
            "unit_value_min",
            "unit_value_max",
            "value_unit",
        ]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "kind", "name_en", "name_zh", "country", "uscc"]


class MeSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer()
    ports_served = serializers.SlugRelatedField(slug_field="locode", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "organisation", "ports_served"]
