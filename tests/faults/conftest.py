"""Fixtures of the fault tests: a private PostgreSQL cluster per test session with the migrated
database kept as a template, and per test a fresh copy of it, a private Redis, stub SMTP and SMS
servers, and whatever processes the test starts (all stopped and removed afterwards)."""

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.faults import infra

TEMPLATE = "sd_faults_template"
_databases = itertools.count(1)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def faults_postgres():
    reason = infra.missing_tools()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="sd-faults-pg-"))
    postgres = infra.PrivatePostgres(root)
    try:
        postgres.init()
        postgres.start()
        postgres.create_database(TEMPLATE)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "DJANGO_"))},
               "DJANGO_SETTINGS_MODULE": infra.SETTINGS, "DATABASE_URL": postgres.url(TEMPLATE),
               "PYTHONPATH": str(infra.PROJECT)}
        done = subprocess.run([infra.PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=infra.PROJECT,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        yield postgres
    finally:
        postgres.destroy()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stack(faults_postgres, request):
    """This test's database (a copy of the migrated template), Redis, stubs and processes."""
    if not faults_postgres.running():  # a test that stopped it failed before starting it again
        faults_postgres.start()
    database = f"sd_faults_{os.getpid()}_{next(_databases)}"
    faults_postgres.create_database(database, template=TEMPLATE)
    root = Path(tempfile.mkdtemp(prefix="sd-faults-"))
    redis = smtp = sms = stack = None
    try:
        redis = infra.PrivateRedis(root)
        redis.start()
        smtp, sms = infra.SmtpStub(), infra.SmsGatewayStub()
        stack = infra.Stack(postgres=faults_postgres, redis=redis, database=database, root=root, smtp=smtp, sms=sms)
        yield stack
    finally:
        failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
        if stack is not None:
            stack.close()
            if failed:
                print(stack.processes.logs())
        for server in (sms, smtp, redis):
            if server is not None:
                (server.stop if server is redis else server.close)()
        if not faults_postgres.running():
            faults_postgres.start()
        faults_postgres.drop_database(database)
        shutil.rmtree(root, ignore_errors=True)
