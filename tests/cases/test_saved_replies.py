"""Saved replies fill the case's values; a case with no credit account gets words, not a gap."""

import pytest

from cases.models.saved_replies import SavedReply
from cases.saved_replies import replies_for
from cases.services import case_create

pytestmark = pytest.mark.django_db


def test_a_case_without_an_account_reads_your_credit_account(agent, client_profile):
    SavedReply.objects.create(
        title="利息说明", title_en="Interest", body_zh="请在客户门户的账户 {account_no} 页面查看逐日利息。",
        body_en="See the daily interest on the page of {account_no} in the client portal.")
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="利息")
    assert case.credit_account_id is None
    client_profile.language = "zh-hans"
    client_profile.save()
    assert replies_for(case, agent)[0]["body"] == "请在客户门户的账户 您的信用账户 页面查看逐日利息。"
    client_profile.language = "en"
    client_profile.save()
    case.refresh_from_db()
    assert replies_for(case, agent)[0]["body"] == (
        "See the daily interest on the page of your credit account in the client portal.")
