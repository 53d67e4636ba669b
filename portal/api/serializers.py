from rest_framework import serializers

from portal.models import Country, Currency, HSCode, Organisation, Port, User


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
