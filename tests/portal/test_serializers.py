"""Serializers whose fields are built once per class hand each instance fields of its own."""

from decimal import Decimal

from rest_framework import serializers

from portal.api.serializers import Serializer


class Line(Serializer):
    amount = serializers.DecimalField(max_digits=6, decimal_places=2, max_value=Decimal("100"))
    label = serializers.SerializerMethodField()

    def get_label(self, line) -> str:
        return f"{self.context['prefix']}{line['amount']}"


class Order(Serializer):
    reference = serializers.CharField(max_length=5)
    lines = Line(many=True)


def test_each_instance_binds_fields_of_its_own():
    first, second = Order(), Order()

    assert first.fields["reference"] is not second.fields["reference"]
    assert first.fields["reference"].parent is first
    assert second.fields["reference"].parent is second
    assert first.fields["lines"].child is not second.fields["lines"].child
    assert first.fields["lines"].child.parent is first.fields["lines"]
    assert first.fields["lines"].child.fields["amount"] is not second.fields["lines"].child.fields["amount"]
    assert all(field.parent is None for field in Order._fields_template.values())  # the template stays unbound


def test_context_and_errors_stay_with_their_instance():
    one = Order({"reference": "A", "lines": [{"amount": "1.50"}]}, context={"prefix": "one:"})
    two = Order({"reference": "B", "lines": [{"amount": "2.00"}]}, context={"prefix": "two:"})

    assert one.data["lines"][0]["label"] == "one:1.50"
    assert two.data["lines"][0]["label"] == "two:2.00"

    bad = Order(data={"reference": "TOO-LONG", "lines": [{"amount": "500"}]})
    good = Order(data={"reference": "OK", "lines": [{"amount": "5"}]})
    assert not bad.is_valid()
    assert good.is_valid(), good.errors
    assert set(bad.errors) == {"reference", "lines"}
    assert bad.errors["lines"][0]["amount"][0].code == "max_value"
    assert good.validated_data["lines"][0]["amount"] == Decimal("5")
