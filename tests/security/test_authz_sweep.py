"""The authorization sweep: every route of the application (from the URL resolver, so a new page or
API is walked without anyone listing it; and every operation of the OpenAPI schema) as every
role, against objects inside and outside that role's scope (tests/security/scope.py).

The rules (servicedesk's access rules, README "Access"):
- Anonymous: every route but the public ones (PUBLIC_ROUTES) answers "log in first": 401/403 from
  the API, a redirect to the login page from a web page.
- A route a role may never use (a client in the staff areas, staff in the client portal): 403.
- An object outside the user's scope on a route they may use: 404, exactly what a value that names
  nothing gets (never a hint that it exists).
- Nothing answers 5xx.
- Writes (POST/PUT/PATCH/DELETE) by a read-only role (anonymous, the auditor, a client on a staff
  route): 401/403/404/405 or the login redirect, and the database is unchanged; writes to an
  object outside the user's scope: refused like a value that names nothing, database unchanged.
  (A plain function view cannot declare its methods: a POST it answers exactly as it answers a GET,
  writing nothing, is a read, not a write.)
- A client never sees internal notes, staff comments and proposals not yet approved, staff-only
  fields (assignee, queue, SLA timers and targets, maker-checker fields), or another client.
- Every HTML page shows the XSS payloads of the data set only escaped.
"""

import hashlib
import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import translation

from accounts.navigation import NAVIGATION
from cases.models import Metric
from tests.security.dataset import RAW_XSS, ROLES, SCRIPT, SECRET_MARKERS
from tests.security.routes import all_routes, route_of, schema_operations
from tests.security.scope import kind_of, values_for

pytestmark = [pytest.mark.django_db, pytest.mark.security]

#: Routes anyone may use without logging in (by URL name).
PUBLIC_ROUTES = {
    "login", "logout", "rate-case", "rating", "knowledge-articles", "knowledge-article", "knowledge-suggest",
    "api-token", "schema", "swagger-ui",
}
#: Writes any logged-in user makes about themselves (their password, their inbox, their session).
PERSONAL_WRITES = {"logout", "password_change", "notification-read", "notifications-read-all", "api-token"}
#: Writes a client makes (besides the portal's pages): open a case, write on it, take a client's step,
#: their notification preferences.
CLIENT_WRITES = {"case-list", "case-messages", "case-transition", "notification-preferences"}
#: URL namespaces that are staff-only areas, and the client's own area.
STAFF_AREAS = {"console", "supervisor", "risk_pages"}
CLIENT_AREAS = {"portal"}
#: URL namespaces every logged-in user writes in, on their own things (the web bell's inbox).
PERSONAL_AREAS = {"notifications_web"}

#: A body with a valid value for every field the write APIs and forms read (unknown fields are
#: ignored), so that a refusal comes from the role check, not from bad input.
WRITE_BODY = {
    "body": "sweep write", "comment": "sweep write", "subject": "sweep write", "description": "sweep write",
    "kind": "ticket", "priority": "high", "category": "account", "visibility": "public", "outcome": "reached",
    "reached": True, "note": "sweep write", "points": "5.00", "reason": "sweep write", "market_shock": "-0.10",
    "score": 5, "email_enabled": False, "sms_enabled": False, "in_app_enabled": False, "queue": "disputes",
    "assignee": "sweep_outsider", "proposal": "sweep write",
}
#: Per route and method, where WRITE_BODY is not enough.
WRITE_BODIES: dict[tuple[str, str], dict] = {}

REFUSED = {401, 403, 404, 405}
#: URL name → the roles the navigation bar offers that page to (they must get it).
NAV_ROLES = {name: {str(role) for role in roles} for name, _label, roles in NAVIGATION}
#: JSON keys only staff get: assignee and queue, SLA timers (targets, deadlines, pauses), maker-checker,
#: delivery internals of notices, who logged a call.
STAFF_JSON_KEYS = ('"assignee"', '"queue"', '"sla"', '"target_seconds"', '"remaining_seconds"', '"due_at"',
                   '"remaining_business_seconds"', '"pause_reason"', '"breached"', '"proposed_by"', '"approved_by"',
                   '"created_by"', '"proposed_outcome"', '"escalated_at"', '"client_tier"', '"provider_id"',
                   '"attempts"', '"recorded_by"')
STAFF_HTML = re.compile(r"\bsla-(?:ok|50|75|100|paused)\b")
#: SLA metrics a client is never shown (codes and names in both languages); "resolution" is not in
#: the list: a dispute's state "resolution proposed" is the client's business.
SLA_METRICS = (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.PERIODIC_UPDATE, Metric.REGULATORY_ACK,
               Metric.REGULATORY_FINAL)
WRITE_APPS = {"accounts", "cases", "risk", "notifications", "knowledge", "auth", "authtoken"}


@pytest.fixture(scope="module")
def routes():
    walked, _skipped = all_routes()
    return walked


def known(route) -> bool:
    return all(kind_of(route, param) for param in route.params)


def base_name(route) -> str:
    return route.name.rsplit(":", 1)[-1] if route.name else ""


def is_public(route) -> bool:
    return route.namespace == "" and base_name(route) in PUBLIC_ROUTES


def login(world, role) -> Client:
    client = Client(raise_request_exception=False)  # a server error is a 500 to report, not the sweep's end
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def variants(world, role, route):
    """("inside", None, values) for each combination of values inside the role's scope; then for
    each scoped parameter ("outside", param, values) per value outside the role's scope and
    ("missing", param, values) with a value naming nothing."""
    scoped = {param: values_for(world, role, kind_of(route, param)) for param in route.params}
    combinations = [{}]
    for param, values in scoped.items():
        combinations = [{**done, param: value} for done in combinations for value in values.inside]
    for inside in combinations:
        yield "inside", None, inside
    first = combinations[0]
    for param, values in scoped.items():
        for value in values.outside:
            yield "outside", param, {**first, param: value}
        if values.missing is not None:
            yield "missing", param, {**first, param: values.missing}


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302) and response.get("Location", "").startswith(
        resolve_url(settings.LOGIN_URL))


def login_required(response, route) -> bool:
    """401/403, or the login page; 405 for a GET where only writes are served (it shows nothing)."""
    return response.status_code in (401, 403, 405) or (not route.is_api and is_login_redirect(response))


def ok(response) -> bool:
    return 200 <= response.status_code < 300


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        return ""  # a file download: its bytes are the file's
    return response.content.decode("utf-8", "replace")


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def client_must_not_see(world) -> list[str]:
    b = world.b
    texts = [*SECRET_MARKERS, *b.strings, "BETA-NAME", world.staff["assignee"].username,
             world.extras["outside_ticket"].number]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts += [str(metric.label) for metric in SLA_METRICS]
    texts += [str(metric.value) for metric in SLA_METRICS]
    return texts


def leaks_to_client(world, response) -> list[str]:
    text = text_of(response)
    found = [value for value in client_must_not_see(world) if value in text]
    if response.get("Content-Type", "").startswith("application/json"):
        found += [key for key in STAFF_JSON_KEYS if key in text]
    if is_html(response):
        found += STAFF_HTML.findall(text)
    return found


def test_every_route_parameter_is_known(routes):
    """A new route whose parameters the sweep cannot fill fails here, saying what to add."""
    unknown = [
        f"{route}: the sweep does not know how to fill the path parameter {param!r}. Add it to PARAM_KINDS "
        f"(or ({base_name(route)!r}, {param!r}) to ROUTE_PARAM_KINDS) in tests/security/scope.py, with values "
        f"inside and outside the scope of every role."
        for route in routes for param in route.params if kind_of(route, param) is None
    ]
    assert not unknown, "\n".join(unknown)


def test_every_schema_operation_is_walked(routes):
    """Every operation of /api/schema/ is served by a route the sweep walks, with that method."""
    missing = []
    for method, path in schema_operations():
        route = route_of(path, routes)
        if route is None:
            missing.append(f"{method} {path}: no walked route serves it")
        elif method != "GET" and method not in route.write_methods():
            missing.append(f"{method} {path}: {route} does not declare {method}")
    assert not missing, "\n".join(missing)


def test_the_sweep_walks_pages_and_apis(routes):
    """The walk finds the web pages and the API (a resolver walk that found nothing would pass)."""
    templates = {route.template for route in routes}
    assert {"", "accounts/login/", "api/v1/cases/", "api/v1/cases/<number>/messages/"} <= templates
    assert len(routes) >= 30


@pytest.mark.parametrize("role", ROLES)
def test_reads(role, world, routes):
    """GET every route as `role` with values inside, outside and naming nothing."""
    client = login(world, role)
    failures, html_pages, requests = [], 0, 0
    for route in routes:
        if not known(route):
            continue  # test_every_route_parameter_is_known says what to add
        answers = {}
        for label, param, values in variants(world, role, route):
            url = route.url(values)
            response = client.get(url)
            requests += 1
            answers.setdefault((label, param), []).append((url, response))
            where = f"GET {url} as {role} ({label}{' ' + param if param else ''}) → {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
            if role == "anonymous" and not is_public(route) and not login_required(response, route):
                failures.append(f"{where}: anonymous must be asked to log in (401/403, or the login page)")
            if role == "client" and (found := leaks_to_client(world, response)):
                failures.append(f"{where}: a client sees {sorted(set(found))}")
            if is_html(response):
                html_pages += 1
                text = text_of(response)
                if raw := [payload for payload in RAW_XSS if payload in text]:
                    failures.append(f"{where}: unescaped {raw} in the HTML")
        failures += _scope_failures(role, route, answers)
    print(f"\n{role}: {requests} GET requests, {html_pages} HTML pages")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


def _scope_failures(role, route, answers) -> list[str]:
    failures = []
    area_closed = ((role == "client" and route.namespace in STAFF_AREAS)
                   or (role not in ("client", "anonymous") and route.namespace in CLIENT_AREAS))
    for inside_url, response in answers[("inside", None)]:
        if area_closed and response.status_code not in (403, 405):  # 405: a GET where only writes are served
            failures.append(f"GET {inside_url} as {role} → {response.status_code}: a role that may not use this "
                            f"route gets 403")
    if role in NAV_ROLES.get(route.name, ()):
        for inside_url, response in answers[("inside", None)]:
            if response.status_code != 200:
                failures.append(f"GET {inside_url} as {role} → {response.status_code}: the navigation offers this "
                                f"page to the role (accounts/navigation.py)")
    inside = answers[("inside", None)][0][1]
    for (label, param), responses in answers.items():
        missing = answers.get(("missing", param))
        for url, response in responses:
            where = f"GET {url} as {role} ({label} {param}) → {response.status_code}"
            if label == "outside":
                if ok(response):
                    failures.append(f"{where}: an object outside the scope is shown")
                elif missing and response.status_code != missing[0][1].status_code:
                    failures.append(f"{where}: a value naming nothing gets {missing[0][1].status_code}; an object "
                                    f"outside the scope must get the same (404), never a hint it exists")
            if label in ("outside", "missing") and ok(inside) and response.status_code != 404:
                failures.append(f"{where}: expected 404")
    return failures


# --- writes -----------------------------------------------------------------------------------------------

def fingerprint() -> dict[str, str]:
    """A digest of every row of the application's tables."""
    digests = {}
    for model in apps.get_models():
        if (model._meta.app_label not in WRITE_APPS or model._meta.proxy or not model._meta.managed
                or not model._meta.can_migrate(connection)):  # the report tally: PostgreSQL only
            continue
        rows = model._base_manager.order_by("pk").values_list()
        digests[model._meta.label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def rows_written() -> int | None:
    """How many rows this connection has inserted, updated or deleted so far (None: unknown): a cheap
    way to know when to compare the whole fingerprint."""
    if connection.vendor == "sqlite":
        return connection.connection.total_changes
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
            return int(cursor.fetchone()[0])
    return None


class WriteWatch:
    """Tells which application tables a request changed (compared row by row when anything was written)."""

    def __init__(self):
        connection.ensure_connection()
        self.digests, self.count = fingerprint(), rows_written()

    def changed_tables(self) -> list[str]:
        count = rows_written()
        if count is not None and count == self.count:
            return []
        digests = fingerprint()
        changed = sorted(table for table in digests if digests[table] != self.digests.get(table))
        self.digests, self.count = digests, count
        return changed


def may_write(role, route) -> bool:
    """Whether `role` may write on this route at all (its scope still applies)."""
    name = base_name(route)
    if is_public(route):
        return True
    if role == "anonymous":
        return False
    if (route.namespace == "" and name in PERSONAL_WRITES) or route.namespace in PERSONAL_AREAS:
        return True
    if role == "auditor":
        return False
    if role == "client":
        return route.namespace in CLIENT_AREAS or (route.namespace == "" and name in CLIENT_WRITES)
    return route.namespace not in CLIENT_AREAS


def send(client, method, url, route):
    body = WRITE_BODIES.get((base_name(route), method), WRITE_BODY)
    if route.is_api or method != "POST":
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.post(url, {key: "" if value is None else value for key, value in body.items()})


@pytest.mark.parametrize("role", ROLES)
def test_writes(role, world, routes):
    """As `role`: every write on a route it may not write on, and every write on an object outside
    its scope, is refused and changes nothing."""
    client = login(world, role)
    failures, requests = [], 0
    watch = WriteWatch()
    for route in routes:
        if not known(route) or not route.write_methods():
            continue
        read_only = not may_write(role, route)
        for method in route.write_methods():
            answers = {}
            for label, param, values in variants(world, role, route):
                if label == "inside" and not read_only:
                    continue
                if not read_only and not any(lbl == "outside" and prm == param
                                             for lbl, prm, _v in variants(world, role, route)):
                    continue  # nothing outside this role's scope to try
                url = route.url(values)
                response = send(client, method, url, route)
                requests += 1
                answers[(label, param)] = response.status_code
                where = f"{method} {url} as {role} ({label}{' ' + param if param else ''}) → {response.status_code}"
                if changed := watch.changed_tables():
                    failures.append(f"{where}: the database changed ({', '.join(changed)})")
                if response.status_code >= 500:
                    failures.append(f"{where}: server error")
                elif (not route.declares_methods and not changed
                      and response.status_code == client.get(url).status_code):
                    pass  # a function view that reads whatever the method: it answered as to a GET, wrote nothing
                elif not (response.status_code in REFUSED or (role == "anonymous" and is_login_redirect(response))):
                    hint = (" (refused as bad input, not for the role: check the role first, or give this route a "
                            "valid body in WRITE_BODIES)" if response.status_code == 400 else "")
                    failures.append(f"{where}: expected a refusal (401/403/404/405){hint}")
            for (label, param), status in answers.items():
                missing = answers.get(("missing", param))
                if label == "outside" and missing is not None and status != missing:
                    failures.append(f"{method} {route} as {role}: outside the scope {status}, naming nothing "
                                    f"{missing}: must be the same")
    print(f"\n{role}: {requests} write requests")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


def test_the_leak_check_finds_what_staff_see(world):
    """The client checks are not vacuous: what staff see of client A's ticket trips them."""
    client = login(world, "supervisor")
    for url in (f"/api/v1/cases/{world.a.ticket.number}/", f"/api/v1/cases/{world.a.ticket.number}/messages/",
                f"/api/v1/cases/{world.b.ticket.number}/"):
        response = client.get(url)
        assert response.status_code == 200 and leaks_to_client(world, response), url


def test_the_write_check_sees_a_write(world):
    """The database check is not vacuous: a reply that is accepted is seen."""
    watch = WriteWatch()
    response = login(world, "agent").post(f"/api/v1/cases/{world.a.ticket.number}/messages/", {"body": "seen"},
                                          content_type="application/json")
    assert response.status_code == 201
    assert "cases.CaseMessage" in watch.changed_tables()
    assert watch.changed_tables() == []


def test_the_payloads_reach_the_pages(world, routes):
    """The XSS check is not vacuous: some HTML page of the sweep shows a payload (escaped)."""
    client = login(world, "supervisor")
    escaped = SCRIPT.replace("<", "&lt;").replace(">", "&gt;")
    pages = [route.url({param: values_for(world, "supervisor", kind_of(route, param)).inside[0]
                        for param in route.params}) for route in routes if known(route)]
    shown = [url for url in pages if escaped in text_of(response := client.get(url)) and is_html(response)]
    assert shown, "no HTML page shows the data set's texts"
    rating = Client().get(f"/rate/{world.rating_token}/")
    assert escaped in text_of(rating) and SCRIPT not in text_of(rating)


@pytest.mark.parametrize("role", ["client", "supervisor"])
def test_odd_characters_in_path_parameters_are_not_server_errors(role, world, routes):
    """A NUL (PostgreSQL refuses it in a query: a 500), a huge number, spaces and non-Latin text in
    every path parameter: refused (4xx), never a server error."""
    client = login(world, role)
    failures = []
    for route in routes:
        if not route.params or not known(route):
            continue
        inside = {param: values_for(world, role, kind_of(route, param)).inside[0] for param in route.params}
        for param in route.params:
            for odd in ("\x00", "9" * 30, "a b", "客户", "-1", "..", "%"):
                values = {**inside, param: odd}
                try:
                    url = route.url(values)
                except Exception:  # noqa: BLE001 - the URL pattern does not take such a value: no route
                    continue
                for method in ("GET", *route.write_methods()):
                    response = client.generic(method, url)
                    if response.status_code >= 500:
                        failures.append(f"{method} {url!r} as {role} → {response.status_code}")
    assert not failures, "\n".join(failures)
