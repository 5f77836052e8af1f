"""The management commands speak the operator's language: `--language en` for one run, the site's
(zh-hans) without it. They spoke Chinese only, whatever the operator read."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _summary(*arguments) -> str:
    out = io.StringIO()
    call_command("run_monitoring", *arguments, stdout=out)
    return out.getvalue()


def test_a_run_reports_in_the_language_asked_for():
    assert "0 account(s) changed" in _summary("--language", "en")
    assert "0 个账户有变化" in _summary()  # the site's language
    assert "0 个账户有变化" in _summary("--language", "zh-hans")


def test_a_refused_argument_is_explained_in_the_language_asked_for():
    """The command line's own refusal (a day that is no date) comes before the command runs: it is in
    the operator's language too."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test"}
    env.pop("DATABASE_URL", None)  # the refusal needs no database
    manage = Path(settings.BASE_DIR) / "manage.py"

    def refusal(*arguments, day="2026-13-01"):
        done = subprocess.run([sys.executable, str(manage), "accrue_interest", "--day", day, *arguments],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode != 0
        return done.stderr

    assert "“2026-13-01” is not a date (YYYY-MM-DD)." in refusal("--language", "en")
    assert "“2026-13-01”不是日期（YYYY-MM-DD）。" in refusal()
    unknown = refusal("--language", "fr", day="2026-01-05")  # refused, nothing accrued
    assert "--language" in unknown and "invalid choice" in unknown
