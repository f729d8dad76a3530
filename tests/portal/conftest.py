import pytest


@pytest.fixture
def log_in_as(client):
    """Log the test client in as a person (as a finished login leaves the session)."""

    def _log_in(person):
        session = client.session
        session["person_id"] = person.pk
        session["login_method"] = "test"
        session.save()
        return client

    return _log_in


from tests.orders.conftest import world  # noqa: E402, F401 (the ordering fixture, shared)
