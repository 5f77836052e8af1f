"""Fixtures shared by the case tests."""

import pytest


@pytest.fixture
def admin(client, supervisor):
    """The admin site, as a supervisor with staff access."""
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    return client
