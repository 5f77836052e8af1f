"""The demo's logins have a published password (README, `make demo`), a superuser among them: the
production settings never load them, whatever an operator runs."""

import sqlite3

import pytest

from tests.hardening.test_deploy_settings import SECRET, SITE, manage

pytestmark = pytest.mark.security


def test_seed_demo_refuses_to_run_with_the_production_settings(tmp_path):
    database = tmp_path / "production.sqlite3"
    production = {"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "desk.example.com", "SITE_URL": SITE,
                  "DATABASE_URL": f"sqlite:///{database}", "CELERY_BROKER_URL": None}
    migrated = manage("migrate", "--noinput", "-v", "0", **production)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    result = manage("seed_demo", "--if-empty", **production)

    assert result.returncode != 0
    assert "CommandError" in result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM accounts_user").fetchone() == (0,)
        assert connection.execute("SELECT COUNT(*) FROM accounts_clientprofile").fetchone() == (0,)
