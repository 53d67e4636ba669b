import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_page_reads_the_signed_in_user_and_their_organisation_in_one_query(client):
    trader = factories.trader(organisation__name_en="Pearl Delta Furniture Ltd.")
    client.force_login(trader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/declarations/")
    assert response.status_code == 200
    assert "Pearl Delta Furniture Ltd." in response.content.decode()  # the header names the organisation
    user_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "portal_user"."id"')]
    assert len(user_reads) == 1 and '"portal_organisation"' in user_reads[0]
    assert not [q["sql"] for q in queries if 'FROM "portal_organisation" WHERE' in q["sql"]]


def test_a_deactivated_user_s_session_no_longer_signs_them_in(client):
    trader = factories.trader()
    client.force_login(trader)
    trader.is_active = False
    trader.save(update_fields=["is_active"])
    response = client.get("/declarations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
