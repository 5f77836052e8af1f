"""The operators' health checks (servicedesk/health.py, README "Health checks"): /health/ (everything,
the SLA sweep's last run too), /health/ready/ (database and migrations) and /health/live/
(nothing): no login, no address or credential on them, the strict CSP, plain HTTP in production."""

import datetime
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone

from cases.models import PeriodicJobRun
from cases.tasks import sla_sweep_task
from tests.hardening.test_csp import POLICY, directives
from tests.hardening.test_deploy_settings import ROOT, SECRET, SITE

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://:broker-s3cret@127.0.0.1:6399/0"  # nothing listens there
JSON = {"HTTP_ACCEPT": "application/json"}


def checks(client, url="/health/", **extra):
    response = client.get(url, **extra, **JSON)
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def expected_checks(*, full: bool) -> set[str]:
    """Readiness: the database and the migrations; the full check: also the cache, the broker (where
    one is configured) and the SLA sweep."""
    names = {"Database(alias='default')", "Migrations(alias='default')"}
    if not full:
        return names
    names |= {"Cache(alias='default')", "SlaSweep()"}
    if settings.CELERY_BROKER_URL:  # PostgreSQL and Redis runs; none on the SQLite demo's settings
        names.add("Broker()")
    return names


def test_every_check_passes_on_a_healthy_setup(client):
    sla_sweep_task()
    for url, full in (("/health/", True), ("/health/ready/", False)):
        status, results = checks(client, url)
        assert status == 200, results
        assert set(results) == expected_checks(full=full)
        assert set(results.values()) == {"OK"}
    assert client.get("/health/?format=json").status_code == 200  # the library's other way to ask for JSON


def test_the_page_for_people_passes_the_content_security_policy(client):
    sla_sweep_task()
    response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert directives(response) == POLICY
    assert response["Cache-Control"].startswith("max-age=0")  # probes never get a cached answer
    html = response.content.decode()
    assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "Migrations(alias=&#x27;default&#x27;)" in html and "SlaSweep()" in html
    assert not response.cookies  # no session or CSRF cookie: nothing to steal over plain HTTP


def test_a_dead_broker_fails_its_check_without_showing_its_address(client):
    sla_sweep_task()
    with override_settings(CELERY_BROKER_URL=DEAD_BROKER):
        status, results = checks(client, "/health/")
        html = client.get("/health/", HTTP_ACCEPT="text/html")
        ready = checks(client, "/health/ready/")
    assert ready == (200, {"Database(alias='default')": "OK", "Migrations(alias='default')": "OK"})  # still serving
    assert status == 500
    assert results.pop("Broker()") == "Unavailable: Unable to connect to Redis: Connection Error"
    assert set(results.values()) == {"OK"}  # only the broker's check failed
    assert html.status_code == 500 and "Broker()" in html.content.decode()
    for text in (json.dumps(results), html.content.decode()):
        assert "6399" not in text and "broker-s3cret" not in text and "redis://" not in text


def test_a_dead_shared_cache_fails_its_check(client):
    """CACHE_URL set to Redis (the rate limits' counts): unreachable, the cache's check fails, named."""
    dead_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                              "LOCATION": "redis://:cache-s3cret@127.0.0.1:6399/1"}}
    sla_sweep_task()
    with override_settings(CACHES=dead_cache):
        response = client.get("/health/", **JSON)
        ready = client.get("/health/ready/", **JSON)
    assert ready.status_code == 200  # the rate limits fail open: the pages still serve
    results = json.loads(response.content)
    assert response.status_code == 500
    assert results.pop("Cache(alias='default')") == "Unexpected Result: Connection Error"
    assert set(results.values()) == {"OK"}
    assert "6399" not in response.content.decode() and "cache-s3cret" not in response.content.decode()


def test_liveness_answers_while_the_broker_is_down_and_asks_nothing(client, django_assert_num_queries):
    with override_settings(CELERY_BROKER_URL=DEAD_BROKER), django_assert_num_queries(0):
        status, results = checks(client, "/health/live/")
        page = client.get("/health/live/", HTTP_ACCEPT="text/html")
    assert (status, results) == (200, {})
    assert page.status_code == 200


def test_a_stale_sweep_fails_the_health_check_and_a_sweep_mends_it(client):
    status, results = checks(client)
    assert status == 500 and results["SlaSweep()"] == "Unavailable: the SLA sweep has never finished"

    PeriodicJobRun.objects.create(task="sla.sweep", finished_at=timezone.now() - datetime.timedelta(minutes=12))
    status, results = checks(client)
    assert status == 500
    assert re.fullmatch(r"Unavailable: the SLA sweep last finished at \S+ \S+ UTC, 12 minutes ago "
                        r"\(it runs every minute\)", results.pop("SlaSweep()"))
    assert set(results.values()) == {"OK"}
    assert checks(client, "/health/ready/")[0] == 200  # a stalled beat does not take the web out of service

    sla_sweep_task()
    status, results = checks(client)
    assert status == 200 and results["SlaSweep()"] == "OK"


def test_a_sweep_within_five_minutes_is_recent_enough(client):
    PeriodicJobRun.objects.create(task="sla.sweep", finished_at=timezone.now() - datetime.timedelta(minutes=4))
    assert checks(client)[1]["SlaSweep()"] == "OK"


def test_unapplied_migrations_are_named(client):
    sla_sweep_task()
    leaf = next(name for app, name in MigrationLoader(connection).graph.leaf_nodes() if app == "cases")
    MigrationRecorder(connection).record_unapplied("cases", leaf)  # rolled back with the test
    for url in ("/health/", "/health/ready/"):
        status, results = checks(client, url)
        assert status == 500
        assert results.pop("Migrations(alias='default')") == f"Unavailable: 1 migration(s) not applied: cases.{leaf}"
        assert set(results.values()) == {"OK"}


def test_probes_are_never_throttled_or_locked_out(client):
    """More calls from one address than the public API's throttle allows (30 a minute)."""
    assert {client.get("/health/live/").status_code for _ in range(40)} == {200}


def _run(script: str, **environment) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(environment)
    return subprocess.run([sys.executable, "-c", "import django; django.setup();" + script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def test_an_unreachable_database_is_named_without_its_address():
    """The library shows a database error's text up to its first colon; ours say the database is
    unreachable. The page still answers (500), and no part of DATABASE_URL is on it."""
    result = _run("from django.test import Client;"
                  "r = Client().get('/health/ready/', HTTP_ACCEPT='application/json', HTTP_HOST='localhost');"
                  "print(r.status_code); print(r.content.decode())",
                  DJANGO_SETTINGS_MODULE="servicedesk.settings.test",
                  DATABASE_URL="postgres://db-user:db-s3cret@127.0.0.1:5499/sd_nowhere", CELERY_BROKER_URL="")
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    results = json.loads(body)
    assert status == "500"
    assert results["Database(alias='default')"].startswith("Unavailable: ")
    assert results["Migrations(alias='default')"] == "Unavailable: the database is unreachable"
    assert not re.search(r"db-user|db-s3cret|5499|sd_nowhere|127\.0\.0\.1", body), body


def test_production_serves_the_health_checks_over_plain_http(tmp_path):
    """Probes ask the process itself, without TLS: no redirect to https:// there, as for every other page."""
    result = _run("from django.test import Client; from django.test.utils import override_settings;"
                  # No collectstatic here: the manifest storage would refuse the page's {% static %} link.
                  "override_settings(STORAGES={'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},"
                  " 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable();"
                  "c = Client();"
                  "print(c.get('/health/live/', HTTP_HOST='desk.example.com').status_code);"
                  "r = c.get('/health/ready/?format=json', HTTP_HOST='desk.example.com');"
                  "print(r.status_code); print(r.content.decode());"
                  "print(c.get('/accounts/login/', HTTP_HOST='desk.example.com').status_code)",
                  DJANGO_SETTINGS_MODULE="servicedesk.settings.production", SECRET_KEY=SECRET,
                  ALLOWED_HOSTS="desk.example.com", SITE_URL=SITE, CELERY_BROKER_URL="",
                  DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert result.returncode == 0, result.stderr
    live, ready, body, login = result.stdout.strip().splitlines()[-4:]
    assert live == "200"
    assert ready == "500" and "not applied" in json.loads(body)["Migrations(alias='default')"]  # an empty database
    assert login == "301"
