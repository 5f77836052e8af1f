import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case, CaseEvent
from cases.services import case_create, case_transition, message_create
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询",
                       description="请问利率多少", category="fees")
    message_create(case=case, author=agent, body="已转交", internal=True)
    return case


@pytest.fixture
def as_supervisor(client, supervisor):
    client.force_login(supervisor)
    return client


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def transition_url(case, name=None):
    return reverse("admin:cases_case_transition", args=[case.pk] if name is None else [case.pk, name])


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_supervisor_sees_the_case_list_with_filters_and_search(as_supervisor, ticket):
    url = reverse("admin:cases_case_changelist")
    response = as_supervisor.get(url)
    assert response.status_code == 200
    assert ticket.number in response.content.decode()
    for query in ({"kind__exact": "ticket"}, {"state__exact": "new"}, {"priority__exact": "normal"},
                  {"q": ticket.number}, {"q": "利率"}, {"q": ticket.client.client_no}):
        response = as_supervisor.get(url, query)
        assert response.status_code == 200, query
        assert list(response.context["cl"].result_list) == [ticket], query
    response = as_supervisor.get(url, {"state__exact": "closed"})
    assert list(response.context["cl"].result_list) == []


def test_case_list_query_count_does_not_grow_with_rows(as_supervisor, client_profile, agent,
                                                       django_assert_max_num_queries):
    for n in range(30):
        case_create(created_by=agent, client=client_profile, kind="ticket", subject=f"问题 {n}")
    with django_assert_max_num_queries(20):
        assert as_supervisor.get(reverse("admin:cases_case_changelist")).status_code == 200


def test_case_change_page_shows_buttons_for_the_users_transitions(as_supervisor, ticket):
    response = as_supervisor.get(change_url(ticket))
    assert response.status_code == 200
    names = {t.name for t in response.context["case_transitions"]}
    assert names == {"open", "cancel"}
    html = response.content.decode()
    assert f'action="{transition_url(ticket)}"' in html
    assert 'value="open"' in html and 'value="cancel"' in html
    assert "已转交" in html  # messages inline, internal note included for staff
    assert 'name="state"' not in html  # state is read-only


def test_transition_button_changes_state_and_writes_an_event(as_supervisor, ticket, supervisor):
    response = as_supervisor.post(transition_url(ticket), {"transition": "open", "comment": "我来处理"})
    assert response.status_code == 302 and response.url == change_url(ticket)
    ticket.refresh_from_db()
    assert ticket.state == "open" and ticket.assignee == supervisor
    event = CaseEvent.objects.filter(case=ticket, kind="transition").get()
    assert (event.name, event.from_value, event.to_value, event.actor, event.comment) == (
        "open", "new", "open", supervisor, "我来处理")


def test_transition_name_may_be_given_in_the_url(as_supervisor, ticket):
    response = as_supervisor.post(transition_url(ticket, "open"), follow=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.state == "open"
    assert any(ticket.number in text for text in messages_of(response))


@pytest.mark.parametrize("name, body", [("close", {}), ("approve", {}), ("no_such_step", {}), ("delete", {})])
def test_disallowed_transition_shows_the_error_and_changes_nothing(as_supervisor, ticket, name, body):
    events = CaseEvent.objects.filter(case=ticket).count()
    response = as_supervisor.post(transition_url(ticket), {"transition": name, **body}, follow=True,
                                  headers={"accept-language": "en"})
    assert response.status_code == 200
    assert any("not possible" in text for text in messages_of(response)), messages_of(response)
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert CaseEvent.objects.filter(case=ticket).count() == events


def test_transition_needing_a_comment_is_refused_without_one(as_supervisor, ticket, supervisor):
    case_transition(case=ticket, user=supervisor, name="open")
    response = as_supervisor.post(transition_url(ticket), {"transition": "resolve", "comment": " "}, follow=True,
                                  headers={"accept-language": "en"})
    assert any("comment" in text.lower() for text in messages_of(response))
    ticket.refresh_from_db()
    assert ticket.state == "open"


def test_four_eyes_supervisor_cannot_approve_own_proposal(client, ticket, supervisor, other_supervisor,
                                                         credit_account, agent):
    credit_account.contract_maturity = timezone.localdate() + datetime.timedelta(days=10)  # may be extended
    credit_account.save(update_fields=["contract_maturity"])
    request = case_create(created_by=agent, client=credit_account.client, kind="extension", subject="展期申请",
                          credit_account=credit_account)
    request = case_transition(case=request, user=supervisor, name="start_review")
    request = case_transition(case=request, user=supervisor, name="propose_approval", comment="符合条件")
    client.force_login(supervisor)
    assert "approve" not in {t.name for t in client.get(change_url(request)).context["case_transitions"]}
    client.post(transition_url(request), {"transition": "approve"})
    request.refresh_from_db()
    assert request.state == "under_review"
    client.force_login(other_supervisor)
    client.post(transition_url(request), {"transition": "approve"})
    request.refresh_from_db()
    assert request.state == "approved" and request.approved_by == other_supervisor


def test_a_comment_with_a_nul_character_is_refused_not_a_server_error(as_supervisor, ticket):
    """The admin's transition button read its comment as sent: a NUL byte reached the event's INSERT (a 500)."""
    response = as_supervisor.post(transition_url(ticket, "open"), {"comment": "已处理\x00"}, follow=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert not CaseEvent.objects.filter(case=ticket, kind="transition").exists()
    assert [message.level_tag for message in response.context["messages"]] == ["error"]


def test_transition_url_only_takes_posts(as_supervisor, ticket):
    assert as_supervisor.get(transition_url(ticket, "open")).status_code == 405
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_editing_a_case_goes_through_the_service_and_is_audited(as_supervisor, ticket, supervisor):
    data = {
        "subject": ticket.subject, "category": ticket.category, "priority": "high", "queue": ticket.queue_id,
        "assignee": "",
        "messages-TOTAL_FORMS": "1", "messages-INITIAL_FORMS": "1", "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "0",
        "events-TOTAL_FORMS": "2", "events-INITIAL_FORMS": "2", "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "0",
    }
    response = as_supervisor.post(change_url(ticket), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert ticket.priority == "high" and ticket.state == "new"
    event = CaseEvent.objects.get(case=ticket, kind="priority")
    assert (event.from_value, event.to_value, event.actor) == ("normal", "high", supervisor)


def test_cases_and_events_cannot_be_added_or_deleted_in_admin(as_supervisor, ticket):
    assert as_supervisor.get(reverse("admin:cases_case_delete", args=[ticket.pk])).status_code == 403
    assert as_supervisor.post(reverse("admin:cases_case_delete", args=[ticket.pk]), {"post": "yes"}).status_code == 403
    assert as_supervisor.get(reverse("admin:cases_case_add")).status_code == 403
    event = CaseEvent.objects.filter(case=ticket).first()
    assert as_supervisor.get(reverse("admin:cases_caseevent_delete", args=[event.pk])).status_code == 403
    assert Case.objects.filter(pk=ticket.pk).exists() and CaseEvent.objects.filter(pk=event.pk).exists()
    response = as_supervisor.get(reverse("admin:cases_caseevent_changelist"))
    assert response.status_code == 200


def accounts_with_ratios():
    security = SecurityFactory(symbol="600519", name="贵州茅台", price=Decimal("1500.10"))
    low = CreditAccountFactory(account_no="A-LOW", financing_debt=Decimal("120008.00"))
    PositionFactory(account=low, security=security, quantity=100)  # 150010 / 120008 = 125%
    high = CreditAccountFactory(account_no="A-HIGH", financing_debt=Decimal("50000.00"))
    PositionFactory(account=high, security=security, quantity=100)  # 300.02%
    none = CreditAccountFactory(account_no="A-NONE", cash=Decimal("1000.00"))
    return low, high, none


def test_credit_account_list_has_a_sortable_ratio_column_computed_in_sql(as_supervisor):
    low, high, none = accounts_with_ratios()
    url = reverse("admin:accounts_creditaccount_changelist")
    response = as_supervisor.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "column-maintenance_ratio" in html
    assert "125.00%" in html and "300.02%" in html
    ratio_column = list(response.context["cl"].list_display).index("maintenance_ratio")
    response = as_supervisor.get(url, {"o": str(ratio_column)})
    ordered = [account.account_no for account in response.context["cl"].result_list]
    assert ordered.index("A-LOW") < ordered.index("A-HIGH")
    response = as_supervisor.get(url, {"o": f"-{ratio_column}"})
    ordered = [account.account_no for account in response.context["cl"].result_list]
    assert ordered.index("A-HIGH") < ordered.index("A-LOW")
    response = as_supervisor.get(url, {"band": "close_out"})
    assert [account.account_no for account in response.context["cl"].result_list] == ["A-LOW"]
    response = as_supervisor.get(url, {"band": "no_liability"})
    assert [account.account_no for account in response.context["cl"].result_list] == ["A-NONE"]


def test_credit_account_change_page_shows_positions_and_ratio(as_supervisor):
    low, _high, _none = accounts_with_ratios()
    response = as_supervisor.get(reverse("admin:accounts_creditaccount_change", args=[low.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "125.00%" in html and "贵州茅台" in html


def test_phone_is_masked_for_those_who_do_not_see_personal_data(client, supervisor, team_lead):
    profile = ClientProfileFactory(phone="13812345678", id_number="110101198001011234")
    url = reverse("admin:accounts_clientprofile_changelist")
    client.force_login(supervisor)
    assert "13812345678" in client.get(url).content.decode()
    client.force_login(team_lead)
    html = client.get(url).content.decode()
    assert "13812345678" not in html and "138****5678" in html
    html = client.get(reverse("admin:accounts_clientprofile_change", args=[profile.pk])).content.decode()
    assert "110101198001011234" not in html and "13812345678" not in html


@pytest.mark.parametrize("name", ["accounts_user", "accounts_queue", "accounts_routingrule", "accounts_security",
                                  "accounts_clientprofile", "accounts_creditaccount", "cases_case",
                                  "cases_caseevent"])
def test_every_admin_list_loads_for_a_superuser(client, ticket, name):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{name}_add")).status_code in (200, 403)


def test_client_user_gets_no_admin_access(client, client_profile, ticket):
    client.force_login(client_profile.user)
    for url in (reverse("admin:index"), reverse("admin:cases_case_changelist"), change_url(ticket),
                reverse("admin:accounts_creditaccount_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response.url
    client.post(transition_url(ticket), {"transition": "cancel", "comment": "不需要了"})
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_admin_roles_may_log_in_and_others_may_not(client, supervisor, agent):
    supervisor.set_password("Pass-word-2026")
    supervisor.save()
    response = client.post(reverse("admin:login"), {"username": supervisor.username, "password": "Pass-word-2026"})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()
    agent.set_password("Pass-word-2026")
    agent.save()
    response = client.post(reverse("admin:login"), {"username": agent.username, "password": "Pass-word-2026"})
    assert response.status_code == 200  # the form refuses
    assert client.get(reverse("admin:index")).status_code == 302


def test_auditor_reads_cases_but_has_no_transition_buttons(client, auditor, ticket):
    client.force_login(auditor)
    response = client.get(change_url(ticket))
    assert response.status_code == 200
    assert response.context["case_transitions"] == []
    assert client.post(transition_url(ticket), {"transition": "open"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_supervisor_role_is_enough_without_is_staff(client):
    user = UserFactory(username="sup_no_flag", roles=[Role.SUPERVISOR])
    assert not user.is_staff
    client.force_login(user)
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 200


def test_supervisors_write_saved_replies_in_the_admin_and_agents_do_not(as_supervisor, client, agent):
    from cases.models import SavedReply

    response = as_supervisor.post(reverse("admin:cases_savedreply_add"), {
        "title": "确认收到", "title_en": "Received", "body_zh": "{client_name}您好", "body_en": "Dear {client_name}",
        "case_kinds": "ticket", "position": "0", "is_active": "on"})
    assert response.status_code == 302, response.content[:500]
    assert SavedReply.objects.get().title_en == "Received"
    response = as_supervisor.post(reverse("admin:cases_savedreply_add"), {
        "title": "错", "title_en": "Typo", "body_zh": "x", "body_en": "x", "case_kinds": "ticket,tickt",
        "position": "0"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Unknown case kinds: tickt." in response.content.decode()
    assert SavedReply.objects.count() == 1
    client.force_login(agent)
    assert client.get(reverse("admin:cases_savedreply_changelist")).status_code in (302, 403)
