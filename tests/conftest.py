import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.roles import Role
from tests.factories import ClientProfileFactory, CreditAccountFactory, UserFactory, queue


def pytest_runtest_setup(item):
    """A test marked `postgres` (locks, concurrent transactions, triggers) is skipped on SQLite,
    with the marker's reason: `pytest.mark.postgres(reason="...")`."""
    marker = item.get_closest_marker("postgres")
    if marker is not None and connection.vendor != "postgresql":
        pytest.skip(marker.kwargs.get("reason", "concurrent transactions need PostgreSQL (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no throttling counts carried over from another test."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language. A request through LocaleMiddleware leaves the language
    it chose active in the thread (Django does not reset it), and a command a later test ran in the
    same worker spoke English after an English page."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Celery marks "running inside a task" in one process-wide flag, set and reset around every
    eager task. Two threads running eager tasks at once (the concurrency tests) can leave it set,
    and a later test's result.get() then refuses to block. Each test starts with it clear."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture
def api():
    """An API client; `api.as_user(user)` logs in with a token like the firm's systems do."""
    client = APIClient()

    def as_user(user):
        client.force_authenticate(user=user)
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def client_profile(db):
    return ClientProfileFactory()


@pytest.fixture
def other_client_profile(db):
    return ClientProfileFactory()


@pytest.fixture
def credit_account(client_profile):
    return CreditAccountFactory(client=client_profile)


@pytest.fixture
def agent(db):
    user = UserFactory(username="agent1", roles=[Role.AGENT])
    for code in ("general", "disputes"):
        queue(code).members.add(user)
    return user


@pytest.fixture
def other_agent(db):
    user = UserFactory(username="agent2", roles=[Role.AGENT])
    queue("general").members.add(user)
    return user


@pytest.fixture
def outsider_agent(db):
    """An agent in no queue: sees only what is assigned to them."""
    return UserFactory(username="agent_nowhere", roles=[Role.AGENT])


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor1", roles=[Role.SUPERVISOR])


@pytest.fixture
def other_supervisor(db):
    return UserFactory(username="supervisor2", roles=[Role.SUPERVISOR])


@pytest.fixture
def admin(client, supervisor):
    """The admin site, as a supervisor with staff access."""
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    return client


@pytest.fixture
def risk_officer(db):
    return UserFactory(username="risk1", roles=[Role.RISK_OFFICER])


@pytest.fixture
def other_risk_officer(db):
    return UserFactory(username="risk2", roles=[Role.RISK_OFFICER])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor1", roles=[Role.AUDITOR])


@pytest.fixture
def advisor(db):
    return UserFactory(username="advisor1", roles=[Role.ADVISOR])


@pytest.fixture
def team_lead(db):
    user = UserFactory(username="lead1", roles=[Role.TEAM_LEAD])
    queue("general").members.add(user)
    return user


@pytest.fixture
def edited_at(django_capture_on_commit_callbacks):
    """`with edited_at(moment):` an edit made at that moment, its after-commit work (tasks) done on leaving."""
    from contextlib import contextmanager

    import time_machine

    @contextmanager
    def edit(moment):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            yield
    return edit
