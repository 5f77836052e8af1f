"""A forged From must neither write on a client's case nor open a ticket in their name: an e-mail whose
sender failed the receiving mail server's checks (its Authentication-Results: DMARC, else SPF without
a DKIM signature that passed) is held for a supervisor's review, with the results as the reason. With
our server's name configured (INBOUND_AUTHSERV_ID) only its header counts and it must be there."""

import pytest
from django.utils import translation

from cases.models import Case
from notifications.inbound import email_ingest
from notifications.models import InboundEmail
from tests.notifications.test_inbound import build_email, case_message_id, client_messages

pytestmark = pytest.mark.django_db
RESULTS = "Authentication-Results"


@pytest.fixture
def ticket(client_profile, agent):
    from cases.services import case_create

    return case_create(created_by=agent, client=client_profile, kind="ticket", subject="融资利率咨询")


def reply(ticket, client_profile, results=None):
    headers = {RESULTS: results} if results else {}
    raw = build_email(sender=client_profile.email, subject="Re: 利率", body="我同意", headers=headers,
                      in_reply_to=case_message_id(ticket))
    return email_ingest(raw, source="test")


@pytest.mark.parametrize("results", [
    "mx.firm.example; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=client.example",
    "mx.firm.example; spf=softfail smtp.mailfrom=evil.example; dkim=none",
    "mx.firm.example; dkim=pass header.d=evil.example; dmarc=fail header.from=client.example",
])
def test_a_reply_from_a_sender_that_failed_the_checks_is_held_not_put_on_the_case(ticket, client_profile, results):
    with translation.override("en"):  # the reason is written in the language active at the time
        result = reply(ticket, client_profile, results)
    assert result.status == "held" and result.case is None
    assert client_messages(ticket) == []
    row = InboundEmail.objects.get()
    assert "did not pass the mail server's checks" in row.reason and "may be forged" in row.reason
    assert row.case_number == ticket.number


def test_a_new_email_in_a_clients_name_that_failed_opens_no_ticket(client_profile):
    raw = build_email(sender=client_profile.email, subject="请立即平仓", body="卖出全部",
                      headers={RESULTS: "mx.firm.example; spf=fail smtp.mailfrom=client.example; dmarc=fail"})
    assert email_ingest(raw, source="test").status == "held"
    assert not Case.objects.exists()


@pytest.mark.parametrize("results", [
    None,  # no checks reported (no server name configured): as before
    "mx.firm.example; spf=pass smtp.mailfrom=client.example; dkim=pass; dmarc=pass header.from=client.example",
    "mx.firm.example; spf=fail smtp.mailfrom=list.example; dkim=pass header.d=client.example",  # forwarded, signed
])
def test_a_reply_that_passed_or_was_not_checked_is_put_on_the_case(ticket, client_profile, results):
    assert reply(ticket, client_profile, results).status == "threaded"
    assert [message.body for message in client_messages(ticket)] == ["我同意"]


def test_with_our_servers_name_only_its_results_count_and_they_must_be_there(ticket, client_profile, settings):
    settings.INBOUND_AUTHSERV_ID = "mx.firm.example"
    # no header at all, and a header the sender wrote claiming a pass: both held
    assert reply(ticket, client_profile).status == "held"
    assert reply(ticket, client_profile, "mx.evil.example; spf=pass; dkim=pass; dmarc=pass").status == "held"
    assert reply(ticket, client_profile, "mx.firm.example; spf=none; dkim=none").status == "held"
    assert client_messages(ticket) == []
    assert reply(ticket, client_profile, "MX.firm.example; spf=pass smtp.mailfrom=client.example").status == "threaded"


def test_an_unreadable_results_header_is_no_result(ticket, client_profile):
    assert reply(ticket, client_profile, ";;; = ==").status == "threaded"


@pytest.mark.parametrize("signatures", [
    "dkim=pass header.d=client.example; dkim=fail header.d=esp.example",
    "dkim=fail header.d=esp.example; dkim=pass header.d=client.example",
])
def test_one_dkim_signature_that_passed_is_enough_whatever_the_others_say(ticket, client_profile, settings,
                                                                          signatures):
    """An e-mail may carry several DKIM signatures (the sender's domain's and its mail provider's):
    one that passed vouches for it, in whichever order the server lists them."""
    settings.INBOUND_AUTHSERV_ID = "mx.firm.example"
    results = f"mx.firm.example; spf=softfail smtp.mailfrom=list.example; {signatures}"
    assert reply(ticket, client_profile, results).status == "threaded"
    assert [message.body for message in client_messages(ticket)] == ["我同意"]
