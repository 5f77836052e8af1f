"""`manage.py check --deploy` is clean with the production settings; they refuse to start
without a real secret key, host names and the site's https address."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "k3V9-q8Zr_T2mXw7Lp4Ns6Jd1Fh0Gc5Yb8Ue3Ri9Oa2Hv7Tq4Mz1Wn6Ks0Dy5Lg8Pj"
SITE = "https://desk.example.com"


def manage(*args, **env_overrides):
    # The production server's environment: none of what the test run set for itself (the browser
    # tests' DJANGO_ALLOW_ASYNC_UNSAFE, in the same worker, is one `check --deploy` rightly refuses).
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DJANGO_SETTINGS_MODULE": "servicedesk.settings.production", **env_overrides})
    env = {key: value for key, value in env.items() if value is not None}  # None: the variable unset
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # A database of its own, empty: the settings are checked, not the data of whatever database the
    # checkout holds (after `make demo`, the demo's calendar years are estimated and the calendar
    # check rightly warns, tests/cases/test_calendar_years.py).
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=SECRET,
                    ALLOWED_HOSTS="desk.example.com", SITE_URL=SITE,
                    DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("secret", [None, "insecure-dev-key-change-me", "short-key"])
def test_production_refuses_a_missing_or_weak_secret_key(secret):
    overrides = {"ALLOWED_HOSTS": "desk.example.com", "SITE_URL": SITE}
    if secret is not None:
        overrides["SECRET_KEY"] = secret
    result = manage("check", **overrides)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_needs_its_host_names():
    result = manage("check", SECRET_KEY=SECRET, SITE_URL=SITE)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize("site_url", [None, "", "http://127.0.0.1:8000", "http://desk.example.com", "https://"])
def test_production_refuses_to_start_without_the_sites_https_address(site_url):
    """Links sent to clients start with SITE_URL: production never falls back to the demo's localhost."""
    overrides = {"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "desk.example.com"}
    if site_url is not None:
        overrides["SITE_URL"] = site_url
    result = manage("check", **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SITE_URL must be the https:// address" in result.stderr


def test_production_headers_on_a_page():
    """HSTS, secure cookies and the security headers, rendered by the production settings."""
    script = (
        "import django; django.setup();"
        "from django.test import Client; from django.test.utils import override_settings;"
        # No collectstatic here: the manifest storage would refuse every {% static %} link.
        "override_settings(STORAGES={'default': {'BACKEND': 'django.core.files.storage.FileSystemStorage'},"
        " 'staticfiles': {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable();"
        "r = Client(HTTP_X_FORWARDED_PROTO='https').get('/accounts/login/', HTTP_HOST='desk.example.com');"
        "print(r.status_code);"
        "print(r['Strict-Transport-Security']); print(r['X-Frame-Options']); print(r['X-Content-Type-Options']);"
        "print(r['Referrer-Policy']); print(r['Content-Security-Policy']);"
        "c = r.cookies['csrftoken']; print(bool(c['secure']), c['samesite']);"
        "r2 = Client().get('/accounts/login/', HTTP_HOST='desk.example.com'); print(r2.status_code, r2['Location'])"
    )
    env = {key: value for key, value in os.environ.items()}
    env.update(DJANGO_SETTINGS_MODULE="servicedesk.settings.production", SECRET_KEY=SECRET,
               ALLOWED_HOSTS="desk.example.com", SITE_URL=SITE)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()[-8:]
    assert lines[0] == "200"
    assert lines[1] == "max-age=31536000; includeSubDomains; preload"
    assert lines[2] == "DENY"
    assert lines[3] == "nosniff"
    assert lines[4] == "same-origin"
    assert "default-src 'self'" in lines[5] and "frame-ancestors 'none'" in lines[5]
    assert lines[6] == "True Lax"
    assert lines[7] == "301 https://desk.example.com/accounts/login/"


def test_the_models_check_cleanly_on_the_embedded_sqlite(tmp_path):
    """`make demo` runs on SQLite: the models' checks against it raise nothing (the running clocks'
    index carries covering columns on PostgreSQL only, which SQLite leaves out)."""
    result = manage("check", "--tag", "models", "--database", "default", "--fail-level", "WARNING",
                    DJANGO_SETTINGS_MODULE="servicedesk.settings.local",
                    DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(("configured", "age"), [(None, "43200"), ("3600", "3600")])
def test_a_production_login_lasts_a_working_day(configured, age):
    """Django's default kept a session for two weeks: a console left signed in on a shared desk stayed open."""
    result = manage("shell", "-c", "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
                    SECRET_KEY=SECRET, ALLOWED_HOSTS="desk.example.com", SITE_URL=SITE, SESSION_COOKIE_AGE=configured)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == age
