"""Bounces of the e-mail notices we sent: the notice did not reach the client, and someone must call them.

An inbound bounce (notifications.inbound; read by notifications.bounce_report) is matched to the
notice it returns by that e-mail's Message-ID, which only our e-mails carry
(notifications.channels.email.message_id: <{case number}.{notification id}@NOTIFICATION_MAIL_DOMAIN>,
kept as the row's provider_id when sent): the id names the row, and the row's own Message-ID must be
the one named, case number included. A failure report (not a delay warning) about a notice still
marked sent, in one transaction with the inbound e-mail's row:
- marks the notice `bounced`, the mail system's answer kept as its error ("bounced: 550 5.1.1 …");
- puts that on the case's timeline, as every sent or given-up notice is (delivery.record_case_event);
- tells in-app, in their language, who must call the client: the case's assignee; else (nobody
  assigned, or an assignee who left) the team leads of the case's queue; for a notice without a
  case, the client's advisor; else the supervisors (as the SLA warnings do: cases.services.escalations).
A second report about the same notice (another mail server's, a repeat) is recorded and changes
nothing: each notice is marked and told of once. A bounce whose sender failed our mail server's
checks is recorded against the notice but not acted on (notifications.inbound: anyone can write one)."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import Role
from notifications.bounce_report import BounceReport
from notifications.models import Notification
from servicedesk.i18n import spoken_language

#: The in-app notice to staff that a client's e-mail bounced.
EVENT = "notice_bounced"
#: Our e-mails' Message-IDs: the notice's id, and the domain they are written under.
OUR_MESSAGE_ID = re.compile(r"^<(?:CS-\d{4}-\d{6}|notification)\.(\d{1,18})@([^<>@\s]+)>$", re.IGNORECASE)


@dataclass(frozen=True)
class Bounced:
    """What a bounce did: `acted` when it marked its notice now (False: a delay warning, or the
    notice was marked already or is not one that went out)."""

    notification: Notification
    acted: bool
    reason: str


def returned_notification(report: BounceReport) -> Notification | None:
    """The e-mail notice we sent that `report` returns, or None (not one of ours, or no such notice)."""
    from notifications.channels.email import message_id

    domain = settings.NOTIFICATION_MAIL_DOMAIN.lower()
    for named in report.message_ids:
        match = OUR_MESSAGE_ID.match(named)
        if match is None or match.group(2).lower() != domain:
            continue
        notification = (Notification.objects.select_related("case", "recipient_client")
                        .filter(pk=int(match.group(1)), channel=Notification.Channel.EMAIL).first())
        if notification is not None and message_id(notification).lower() == named.lower():
            return notification
    return None


def notification_bounced(*, notification: Notification, report: BounceReport) -> Bounced:
    """Act on a bounce of `notification` in the caller's transaction (see the module's docstring)."""
    number = notification.pk
    if not report.is_failure:
        return Bounced(notification, False, _("A delivery report about notice %(id)s (%(action)s): not a failure, "
                                              "the mail system may still deliver it.") % {
            "id": number, "action": report.action})
    with transaction.atomic():
        notice = (Notification.objects.select_for_update(of=("self",))
                  .select_related("case", "case__assignee", "case__client", "recipient_client",
                                  "recipient_client__advisor")
                  .get(pk=notification.pk))
        if notice.status == Notification.Status.BOUNCED:
            return Bounced(notice, False, _("Notice %(id)s was already marked bounced.") % {"id": number})
        if notice.status != Notification.Status.SENT:
            return Bounced(notice, False, _("Notice %(id)s is not marked sent (%(status)s): left as it is.") % {
                "id": number, "status": notice.get_status_display()})
        said = report.said
        notice.status, notice.error = Notification.Status.BOUNCED, f"bounced: {said}" if said else "bounced"
        Notification.objects.filter(pk=notice.pk).update(status=notice.status, error=notice.error)
        from notifications.delivery import record_case_event

        record_case_event(notice, comment=said)
        told = _tell_staff(notice, said)
    return Bounced(notice, True, ngettext("Notice %(id)s marked bounced; %(count)d person told to call the client.",
                                          "Notice %(id)s marked bounced; %(count)d people told to call the client.",
                                          told) % {"id": number, "count": told})


def _who_calls(notice: Notification) -> list[User]:
    from notifications.case_notices import case_leads

    case = notice.case
    if case is not None and case.assignee_id is not None and case.assignee.is_active:
        return [case.assignee]
    if case is not None:
        return case_leads(case)
    client = notice.recipient_client
    if client is not None and client.advisor_id is not None and client.advisor.is_active:
        return [client.advisor]
    return list(User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR).distinct().order_by("pk"))


def _tell_staff(notice: Notification, said: str) -> int:
    """In-app notices to whoever must call the client (none for a notice to a member of staff)."""
    from notifications.rendering import render
    from notifications.services import notification_queue

    if notice.recipient_client_id is None:
        return 0
    data = {"notification_id": notice.pk, "notice_event": notice.event, "address": notice.address,
            "bounce_reason": said}
    told = 0
    for user in _who_calls(notice):
        language = spoken_language(user.preferred_language)
        subject, body = render(event=EVENT, language=language, channel=Notification.Channel.IN_APP,
                               case=notice.case, client=notice.recipient_client, data=data)
        if notification_queue(event=EVENT, channel=Notification.Channel.IN_APP, recipient_user=user,
                              case=notice.case, language=language, subject=subject, body=body, data=data):
            told += 1
    return told
