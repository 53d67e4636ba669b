import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse

from portal.choices import Role
from portal.demo import DEMO_PASSWORD, demo_seed
from portal.models import Organisation, User
from tests import factories

pytestmark = pytest.mark.django_db

HOME_HEADINGS = {
    Role.TRADER_STAFF: "Drafts to finish",
    Role.CUSTOMS_OFFICER: "Inspections today",
    Role.CUSTOMS_SUPERVISOR: "Risk rules",
    Role.BANK_OFFICER: "Financing requests to review",
    Role.LOGISTICS_SYSTEM: "Connecting your system",
}


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", list(HOME_HEADINGS))
def test_each_role_sees_its_own_home(client, role):
    maker = {
        Role.TRADER_STAFF: factories.trader,
        Role.CUSTOMS_OFFICER: factories.customs_officer,
        Role.CUSTOMS_SUPERVISOR: factories.customs_supervisor,
        Role.BANK_OFFICER: factories.bank_officer,
        Role.LOGISTICS_SYSTEM: factories.logistics_system,
    }[role]
    client.force_login(maker())
    html = client.get(reverse("home")).content.decode()
    assert HOME_HEADINGS[role] in html
    for other_role, heading in HOME_HEADINGS.items():
        if other_role != role:
            assert heading not in html


def test_home_costs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    officer = factories.customs_officer(ports=("CNSUD", "CNSHK"))
    client.force_login(officer)
    with django_assert_max_num_queries(7):  # 6 + the navigation's unread-notification count
        assert client.get(reverse("home")).status_code == 200


def test_login_with_wrong_password_shows_the_error_summary(client):
    factories.trader(username="lw")
    response = client.post(reverse("login"), {"username": "lw", "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert "Please enter a correct username and password" in html


def test_login_and_logout(client):
    factories.trader(username="li")
    response = client.post(reverse("login"), {"username": "li", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_sends_a_working_link(client):
    user = factories.trader(username="forgetful", email="forgetful@example.test")
    client.post(reverse("password_reset"), {"email": "forgetful@example.test"})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_url = client.get(path).url  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-pass-42")


def test_password_change(client):
    user = factories.trader()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "another-long-pass-7",
            "new_password2": "another-long-pass-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-pass-7")


def test_language_switch_translates_the_page(client):
    client.force_login(factories.customs_officer())
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "您的待办队列" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    assert "您的待辦佇列" in client.get(reverse("home")).content.decode()


def test_api_token_can_be_created_and_replaced(client):
    client.force_login(factories.logistics_system())
    client.post(reverse("api-token"))
    first = client.get(reverse("api-token")).context["token"].key
    client.post(reverse("api-token"))
    second = client.get(reverse("api-token")).context["token"].key
    assert first != second


def test_seed_demo_is_idempotent_and_every_login_works(client):
    first = demo_seed()
    counts = (Organisation.objects.count(), User.objects.count())
    second = demo_seed()
    assert first == second
    assert counts == (Organisation.objects.count(), User.objects.count())
    for username, password, _role in first:
        assert password == DEMO_PASSWORD
        # django-axes checks every sign-in against its lockouts, by address: it needs the request.
        assert client.login(request=HttpRequest(), username=username, password=password), username
    assert set(User.objects.get(username="officer.shunde").ports_served.values_list("locode", flat=True)) == {"CNSUD"}


def test_every_model_people_change_keeps_history():
    user = factories.trader()
    user.first_name = "Changed"
    user.save()
    assert user.history.count() == 2
    organisation = user.organisation
    organisation.name_en = "Renamed Ltd"
    organisation.save()
    assert organisation.history.first().name_en == "Renamed Ltd"
