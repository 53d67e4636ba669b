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
    return UserFactory(role=Role.CUSTOMS_SUPERVISOR, organisation__kind=OrganisationKind.CUSTOMS, ports=ports,
                       **kwargs)


def bank_officer(**kwargs) -> User:
    return UserFactory(role=Role.BANK_OFFICER, organisation__kind=OrganisationKind.BANK, **kwargs)


def logistics_system(**kwargs) -> User:
    return UserFactory(role=Role.LOGISTICS_SYSTEM, organisation__kind=OrganisationKind.LOGISTICS, **kwargs)
