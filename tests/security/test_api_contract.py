"""Defects the API fuzzing (test_schemathesis.py) found, each with the test that would have caught it."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from risk.models import MarginCallContact

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_a_url_no_api_route_matches_answers_json(client):
    """/api/v1/cases/no such/ matched no route: Django's HTML page answered an API client."""
    response = client.get("/api/v1/cases/no%20such/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_path_parameters_are_documented_as_the_urls_accept_them():
    """The schema said any string: most values then hit no route at all."""
    paths = schema()["paths"]
    number = next(p for p in paths["/api/v1/cases/{number}/"]["get"]["parameters"] if p["name"] == "number")
    assert number["schema"] == {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}
    visit = paths["/api/v1/return-visits/{id}/complete/"]["post"]["parameters"][0]
    assert visit["schema"]["type"] == "integer" and visit["schema"]["maximum"] == 2**63 - 1


def test_error_answers_are_documented():
    paths = schema()["paths"]
    assert {"400", "401", "403", "404", "409"} <= set(paths["/api/v1/cases/{number}/messages/"]["post"]["responses"])
    assert {"401", "403", "404"} <= set(paths["/api/v1/cases/{number}/"]["get"]["responses"])
    assert "404" in paths["/api/v1/notifications/preferences/"]["get"]["responses"]  # staff have no preferences
    assert {"410", "429"} <= set(paths["/api/v1/ratings/{token}/"]["get"]["responses"])
    csv = paths["/api/v1/reports/sla/"]["get"]["responses"]["400"]["content"]
    assert "text/csv" in csv  # ?format=csv renders the errors as CSV too


def test_the_sla_report_s_answer_is_documented_in_json_and_csv():
    """The report's 200 was "No response body"."""
    document = schema()
    answer = document["paths"]["/api/v1/reports/sla/"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SlaReport"}
    assert answer["content"]["text/csv"]["schema"] == {"type": "string"}
    assert "?format=csv" in answer["description"]
    report = document["components"]["schemas"]["SlaReport"]["properties"]
    assert list(report) == ["group_by", "rows", "backlog_aging", "breaches", "csat", "overdue_visits"]
    compliance = document["components"]["schemas"]["SlaReportCompliance"]["properties"]
    assert list(compliance) == ["group", "metric", "met", "breached", "running", "compliance"]


def test_the_issue_s_names_and_the_allowed_filter_values_are_documented():
    """An SLA timer's `target` and `remaining_business_seconds`, an interest line's `rate` (next to the
    older names); the alert filters' levels and states as the 400 names them; `breached` a boolean."""
    document = schema()
    schemas, paths = document["components"]["schemas"], document["paths"]
    timer = schemas["SlaTimer"]
    for name in ("target", "remaining_business_seconds", "target_seconds", "remaining_seconds"):
        assert timer["properties"][name]["type"] == "integer" and name in timer["required"], name
    line = schemas["InterestLine"]
    assert line["properties"]["rate"] == line["properties"]["annual_rate"] and "rate" in line["required"]
    alerts = {p["name"]: p["schema"] for p in paths["/api/v1/risk/alerts/"]["get"]["parameters"]}
    assert alerts["level"]["enum"] == alerts["line"]["enum"] == ["attention", "close_out", "immediate", "warning"]
    assert alerts["state"]["enum"] == ["cleared", "open"]
    cases = {p["name"]: p["schema"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert cases["breached"] == {"type": "boolean"}


def test_fields_only_staff_get_are_not_required():
    """A client's case has no queue, assignee or SLA: the schema required them."""
    case = schema()["components"]["schemas"]["Case"]
    assert {"queue", "assignee", "sla"}.isdisjoint(case["required"])
    assert {"number", "subject", "state"} <= set(case["required"])


def test_a_case_s_own_lists_document_no_pages_or_list_filters():
    """messages/events/notifications/transitions were documented paginated, with the case list's filters."""
    operation = schema()["paths"]["/api/v1/cases/{number}/events/"]["get"]
    assert [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] == []
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_paged_lists_are_documented_as_pages():
    paths = schema()["paths"]
    for path in ("/api/v1/return-visits/", "/api/v1/risk/stress-tests/", "/api/v1/risk/forecast/",
                 "/api/v1/knowledge/articles/", "/api/v1/knowledge/suggest/"):
        shape = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in shape, path  # a page object ({"results": [...]}), not a bare list


def test_a_call_before_the_margin_call_was_opened_is_refused(api, agent, client_profile, credit_account):
    """The fuzzer logged a call in the year 62 (and its time zone offset then broke the answer's format)."""
    from decimal import Decimal as D

    from cases.models import Case
    from risk.monitoring import monitor_accounts
    from tests.factories import PositionFactory, SecurityFactory

    security = SecurityFactory(price=D("20.00"))
    credit_account.financing_debt = D("100000.00")
    credit_account.save()
    PositionFactory(account=credit_account, security=security, quantity=10000)
    monitor_accounts(trigger="test")
    security.price = D("12.00")
    security.save()
    monitor_accounts(trigger="test")
    case = Case.objects.get(credit_account=credit_account, kind="margin_call")
    case.queue.members.add(agent)
    before = (case.created_at - datetime.timedelta(days=1)).isoformat()
    response = api.as_user(agent).post(f"/api/v1/cases/{case.number}/calls/",
                                       {"outcome": "reached", "called_at": before}, format="json")
    assert response.status_code == 400 and "called_at" in response.json()
    assert not MarginCallContact.objects.exists()
    now = timezone.now().isoformat()
    assert api.as_user(agent).post(f"/api/v1/cases/{case.number}/calls/",
                                   {"outcome": "reached", "called_at": now}, format="json").status_code == 201


def test_the_schema_served_is_the_one_tested():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert b"ValidationErrors" in response.content


def test_local_times_are_documented_without_an_offset(api, client_profile):
    """Quiet hours come back as "22:00:00": the schema's "time" format demanded an offset."""
    import re

    field = schema()["components"]["schemas"]["Preference"]["properties"]["quiet_hours_start"]
    assert "format" not in field
    answer = api.as_user(client_profile.user).get("/api/v1/notifications/preferences/").json()
    assert re.fullmatch(field["pattern"], answer["quiet_hours_start"])


@pytest.mark.parametrize("url", [
    "/api/v1/risk/alerts/?date_from=0467-03-04T07%3A53%3A06.4%2B18%3A09",
    "/api/v1/cases/?created_after=2026-03-04T07%3A53%3A06%2B18%3A09",
    "/api/v1/cases/?due_before=2026-03-04T07%3A53%3A06-17%3A30",
])
def test_an_offset_postgresql_has_no_room_for_is_read_as_utc(api, supervisor, url):
    """PostgreSQL refused the +18:09 of a date filter (DataError: a 500); Python accepts ±23:59."""
    assert api.as_user(supervisor).get(url).status_code == 200


def test_a_date_filter_before_year_one_in_utc_is_bad_input(api, supervisor):
    response = api.as_user(supervisor).get("/api/v1/cases/?created_after=0001-01-01T00%3A00%3A00%2B14%3A00")
    assert response.status_code == 400 and "created_after" in response.json()


@pytest.mark.parametrize("url", [
    "/api/v1/cases/?due_before=0001-01-01", "/api/v1/cases/?created_after=0001-01-01",
    "/api/v1/cases/?created_before=9999-12-31T23%3A00%3A00-12%3A00",
    "/api/v1/risk/alerts/?date_from=0001-01-01", "/api/v1/risk/alerts/?date_to=9999-12-31T23%3A00%3A00-12%3A00",
    "/api/v1/reports/sla/?from=0001-01-01", "/api/v1/reports/sla/?to=9999-12-31T23%3A00%3A00-12%3A00",
])
def test_every_date_filter_refuses_a_time_with_no_utc_naming_it(api, supervisor, url):
    """Midnight of 0001-01-01 in Shanghai is still year 0 in UTC, and 23:00 of 9999-12-31 at -12:00
    already year 10000: the SLA report's were a 500 (OverflowError), the filters' a 400 already."""
    response = api.as_user(supervisor).get(url)
    assert response.status_code == 400 and list(response.json()) == [url.split("?")[1].split("=")[0]]


@pytest.mark.parametrize("url", [
    "/api/v1/cases/?due_before=9999-12-31T23%3A59%3A59", "/api/v1/cases/?created_after=0001-01-01T00%3A00%3A00Z",
    "/api/v1/risk/alerts/?date=0001-01-01", "/api/v1/risk/alerts/?date=9999-12-31",
    "/api/v1/reports/sla/?from=0001-01-01T00%3A00%3A00Z", "/api/v1/reports/sla/?to=9999-12-31",
])
def test_a_date_filter_at_the_ends_of_the_calendar_is_answered(api, supervisor, url):
    assert api.as_user(supervisor).get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/accounts/%00/ratio-history/", "/api/v1/cases/%00/calls/"])
def test_a_nul_byte_in_an_account_or_case_number_is_not_found(api, supervisor, url):
    """These two routes took any string: PostgreSQL refused the NUL in the query (a 500)."""
    assert api.as_user(supervisor).get(url).status_code == 404
