import pytest


@pytest.fixture(autouse=True)
def reference_data(request):
    """Reload the reference tables the data migration loaded: a transactional test's flush empties them."""
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from portal.models import Country
    from portal.reference import reference_data_load

    if not Country.objects.exists():
        reference_data_load()
