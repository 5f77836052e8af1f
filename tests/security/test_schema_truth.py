"""The OpenAPI schema tells an integrator the truth: what each call really answers has exactly the
documented fields, in the documented types and values, and what it asks for (login, query values) is
what it accepts. Each test is one mismatch found by comparing real answers with the schema."""

import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from cases.models import CalendarYear
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory
from tests.web.margin import open_margin_call

pytestmark = [pytest.mark.django_db, pytest.mark.security]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def resolved(document, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if len(schema.get("allOf", [])) == 1:
        return {**resolved(document, schema["allOf"][0]), **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def mismatches(document, schema: dict, value, where: str = "") -> list[str]:
    """Where `value` differs from `schema`: fields undocumented or documented but absent, a wrong
    type, a value outside the enum, a null where none is documented."""
    schema = resolved(document, schema)
    if value is None:
        return [] if schema.get("nullable") or not schema.get("type") else [f"{where}: null"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        properties = schema.get("properties", {})
        undocumented = sorted(set(value) - set(properties))
        found = [f"{where}: undocumented {undocumented}"] if undocumented else []
        absent = set(schema.get("required", [])) - set(value)
        found += [f"{where}: absent {sorted(absent)}"] if absent else []
        for name, field in properties.items():
            if name in value:
                found += mismatches(document, field, value[name], f"{where}.{name}")
        return found
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        return [problem for item in value for problem in mismatches(document, schema.get("items", {}), item, where)]
    python = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}.get(kind)
    if python and (not isinstance(value, python) or (kind != "boolean" and isinstance(value, bool))):
        return [f"{where}: {value!r} is no {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not one of {schema['enum']}"]
    return []


def answer_schema(document, path: str, method: str, status: int) -> dict:
    response = document["paths"][path][method]["responses"][str(status)]
    assert "content" in response, f"{method.upper()} {path} {status}: documented without a body"
    return response["content"]["application/json"]["schema"]


def assert_documented(document, path, method, response):
    schema = answer_schema(document, path, method, response.status_code)
    assert mismatches(document, schema, response.json()) == []


# --- POST /api/v1/auth/token/ ---------------------------------------------------------------------------


def test_the_token_call_is_documented_as_needing_no_login_and_answering_the_token(document):
    """The schema asked for a token (tokenAuth or cookieAuth) to get a token, listed 401 and 403, and
    said "{"token": "…"}" in words only: no body, so a generated client had no `token` to read."""
    operation = document["paths"]["/api/v1/auth/token/"]["post"]
    assert operation["security"] == [{}]
    assert {"401", "403"}.isdisjoint(operation["responses"])
    token = resolved(document, answer_schema(document, "/api/v1/auth/token/", "post", 200))
    assert token["properties"]["token"]["type"] == "string" and token["required"] == ["token"]
    assert answer_schema(document, "/api/v1/auth/token/", "post", 400) == {
        "$ref": "#/components/schemas/ValidationErrors"}
    assert answer_schema(document, "/api/v1/auth/token/", "post", 429) == {"$ref": "#/components/schemas/ErrorDetail"}


def test_an_expired_token_still_sent_does_not_stop_its_renewal(document, settings):
    """A script that sends its stored token on every call, the token call too, was answered 401
    "the token has expired" by the very call the 401 tells it to make."""
    UserFactory(username="zhao.lei", roles=[Role.AGENT])
    issued = timezone.now()
    login = {"username": "zhao.lei", "password": "pass-word-123"}
    with time_machine.travel(issued, tick=False):
        token = APIClient().post("/api/v1/auth/token/", login, format="json").json()["token"]
    later = issued + datetime.timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS, minutes=1)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(later, tick=False):
        assert script.get("/api/v1/cases/").status_code == 401
        response = script.post("/api/v1/auth/token/", login, format="json")
        assert response.status_code == 200
        assert_documented(document, "/api/v1/auth/token/", "post", response)
        fresh = response.json()["token"]
        assert fresh != token
        script.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
        assert script.get("/api/v1/cases/").status_code == 200
    wrong = APIClient().post("/api/v1/auth/token/", {**login, "password": "wrong"}, format="json")
    assert wrong.status_code == 400
    assert list(wrong.json()) == ["non_field_errors"]


# --- /api/v1/risk/stress-mode/ and /api/v1/risk/forecast/ ---------------------------------------------


def test_the_stress_mode_answers_are_documented(document, api, risk_officer, supervisor):
    """GET, POST and DELETE were documented "No response body" (DELETE as a 204): each answers the
    stress mode as it now stands."""
    path = "/api/v1/risk/stress-mode/"
    for method in ("get", "post", "delete"):
        assert "200" in document["paths"][path][method]["responses"], method
        assert "204" not in document["paths"][path][method]["responses"], method
    answers = [
        ("get", api.as_user(supervisor).get(path)),
        ("post", api.as_user(risk_officer).post(path, {"points": "5.00", "reason": "市场剧烈波动"}, format="json")),
        ("get", api.as_user(supervisor).get(path)),
        ("post", api.as_user(risk_officer).post(path, {"points": None}, format="json")),
        ("delete", api.as_user(risk_officer).delete(path)),
    ]
    for method, response in answers:
        assert response.status_code == 200, response.content
        assert_documented(document, path, method, response)
    assert answers[2][1].json()["points"] == "5.00" and answers[2][1].json()["active"] is True
    assert answers[4][1].json()["active"] is False


def test_the_forecast_page_documents_the_days_it_answers_and_takes(document, api, supervisor, credit_account):
    """The page carries `days` beside the results, which the schema left out; the query's `days`
    was any integer, though only 1 to 60 are taken."""
    days = next(p for p in document["paths"]["/api/v1/risk/forecast/"]["get"]["parameters"] if p["name"] == "days")
    assert (days["schema"]["minimum"], days["schema"]["maximum"], days["schema"]["default"]) == (1, 60, 5)
    credit_account.financing_debt = D("100000.00")
    credit_account.save()
    PositionFactory(account=credit_account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    response = api.as_user(supervisor).get("/api/v1/risk/forecast/?days=10")
    assert response.status_code == 200 and response.json()["days"] == 10 and response.json()["results"]
    assert_documented(document, "/api/v1/risk/forecast/", "get", response)
    assert api.as_user(supervisor).get("/api/v1/risk/forecast/?days=61").status_code == 400


# --- the values of a case, a margin call and an alert ----------------------------------------------------


def test_the_values_a_margin_call_its_sla_and_its_alerts_show_are_documented_enums(
        document, api, agent, supervisor, client_profile):
    """A margin call's `stage` and `level`, an SLA timer's `state`, an alert's `line`:
    plain strings in the schema, so an integrator could not know the values (the filters listed them)."""
    schemas = document["components"]["schemas"]
    enum = {name: resolved(document, schema)["enum"] for name, schema in (
        ("stage", schemas["MarginCall"]["properties"]["stage"]),
        ("level", schemas["MarginCall"]["properties"]["level"]),
        ("state", schemas["SlaTimer"]["properties"]["state"]),
        ("line", schemas["Alert"]["properties"]["line"]))}
    assert enum["stage"] == ["outreach", "margin_call"]
    assert "close_out" in enum["level"]
    assert enum["state"] == ["running", "paused", "met", "breached", "cancelled"]
    sla_state = next(p for p in document["paths"]["/api/v1/cases/"]["get"]["parameters"] if p["name"] == "sla_state")
    assert sorted(enum["state"]) == sla_state["schema"]["enum"]
    alert_level = next(p for p in document["paths"]["/api/v1/risk/alerts/"]["get"]["parameters"]
                       if p["name"] == "level")
    assert sorted(enum["line"]) == alert_level["schema"]["enum"]

    case = open_margin_call(client_profile, agent)
    detail = api.as_user(supervisor).get(f"/api/v1/cases/{case.number}/")
    assert detail.json()["margin_call"]["stage"] == "margin_call"
    assert_documented(document, "/api/v1/cases/{number}/", "get", detail)
    api.as_user(client_profile.user).post("/api/v1/cases/", {"kind": "dispute", "subject": "利息计算有误"},
                                                 format="json")
    listed = api.as_user(supervisor).get("/api/v1/cases/")
    assert {timer["metric"] for row in listed.json()["results"] for timer in row["sla"]} >= {"first_response"}
    assert_documented(document, "/api/v1/cases/", "get", listed)
    alerts = api.as_user(supervisor).get("/api/v1/risk/alerts/")
    assert alerts.json()["results"]
    assert_documented(document, "/api/v1/risk/alerts/", "get", alerts)


# --- POST /api/v1/cases/ and the steps: the 409s and the replay header ----------------------------------


def test_a_replayed_submission_s_header_is_documented(document, api, client_profile):
    operation = document["paths"]["/api/v1/cases/"]["post"]
    header = operation["responses"]["201"]["headers"]["Idempotent-Replayed"]
    assert header["schema"]["enum"] == ["true"]
    client = api.as_user(client_profile.user)
    body = {"kind": "ticket", "subject": "无法登录"}
    first = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and first.json()["number"] == again.json()["number"]
    assert "Idempotent-Replayed" not in first and again["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/cases/", {**body, "subject": "另一个问题"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    assert_documented(document, "/api/v1/cases/", "post", other)


def test_a_message_s_idempotency_key_its_replay_and_its_409_are_documented(document, api, client_profile):
    path = "/api/v1/cases/{number}/messages/"
    operation = document["paths"][path]["post"]
    assert "Idempotency-Key" in {parameter["name"] for parameter in operation["parameters"]
                                 if parameter["in"] == "header"}
    assert operation["responses"]["201"]["headers"]["Idempotent-Replayed"]["schema"]["enum"] == ["true"]
    client = api.as_user(client_profile.user)
    number = client.post("/api/v1/cases/", {"kind": "ticket", "subject": "无法登录"}, format="json").json()["number"]
    url = f"/api/v1/cases/{number}/messages/"
    first = client.post(url, {"body": "补充说明"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    again = client.post(url, {"body": "补充说明"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert_documented(document, path, "post", again)
    other = client.post(url, {"body": "另一条"}, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert other.status_code == 409
    assert_documented(document, path, "post", other)


def test_a_409_of_a_request_still_open_is_documented_with_the_case(document, api, client_profile):
    """The open request's 409 names it (`case`), which the schema did not say."""
    thursday = datetime.datetime(2026, 2, 12, 10, tzinfo=SH)
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"),
                                   contract_maturity=thursday.date() + datetime.timedelta(days=10))
    PositionFactory(account=account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    client = api.as_user(client_profile.user)
    body = {"kind": "extension", "subject": "申请展期", "credit_account": account.account_no}
    with time_machine.travel(thursday, tick=False):
        assert client.post("/api/v1/cases/", body, format="json").status_code == 201
        response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "open_request"
    assert "case" in resolved(document, answer_schema(document, "/api/v1/cases/", "post", 409))["properties"]
    assert_documented(document, "/api/v1/cases/", "post", response)


def test_a_step_s_409_without_the_allowed_steps_is_still_documented(document, api, client_profile, agent):
    """The schema required `state` and `allowed` in every 409 of a step; a change made meanwhile
    answers the state alone, a deadline on a calendar with no data the calendar and year."""
    conflict = resolved(document, answer_schema(document, "/api/v1/cases/{number}/transitions/{name}/", "post", 409))
    assert set(conflict["required"]) == {"detail", "code"}
    assert {"state", "allowed", "calendar", "year"} <= set(conflict["properties"])
    path = "/api/v1/cases/{number}/transitions/{name}/"
    with time_machine.travel(datetime.datetime(2027, 6, 1, 10, tzinfo=SH), tick=False):
        number = api.as_user(client_profile.user).post(
            "/api/v1/cases/", {"kind": "ticket", "subject": "无法登录"}, format="json").json()["number"]
        refused = api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/resolve/")
        for step in ("open", "wait_on_client"):
            assert api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/{step}/").status_code == 200
    assert refused.status_code == 409 and "allowed" in refused.json()
    assert_documented(document, path, "post", refused)
    CalendarYear.objects.filter(calendar__code="working", year=2027).delete()
    with time_machine.travel(datetime.datetime(2027, 6, 1, 11, tzinfo=SH), tick=False):
        no_calendar = api.as_user(agent).post(f"/api/v1/cases/{number}/transitions/resume/")
    assert no_calendar.status_code == 409, no_calendar.content
    assert no_calendar.json()["code"] == "calendar_year_missing" and "allowed" not in no_calendar.json()
    assert_documented(document, path, "post", no_calendar)


# --- POST /api/v1/ratings/{token}/ --------------------------------------------------------------------


def test_a_rating_s_score_is_documented_as_the_whole_number_it_takes(document, client_profile, agent):
    """`score` was documented as any JSON value (an object, a list, true…), though only 1 to 5 are taken."""
    from cases.services import case_create, case_transition
    from cases.services.ratings import rating_token

    score = document["components"]["schemas"]["RatingInputRequest"]["properties"]["score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 1, 5)
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户咨询")
    case = case_transition(case=case, user=agent, name="open")
    case = case_transition(case=case, user=agent, name="resolve", comment="已解答")
    url = f"/api/v1/ratings/{rating_token(case)}/"
    for outside in (0, 6, {"score": 5}, True):
        response = APIClient().post(url, {"score": outside}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["score"], outside
    response = APIClient().post(url, {"score": 5}, format="json")
    assert response.status_code == 201
    assert_documented(document, "/api/v1/ratings/{token}/", "post", response)


# --- GET /api/v1/notifications/ -----------------------------------------------------------------------


def test_the_bell_s_pages_and_their_links_are_documented(document, api, agent):
    """The bell's answer pages by notice id: `next` and `previous` beside `unread_count` and `results`,
    `before` and `after` taken as positive ids."""
    from notifications.models import Notification

    path = "/api/v1/notifications/"
    parameters = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}
    assert parameters["before"]["type"] == parameters["after"]["type"] == "integer"
    assert parameters["before"]["minimum"] == parameters["after"]["minimum"] == 1
    for number in range(51):
        Notification.objects.create(recipient_user=agent, channel="in_app", event="sla_warning", language="en",
                                    status="sent", subject=f"Warning {number}", body="")
    first = api.as_user(agent).get(path)
    assert first.status_code == 200 and first.json()["next"] and first.json()["previous"] is None
    assert_documented(document, path, "get", first)
    second = api.as_user(agent).get(first.json()["next"])
    assert second.status_code == 200 and second.json()["next"] is None and second.json()["previous"]
    assert_documented(document, path, "get", second)
    refused = api.as_user(agent).get(path, {"before": "x"})
    assert refused.status_code == 400 and list(refused.json()) == ["before"]
