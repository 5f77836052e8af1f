"""What clients (and staff) are told about their cases, written in the transaction of the change:

- a case opened for a client (not a margin call: the monitoring writes its own notices):
  an acknowledgement e-mail with the case number;
- a public reply from staff: an e-mail and an in-app notice with that reply's text (internal
  notes never notify anyone outside staff);
- a step the client cares about (CLIENT_TRANSITIONS): an e-mail and an in-app notice with the
  new state (a margin call's: an SMS too), unless the client took the step themselves;
- a client's reply: an in-app notice to the case's assignee; on a finished case nobody works any more
  (no assignee, or one who left: an e-mail reply lands there whatever its state), to the team leads of
  its queue, else the supervisors, so that it is read.
Everything in the client's language; texts from the templates (notifications/defaults.py)."""

from accounts.models import User
from accounts.roles import Role
from cases.models import Case, CaseKind, CaseMessage
from cases.models.workflows import CLIENT_FACING_COMMENTS, CLOSED_STATES, step_label
from cases.services.transitions import after_transition
from notifications.models import Notification
from notifications.services import notification_queue

#: (kind, transition) → the client is told. Proposals waiting for a supervisor are not news yet:
#: a dispute's resolution is told once approved. An extension or relief request's decision has
#: its own notices, with the new dates (cases/services/requests.py: request_approved/_declined).
CLIENT_TRANSITIONS = (
    (CaseKind.TICKET, "wait_on_client"),
    (CaseKind.TICKET, "resolve"),
    (CaseKind.TICKET, "reopen"),
    (CaseKind.TICKET, "cancel"),
    (CaseKind.DISPUTE, "acknowledge"),
    (CaseKind.DISPUTE, "approve_resolution"),
    (CaseKind.DISPUTE, "refer_to_mediation"),
    (CaseKind.DISPUTE, "close"),
    (CaseKind.MARGIN_CALL, "approve_liquidation"),
)
CLIENT_CHANNELS = (Notification.Channel.EMAIL, Notification.Channel.IN_APP)
#: A margin call's steps reach the client by SMS too, as its notices do: a forced liquidation is
#: told at once, wherever the client is.
MARGIN_CALL_CHANNELS = (Notification.Channel.SMS, *CLIENT_CHANNELS)


def _tell_client(case: Case, event: str, data: dict, channels=CLIENT_CHANNELS) -> list[Notification]:
    notices = [notification_queue(event=event, channel=channel, recipient_client=case.client, case=case,
                                  data=data) for channel in channels]
    return [notice for notice in notices if notice is not None]


def case_created_notify(*, case: Case) -> list[Notification]:
    if case.kind == CaseKind.MARGIN_CALL:
        return []
    return _tell_client(case, "case_created", {}, channels=(Notification.Channel.EMAIL,))


def case_message_notify(*, case: Case, message: CaseMessage) -> list[Notification]:
    if message.is_internal:
        return []
    if message.source == CaseMessage.Source.STAFF:
        return _tell_client(case, "case_reply", {"message_id": message.pk})
    if message.source != CaseMessage.Source.CLIENT:
        return []
    if case.assignee_id is not None and (case.assignee.is_active or not _finished(case)):
        readers = [case.assignee]
    elif _finished(case):
        readers = case_leads(case)
    else:
        return []  # an open case nobody took yet: its queue shows it
    notices = [notification_queue(event="case_client_reply", channel=Notification.Channel.IN_APP,
                                  recipient_user=reader, case=case, data={"message_id": message.pk})
               for reader in readers]
    return [notice for notice in notices if notice is not None]


def _finished(case: Case) -> bool:
    return case.state in CLOSED_STATES.get(case.kind, ())


def case_leads(case: Case) -> list[User]:
    """Who answers for a case nobody works: the active team leads of its queue, else the supervisors."""
    active = User.objects.filter(is_active=True)
    if case.queue_id is not None:
        leads = list(active.filter(queues=case.queue_id, groups__name=Role.TEAM_LEAD).distinct().order_by("pk"))
        if leads:
            return leads
    return list(active.filter(groups__name=Role.SUPERVISOR).distinct().order_by("pk"))


def _step_comment(case: Case, name: str) -> str:
    """The comment of the step just taken, where it is written to the client."""
    if name not in CLIENT_FACING_COMMENTS:
        return ""
    return case.events.filter(name=name).order_by("-id").values_list("comment", flat=True).first() or ""


def case_state_notify(*, case: Case, user, name: str) -> list[Notification]:
    if user is not None and case.client.user_id == user.pk:
        return []  # the client took this step: nothing to tell them
    channels = MARGIN_CALL_CHANNELS if case.kind == CaseKind.MARGIN_CALL else CLIENT_CHANNELS
    return _tell_client(case, "case_state_changed", {"transition": name, "to": case.state,
                                                     "transition_label": step_label(case.kind, name),
                                                     "comment": _step_comment(case, name)}, channels=channels)


def _follow_up(name: str):
    def notify(case, user):
        case_state_notify(case=case, user=user, name=name)
    notify.__name__ = f"notify_{name}"
    return notify


for _kind, _name in CLIENT_TRANSITIONS:
    after_transition(_kind, _name)(_follow_up(_name))
