"""Bad input: schemathesis against the OpenAPI schema (the one /api/schema/ serves), every
operation as every role, through the whole WSGI stack in process. No answer may be a 5xx, and every
answer must be documented (status code) and match its documented schema.

Each operation is fuzzed with generated path parameters and with the role's own objects from the
sweep's data set (so bodies and queries reach real cases, accounts, visits...), with valid and
invalid data: FUZZ_EXAMPLES examples of each (default 3: the CI run;
`make fuzz` runs many more)."""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.dataset import ROLES
from tests.security.scope import kind_of, values_for

pytestmark = [pytest.mark.django_db, pytest.mark.security]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: OpenAPI path parameter → the URL resolver's name for it (drf-spectacular calls a `pk` `id`).
SCHEMA_PARAMS = {"id": "pk"}

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
OPERATIONS = sorted((result.ok().method.upper(), result.ok().path) for result in SCHEMA.get_all_operations())


@pytest.fixture(scope="module")
def app(world):
    """The Django application as a WSGI app, in the test's transaction: the request signals must not
    close the test's database connection (Django's test client disconnects them the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    SCHEMA.app = WSGIHandler()
    yield SCHEMA.app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(world, django_db_blocker):
    with django_db_blocker.unblock():
        return {role: Token.objects.get_or_create(user=user)[0].key
                for role, user in world.users.items() if user is not None}


class _Route:
    """What tests.security.scope needs to know of an operation: its URL name."""

    def __init__(self, name):
        self.name = name


def own_objects(world, role, operation) -> dict | None:
    """Path parameters naming the role's own objects (None: the operation has none to name)."""
    from django.urls import resolve

    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return None
    probe = operation.path
    for name in names:
        probe = probe.replace("{%s}" % name, "1" if name in SCHEMA_PARAMS else "x")
    route = _Route(resolve(probe).url_name)
    values = {}
    for name in names:
        kind = kind_of(route, SCHEMA_PARAMS.get(name, name))
        if kind is None:
            return None
        values[name] = values_for(world, role, kind).inside[0]
    return values


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz(method, path, role, world, app, tokens):
    operation = SCHEMA[path][method]
    headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
    own = own_objects(world, role, operation)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    if own:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=own) for mode in GenerationMode]

    @settings(max_examples=EXAMPLES * len(strategies), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(case=st.one_of(strategies))
    def fuzz(case):
        response = case.call(headers=headers, app=app)
        case.validate_response(response, checks=CHECKS, headers=headers)

    fuzz()


GETS = [(method, path) for method, path in OPERATIONS if method == "GET"]


@pytest.mark.parametrize("role", ["anonymous", "client", "agent", "supervisor"])
def test_real_answers_match_the_schema(role, world, app, tokens):
    """Every GET on the role's own objects (no generated data): its answer is documented and has the
    documented shape. Quick and deterministic; the fuzzing above goes wider."""
    headers = {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}
    failures = []
    for method, path in GETS:
        operation = SCHEMA[path][method]
        case = operation.Case(path_parameters=own_objects(world, role, operation) or {}, headers=headers)
        response = case.call(app=app)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as error:  # noqa: BLE001 - every operation's failure is reported together
            failures.append(f"{method} {case.formatted_path} as {role} → {response.status_code}: {error}")
    assert not failures, "\n\n".join(failures)
