"""factory_boy factories that build data the way the portal does."""

import factory

from portal.choices import OrganisationKind, Role
from portal.models import Organisation, Port, User
from portal.validators import uscc_check_character


def _uscc(sequence: int) -> str:
    base = f"91440300MA{sequence:07d}"
    return base + uscc_check_character(base)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.TRADER
    name_en = factory.Sequence(lambda n: f"Test Organisation {n} Co., Ltd.")
    name_zh = factory.Sequence(lambda n: f"测试机构{n}有限公司")
    country_id = "CN"
    uscc = factory.Sequence(_uscc)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.TRADER_STAFF
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def ports(self, create, extracted, **kwargs):
        if create and extracted:
            self.ports_served.set(Port.objects.filter(locode__in=extracted))


def trader(**kwargs) -> User:
    return UserFactory(role=Role.TRADER_STAFF, organisation__kind=OrganisationKind.TRADER, **kwargs)


def customs_officer(ports=("CNSUD",), **kwargs) -> User:
    return UserFactory(role=Role.CUSTOMS_OFFICER, organisation__kind=OrganisationKind.CUSTOMS, ports=ports, **kwargs)


def customs_supervisor(ports=("CNSUD", "CNSHK"), **kwargs) -> User:
    return UserFactory(role=Role.CUSTOMS_SUPERVISOR, organisation__kind=OrganisationKind.CUSTOMS, ports=ports, **kwargs)


def bank_officer(**kwargs) -> User:
    return UserFactory(role=Role.BANK_OFFICER, organisation__kind=OrganisationKind.BANK, **kwargs)


def logistics_system(**kwargs) -> User:
    return UserFactory(role=Role.LOGISTICS_SYSTEM, organisation__kind=OrganisationKind.LOGISTICS, **kwargs)


def declaration_input(*, items: int = 1, containers: int = 1, **header_overrides) -> dict:
    """A complete, valid integrated export (Shunde → Shekou → Rotterdam) in the services' input form."""
    from decimal import Decimal

    container_numbers = ["CSQU3054383", "MSKU1234565", "TGHU1234567"]
    header = {
        "direction": "export",
        "procedure": "integrated",
        "origin_port": "CNSUD",
        "transfer_port": "CNSHK",
        "foreign_port": "NLRTM",
        "transport_document_number": "PRBL2026000123",
        "consignor_name": "Shunde Pearl River Furniture Co., Ltd.",
        "consignor_address": "Shunde, Foshan",
        "consignee_name": "Holland Home Interiors B.V.",
        "consignee_address": "Rotterdam",
        "consignee_country": "NL",
        "incoterm": "FOB",
        "invoice_currency": "USD",
    }
    header.update(header_overrides)
    return {
        "header": header,
        "items": [
            {
                "hs_code": "940360",
                "description": f"Wooden dining table, model {n}",
                "origin_country": "CN",
                "quantity": Decimal("40"),
                "unit": "PCE",
                "packages": 40,
                "gross_mass": Decimal("1200.000"),
                "net_mass": Decimal("1100.000"),
                "value": Decimal("8800.00"),
            }
            for n in range(items)
        ],
        "containers": [
            {
                "number": container_numbers[n],
                "size_type": "45G1",
                "seal_number": f"SEAL{n:05d}",
                "temperature_min": None,
                "temperature_max": None,
            }
            for n in range(containers)
        ],
    }


def declaration_payload(*, items: int = 1, containers: int = 1, **header_overrides) -> dict:
    """:func:`declaration_input` as the JSON body of ``POST /api/v1/declarations`` (decimals as strings)."""
    data = declaration_input(items=items, containers=containers, **header_overrides)

    def text(row: dict) -> dict:
        return {
            name: (str(value) if value is not None and not isinstance(value, (str, int)) else value)
            for name, value in row.items()
        }

    return {
        **data["header"],
        "items": [text(item) for item in data["items"]],
        "containers": [text(container) for container in data["containers"]],
    }
