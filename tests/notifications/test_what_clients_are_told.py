"""What clients are told, as a supervisor edits it: a template saved must be one that sends."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import formats, translation

from notifications.models import NotificationTemplate
from servicedesk.formats import money

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("daytime")]


@pytest.fixture
def as_supervisor(client, supervisor):
    client.force_login(supervisor)
    return client


def _post(as_supervisor, body):
    template = NotificationTemplate.objects.get(event="case_reply", language="en", channel="")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    form = {"event": "case_reply", "language": "en", "channel": "", "subject": template.subject, "body": body,
            "is_active": "on"}
    return template, as_supervisor.post(url, form, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("body", ["{% include 'footer.txt' %}", "{% extends 'base.txt' %}",
                                  "Dear {{ client_name }}{% debug %}", "Sign in: {% url 'admin:index' %}"])
def test_a_tag_that_never_sends_or_dumps_the_server_is_refused(as_supervisor, body):
    """{% include %} and {% extends %} were saved but failed on every notice (the built-in text went
    instead of the edit); {% debug %} printed the server's modules into the client's e-mail; {% url %}
    wrote a path of the site's own (the admin's) into it."""
    template, response = _post(as_supervisor, body)
    assert response.status_code == 200
    assert "cannot use {%" in " ".join(response.context["adminform"].form.errors["body"])
    template.refresh_from_db()
    assert template.body != body


@pytest.mark.parametrize("body", ["{% firstof reason client_name %}", "{% cycle reason 'x' %}",
                                  "{% widthratio ration 1 100 %}", "{% ifchanged reson %}x{% endifchanged %}"])
def test_a_misspelt_placeholder_inside_any_tag_is_refused(as_supervisor, body):
    template, response = _post(as_supervisor, body)
    assert response.status_code == 200
    assert "Unknown placeholder(s)" in " ".join(response.context["adminform"].form.errors["body"])


def test_the_tags_that_bind_a_name_of_their_own_are_saved(as_supervisor):
    body = "{% cycle 'a' 'b' as row %}{{ row }} {% firstof message 'See the portal.' %}"
    template, response = _post(as_supervisor, body)
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == body


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_preview_writes_money_and_the_deadline_as_the_notices_do(as_supervisor, language):
    """The sample said "追加现金 37,500.00" where a margin call says "¥37,500.00": a supervisor who
    added "元" to the text sent "¥37,500.00元"."""
    template = NotificationTemplate.objects.get(event="margin_call", language=language, channel="")
    url = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])
    body = as_supervisor.get(url).context["result"]["body"]
    assert money(Decimal("37500")) in body and money(Decimal("166666.67")) in body
    template = NotificationTemplate.objects.get(event="margin_call_deadline_moved", language=language, channel="")
    url = reverse("admin:notifications_notificationtemplate_preview", args=[template.pk])
    body = as_supervisor.get(url).context["result"]["body"]
    deadline = datetime.datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with translation.override(language):
        assert formats.date_format(deadline, "DATETIME_FORMAT") in body
