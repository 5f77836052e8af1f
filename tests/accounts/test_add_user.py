import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import ClientProfile, User
from accounts.services import user_provision
from servicedesk.errors import ValidationFailed
from tests.factories import ClientProfileFactory, UserFactory, queue

pytestmark = pytest.mark.django_db

PASSWORD = "Margin-Desk-2026!"


def add_user(monkeypatch, *args, password=PASSWORD, **options):
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
    out, err = io.StringIO(), io.StringIO()
    call_command("add_user", *args, "--password-stdin", stdout=out, stderr=err, **options)
    return out.getvalue()


def roles_of(username):
    return set(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_creates_an_agent_in_queues_who_can_log_in(monkeypatch):
    out = add_user(monkeypatch, "li.na", "--role", "agent", "--queue", "general", "disputes")
    user = User.objects.get(username="li.na")
    assert roles_of("li.na") == {"agent"}
    assert set(user.queues.values_list("code", flat=True)) == {"general", "disputes"}
    assert not user.is_staff and not user.is_superuser
    assert authenticate(username="li.na", password=PASSWORD) == user
    assert "li.na" in out


def test_trailing_newline_is_stripped_but_other_characters_kept(monkeypatch):
    add_user(monkeypatch, "wang", "--role", "agent", password=" spaced pass 2026 ")
    assert User.objects.get(username="wang").check_password(" spaced pass 2026 ")


@pytest.mark.parametrize("role", ["supervisor", "risk_officer", "auditor", "team_lead"])
def test_admin_roles_get_staff_access(monkeypatch, role):
    add_user(monkeypatch, "boss", "--role", role)
    assert User.objects.get(username="boss").is_staff


@pytest.mark.parametrize("role", ["agent", "advisor"])
def test_front_line_roles_get_no_staff_access(monkeypatch, role):
    add_user(monkeypatch, "front", "--role", role)
    assert not User.objects.get(username="front").is_staff


def test_same_arguments_again_change_nothing(monkeypatch):
    add_user(monkeypatch, "zhao", "--role", "team_lead", "--queue", "general")
    before = User.objects.get(username="zhao")
    out = add_user(monkeypatch, "zhao", "--role", "team_lead", "--queue", "general")
    after = User.objects.get(username="zhao")
    assert after.password == before.password  # not even re-hashed
    assert (after.is_staff, roles_of("zhao")) == (True, {"team_lead"})
    assert list(after.queues.values_list("code", flat=True)) == ["general"]
    assert "zhao" in out


def test_rerun_with_other_roles_sets_exactly_those_and_updates_password(monkeypatch):
    add_user(monkeypatch, "qian", "--role", "agent", "--role", "advisor")
    add_user(monkeypatch, "qian", "--role", "supervisor", password="Another-Pass-99")
    user = User.objects.get(username="qian")
    assert roles_of("qian") == {"supervisor"}
    assert user.is_staff
    assert user.check_password("Another-Pass-99")


def test_rerun_without_password_keeps_the_password():
    user_provision(username="sun", roles=["agent"], password=PASSWORD)
    user_provision(username="sun", roles=["agent", "team_lead"], password=None)
    assert User.objects.get(username="sun").check_password(PASSWORD)
    assert roles_of("sun") == {"agent", "team_lead"}


def test_links_a_client_login(monkeypatch):
    profile = ClientProfileFactory(user=None, client_no="8800000001")
    add_user(monkeypatch, "zhou", "--role", "client", "--client-no", "8800000001")
    profile.refresh_from_db()
    assert profile.user.username == "zhou"
    assert roles_of("zhou") == {"client"}
    assert not profile.user.is_staff
    add_user(monkeypatch, "zhou", "--role", "client", "--client-no", "8800000001")  # idempotent
    assert ClientProfile.objects.get(user__username="zhou") == profile


def test_keyword_options_work_like_the_command_line(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    call_command("add_user", "wu", role=["agent"], queue=["risk"], password_stdin=True, stdout=io.StringIO())
    assert list(User.objects.get(username="wu").queues.values_list("code", flat=True)) == ["risk"]


def assert_refused(monkeypatch, *args, message, password=PASSWORD):
    users, profiles = User.objects.count(), list(ClientProfile.objects.values_list("pk", "user_id"))
    with pytest.raises(CommandError) as raised, translation.override("en"):
        add_user(monkeypatch, *args, password=password)
    assert message in str(raised.value)
    assert User.objects.count() == users
    assert list(ClientProfile.objects.values_list("pk", "user_id")) == profiles
    return str(raised.value)


def test_unknown_role_is_refused_listing_valid_ones(monkeypatch):
    text = assert_refused(monkeypatch, "x", "--role", "boss", message="boss")
    for valid in ("client", "agent", "advisor", "team_lead", "supervisor", "risk_officer", "auditor"):
        assert valid in text


def test_no_role_is_refused(monkeypatch):
    assert_refused(monkeypatch, "x", message="supervisor")


def test_client_without_client_no_is_refused(monkeypatch):
    assert_refused(monkeypatch, "x", "--role", "client", message="client number")


def test_client_no_without_client_role_is_refused(monkeypatch):
    ClientProfileFactory(user=None, client_no="8800000002")
    assert_refused(monkeypatch, "x", "--role", "agent", "--client-no", "8800000002", message="client")


def test_unknown_client_is_refused(monkeypatch):
    assert_refused(monkeypatch, "x", "--role", "client", "--client-no", "nope", message="nope")


def test_client_already_linked_to_someone_else_is_refused(monkeypatch):
    ClientProfileFactory(client_no="8800000003", user=UserFactory(username="owner"))
    assert_refused(monkeypatch, "x", "--role", "client", "--client-no", "8800000003", message="owner")


def test_unknown_queue_is_refused_and_nothing_is_created(monkeypatch):
    assert_refused(monkeypatch, "x", "--role", "agent", "--queue", "general", "nowhere", message="nowhere")
    assert not queue("general").members.exists()


def test_queue_for_a_client_is_refused(monkeypatch):
    ClientProfileFactory(user=None, client_no="8800000004")
    assert_refused(monkeypatch, "x", "--role", "client", "--client-no", "8800000004", "--queue", "general",
                   message="queue")


@pytest.mark.parametrize("password", ["123", "password", "", "x-user-x"])
def test_weak_or_empty_password_is_refused(monkeypatch, password):
    assert_refused(monkeypatch, "x-user-x", "--role", "agent", password=password, message="")


def test_new_user_without_password_is_refused():
    with pytest.raises(ValidationFailed):
        user_provision(username="nopass", roles=["agent"], password=None)
    assert not User.objects.filter(username="nopass").exists()


def test_failed_rerun_changes_nothing(monkeypatch):
    add_user(monkeypatch, "stable", "--role", "agent", "--queue", "general")
    assert_refused(monkeypatch, "stable", "--role", "supervisor", "--queue", "nowhere", message="nowhere")
    user = User.objects.get(username="stable")
    assert roles_of("stable") == {"agent"} and not user.is_staff


def test_errors_exit_with_status_1_and_a_message_on_stderr(monkeypatch, capsys):
    from django.core.management import ManagementUtility
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)  # run_from_argv closes them; the test needs its own
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n"))
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "add_user", "x", "--role", "boss", "--password-stdin"]).execute()
    assert exited.value.code == 1
    assert "boss" in capsys.readouterr().err
    assert not User.objects.filter(username="x").exists()


def test_changing_a_client_login_to_staff_unlinks_it_and_a_new_link_replaces_the_old(monkeypatch):
    first = ClientProfileFactory(user=None, client_no="8800000005")
    second = ClientProfileFactory(user=None, client_no="8800000006")
    add_user(monkeypatch, "zheng", "--role", "client", "--client-no", "8800000005")
    add_user(monkeypatch, "zheng", "--role", "client", "--client-no", "8800000006")
    first.refresh_from_db(), second.refresh_from_db()
    assert first.user is None and second.user.username == "zheng"
    add_user(monkeypatch, "zheng", "--role", "agent", "--queue", "general")
    second.refresh_from_db()
    assert second.user is None and roles_of("zheng") == {"agent"}


def test_an_update_names_what_changed_in_words_not_field_names(monkeypatch):
    """It printed the service's codes ("is_staff, roles"), in any language."""
    add_user(monkeypatch, "zheng", "--role", "agent")
    with translation.override("en"):
        out = add_user(monkeypatch, "zheng", "--role", "supervisor", password="Another-Pass-99")
    assert "updated: password, admin site access, roles (" in out
    assert "is_staff" not in out
