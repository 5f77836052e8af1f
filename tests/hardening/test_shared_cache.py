"""With CACHE_URL set to Redis every process reads the same cache: the public rating endpoints'
throttle (30 a minute per address) then counts the requests of all the server's workers together,
not 30 per worker. Without it, each process has its own (the demo, the tests)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL", "")


def in_a_new_process(code: str, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env={**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.base", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_cache_url_each_process_keeps_its_own():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.skipif(not BROKER.startswith("redis://"), reason="needs Redis (CELERY_BROKER_URL=redis://…)")
def test_with_cache_url_two_processes_count_together():
    url = BROKER  # the test's own Redis database; its key is its own and deleted
    key = f"throttle-test-{uuid.uuid4().hex}"
    write = f"from django.core.cache import cache; cache.set('{key}', [1, 2, 3], 60)"
    read = (f"from django.core.cache import cache, caches; print(cache.get('{key}')); cache.delete('{key}'); "
            "print(caches['default'].__class__.__name__)")
    in_a_new_process(write, CACHE_URL=url)
    assert in_a_new_process(read, CACHE_URL=url).splitlines() == ["[1, 2, 3]", "RedisCache"]


UNREACHABLE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens on port 1


def test_with_the_cache_down_the_rating_link_and_the_risk_page_still_answer(client, settings, risk_officer, agent):
    """Redis down: the rating link's throttle lets the client through (not a 500) and the risk page
    counts its accounts again, each with a warning in the log."""
    from cases.services import case_create, case_transition
    from cases.services.ratings import rating_token
    from risk.monitoring import monitor_accounts
    from tests.factories import ClientProfileFactory

    case = case_create(created_by=agent, client=ClientProfileFactory(), kind="ticket", subject="问题")
    for name in ("open", "resolve"):
        case = case_transition(case=case, user=agent, name=name, comment="已解决")
    monitor_accounts(trigger="test")
    settings.CACHES = UNREACHABLE
    assert client.get(f"/api/v1/ratings/{rating_token(case)}/").status_code == 200
    client.force_login(risk_officer)
    assert client.get("/risk/").status_code == 200
