import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal import roles
from portal.choices import OrganisationKind, Role
from portal.models import Port
from portal.services import organisation_create, user_create
from tests import factories

pytestmark = pytest.mark.django_db


def test_each_role_answers_only_its_own_question():
    trader = factories.trader()
    officer = factories.customs_officer()
    supervisor = factories.customs_supervisor()
    bank = factories.bank_officer()
    logistics = factories.logistics_system()
    everyone = (trader, officer, supervisor, bank, logistics)
    assert [roles.is_trader(u) for u in everyone] == [True, False, False, False, False]
    assert [roles.is_customs(u) for u in everyone] == [False, True, True, False, False]
    assert [roles.is_supervisor(u) for u in (officer, supervisor)] == [False, True]
    assert roles.is_bank_officer(bank) and not roles.is_bank_officer(trader)
    assert roles.is_logistics_system(logistics) and not roles.is_logistics_system(bank)


def test_inactive_users_hold_no_role():
    officer = factories.customs_officer()
    officer.is_active = False
    assert not roles.is_customs(officer)


def test_officer_serves_only_their_ports():
    officer = factories.customs_officer(ports=("CNSUD",))
    assert roles.serves_port(officer, Port.objects.get(locode="CNSUD"))
    assert not roles.serves_port(officer, Port.objects.get(locode="CNSHK"))
    assert not roles.serves_port(factories.trader(), Port.objects.get(locode="CNSUD"))


def test_a_bank_member_cannot_be_made_a_customs_officer():
    bank = organisation_create(kind=OrganisationKind.BANK, name_en="Some Bank", uscc="914403001922038216")
    with pytest.raises(ValidationError) as excinfo:
        user_create(username="x", password="pw-123456789", organisation=bank, role=Role.CUSTOMS_OFFICER)
    assert "role" in excinfo.value.message_dict


def test_chinese_organisation_needs_a_valid_uscc():
    with pytest.raises(ValidationError) as excinfo:
        organisation_create(kind=OrganisationKind.TRADER, name_en="No Code Ltd")
    assert "uscc" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        organisation_create(kind=OrganisationKind.TRADER, name_en="Bad Code Ltd", uscc="914403001922038217")
    assert "uscc" in excinfo.value.message_dict


def test_foreign_organisation_needs_no_uscc():
    organisation = organisation_create(kind=OrganisationKind.BANK, name_en="Hong Kong Bank", country="HK")
    assert organisation.uscc is None


def test_template_filter_uses_the_same_rule(client):
    from portal.templatetags.portal_tags import has_role

    officer = factories.customs_officer()
    assert has_role(officer, "customs_officer, customs_supervisor")
    assert not has_role(officer, "trader_staff")


def test_token_page_needs_login(client):
    response = client.get(reverse("api-token"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
