"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), as every role.

Every operation of ``/api/schema/`` is called in process (WSGI, one database transaction per
operation and role) with generated paths, queries and bodies, authenticated by the role's API
token. Each response must be no server error, carry a status code the schema documents for
that operation, have the documented content type, and match the documented body schema.
Bounded for CI: a fixed number of examples per operation, derandomized, no deadline.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from tests import factories

pytestmark = pytest.mark.django_db

ROLES = {
    "trader": factories.trader,
    "customs officer": factories.customs_officer,
    "customs supervisor": factories.customs_supervisor,
    "bank officer": factories.bank_officer,
    "logistics system": factories.logistics_system,
}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
MAX_EXAMPLES = 12


# Read at collection, so every operation is its own test (``[POST /api/v1/declarations/][trader]``).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def role_token(role, db) -> str:
    return Token.objects.create(user=ROLES[role]()).key


@pytest.fixture(autouse=True)
def database_connection_kept_between_requests():
    """The WSGI handler closes the database connection after each request; inside a test's transaction
    that would lose the test's data. Django's own test client detaches the same receiver."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@pytest.mark.parametrize("role", list(ROLES))
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_answers_as_documented_for_every_role(case, role_token):
    case.call_and_validate(headers={"Authorization": f"Token {role_token}"}, checks=CHECKS)
