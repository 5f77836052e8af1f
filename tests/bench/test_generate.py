"""The benchmark data generator keeps working as the models change: tiny runs in the test database
(COPY on PostgreSQL, INSERTs on SQLite), checked through the API like a user would see them."""

import re

import pytest

from accounts.models import ClientProfile, CreditAccount, Position, Security, User
from accounts.roles import Role
from bench import database
from bench.generate import generate
from cases.models import Case
from cases.selectors import cases_visible_to

pytestmark = pytest.mark.django_db

SMALL = {"clients": 20, "accounts": 30, "positions_per_account": 3, "cases": 100, "securities": 50}


def staff(role: str) -> User:
    return User.objects.filter(groups__name=role).order_by("pk").first()


def test_generator_makes_what_was_asked_and_the_api_lists_it(api):
    generated = generate(**SMALL)

    assert generated.counts["cases"] == Case.objects.count() == 100
    assert ClientProfile.objects.count() == 20
    assert CreditAccount.objects.count() == 30
    assert Position.objects.count() == 90
    assert Security.objects.count() == 50
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 100 and all(re.fullmatch(r"CS-\d{4}-\d{6}", number) for number in numbers)
    assert Case.objects.filter(state="").count() == 0 and Case.objects.filter(queue=None).count() == 0

    response = api.as_user(staff(Role.SUPERVISOR)).get("/api/v1/cases/?page_size=200")
    assert response.status_code == 200
    assert {row["number"] for row in response.data["results"]} == set(numbers)

    agent = staff(Role.AGENT)
    response = api.as_user(agent).get("/api/v1/cases/?page_size=200")
    assert response.status_code == 200
    assert {row["number"] for row in response.data["results"]} == set(
        cases_visible_to(agent).values_list("number", flat=True))


def test_a_case_opened_after_generation_gets_a_fresh_number(api):
    generate(**SMALL)
    client = ClientProfile.objects.exclude(user=None).first()

    response = api.as_user(client.user).post(
        "/api/v1/cases/", {"kind": "ticket", "subject": "无法登录", "category": "technical"}, format="json")

    assert response.status_code == 201, response.data
    assert Case.objects.filter(number=response.data["number"]).count() == 1


def test_the_dataset_is_reused_when_it_matches_and_foreign_data_is_left_alone(monkeypatch):
    monkeypatch.setattr(database, "migrate", lambda: None)  # the test database is migrated already
    first = database.ensure_dataset(SMALL, log=lambda line: None)
    assert first["info"]["counts"]["cases"] == 100

    monkeypatch.setattr(database, "generate", lambda **spec: pytest.fail("generated again"))
    again = database.ensure_dataset(SMALL, log=lambda line: None)
    assert again["spec"] == first["spec"] and Case.objects.count() == 100

    monkeypatch.setattr(database, "read_marker", lambda: None)  # as if someone else's data
    with pytest.raises(database.ForeignData):
        database.ensure_dataset(SMALL, log=lambda line: None)


def test_the_results_name_the_database_and_on_postgresql_the_settings_they_depend_on():
    """A table of figures says what it was measured on: a write-heavy row (the SLA sweep's backlog)
    ran 5.5 s with PostgreSQL's default shared_buffers and 3.9 s with 4 GB on one machine."""
    from django.db import connection

    described = database.describe()

    assert connection.settings_dict["NAME"] in described
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            shared_buffers = cursor.fetchone()[0]
        assert f"shared_buffers={shared_buffers}" in described and "max_wal_size=" in described
        assert re.search(r"PostgreSQL \d+", described) and re.search(r"\d+ cores", described)
