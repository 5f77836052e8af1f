"""Creating and editing cases. Every change writes its audit row in the same transaction."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClientProfile, CreditAccount, Queue, User
from accounts.roles import CASE_WORKERS, Role
from cases.models import WORKFLOWS, Case, CaseKind, CaseNumberSequence, Channel, EventKind, Priority
from cases.models.workflows import TicketCase
from cases.routing import route_case
from cases.services.events import event_record
from cases.services.locking import lock_case
from cases.services.sla import sla_policy_apply
from servicedesk.errors import NotAllowed, ValidationFailed

CLIENT_KINDS = (CaseKind.TICKET, CaseKind.DISPUTE, CaseKind.EXTENSION, CaseKind.RELIEF)


def next_case_number(year: int) -> str:
    """CS-YYYY-NNNNNN from a per-year counter; the UPDATE holds the row lock until commit."""
    counter = CaseNumberSequence.objects.filter(pk=year)
    if not counter.update(last=F("last") + 1):
        CaseNumberSequence.objects.bulk_create([CaseNumberSequence(year=year, last=0)], ignore_conflicts=True)
        counter.update(last=F("last") + 1)
    return f"CS-{year}-{counter.values_list('last', flat=True).get():06d}"


def case_numbers_locked(year: int) -> None:
    """Hold `year`'s case numbers until this transaction commits, after whoever numbers new cases
    now (a person opening a case, a monitoring run opening margin calls, a stress test's outreach)
    has committed: the cases they opened are seen from here on, and none is opened meanwhile. Each
    of them holds the numbers from its first new case until it commits."""
    counter = CaseNumberSequence.objects.filter(pk=year)
    if not counter.exists():
        CaseNumberSequence.objects.bulk_create([CaseNumberSequence(year=year, last=0)], ignore_conflicts=True)
    list(counter.select_for_update().values_list("pk", flat=True))


@transaction.atomic
def case_create(
    *, created_by: User | None, client: ClientProfile, kind: str, subject: str, description: str = "",
    category: str = "", priority: str = Priority.NORMAL, credit_account: CreditAccount | None = None,
    channel: str | None = None,
) -> Case:
    """Open a case for `client`. Clients open their own through the portal; staff open them for
    a client who called or wrote; margin calls only the monitoring opens (created_by None)."""
    errors: dict[str, list[str]] = {}
    if kind not in CaseKind.values:
        errors["kind"] = [_("Unknown case kind.")]
    elif kind == CaseKind.MARGIN_CALL and created_by is not None:
        errors["kind"] = [_("Margin calls are opened by the monitoring, not by hand.")]
    if credit_account is not None and credit_account.client_id != client.pk:
        errors["credit_account"] = [_("This credit account does not belong to the client.")]
    if kind in (CaseKind.EXTENSION, CaseKind.RELIEF) and credit_account is None:
        errors["credit_account"] = [_("A request must name the credit account it is about.")]
    if not (subject or "").strip():
        errors["subject"] = [_("This field may not be blank.")]
    if errors:
        raise ValidationFailed(_("Invalid case."), extra=errors)

    if created_by is not None and not created_by.works_cases:
        if not (created_by.has_role(Role.CLIENT) and client.user_id == created_by.pk):
            raise NotAllowed(_("You may open cases only for yourself."))
        channel = Channel.PORTAL
    channel = channel or (Channel.SYSTEM if created_by is None else Channel.PHONE)

    route = route_case(kind=kind, category=category, client=client)
    workflow_class = WORKFLOWS[kind]
    case = workflow_class(
        number=next_case_number(timezone.localdate().year), kind=kind, category=category,
        subject=subject.strip(), description=description, priority=priority, client=client,
        credit_account=credit_account, queue=route.queue, assignee_id=route.assignee_id,
        channel=channel, created_by=created_by, state=workflow_class.initial_state,
    )
    case.save()
    event_record(case=case, kind=EventKind.CREATED, actor=created_by, to_value=case.state,
                 data={"queue": route.queue.code if route.queue else None, "channel": channel})
    if route.assignee_id is not None:
        event_record(case=case, kind=EventKind.ASSIGNMENT, actor=None, to_value=str(case.assignee),
                     data={"assignee_id": route.assignee_id, "reason": "advisor"})
    sla_policy_apply(case=case)
    from notifications.case_notices import case_created_notify  # the client's acknowledgement

    case_created_notify(case=case)
    return case


def _require_worker(user) -> None:
    if user is None or not user.works_cases:
        raise NotAllowed(_("Your role may not change cases."))


@transaction.atomic
def case_assign(*, case: Case, user: User, assignee: User | None) -> Case:
    """Assign (or unassign) a case; assigning a new ticket opens it."""
    _require_worker(user)
    if assignee is not None and not (assignee.is_active and assignee.has_role(*CASE_WORKERS)):
        raise ValidationFailed(_("Invalid assignee."), extra={"assignee": [_("This user does not work cases.")]})
    case = lock_case(case)
    if case.assignee_id == (assignee.pk if assignee else None):
        return case
    previous = case.assignee
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    event_record(case=case, kind=EventKind.ASSIGNMENT, actor=user, from_value=previous or "",
                 to_value=assignee or "", data={"assignee_id": assignee.pk if assignee else None})
    if case.kind == CaseKind.TICKET and case.state == TicketCase.State.NEW and assignee is not None:
        from cases.services.transitions import case_transition

        case = case_transition(case=case, user=user, name="open")
    return case


EDITABLE_FIELDS = ("priority", "queue", "category", "subject")
#: Kinds whose category is part of what the case is: a relief's "more time" or "staged repayment"
#: (its details and the conditions of its approval were checked against it, cases.services.requests),
#: an extension's, a margin call's (the monitoring's or a stress test's outreach, risk.subjects).
FIXED_CATEGORY_KINDS = (CaseKind.EXTENSION, CaseKind.RELIEF, CaseKind.MARGIN_CALL)


@transaction.atomic
def case_update(*, case: Case, user: User, **changes) -> Case:
    """Change priority, queue, category or subject (and assignee, via case_assign)."""
    _require_worker(user)
    assignee_given = "assignee" in changes
    assignee = changes.pop("assignee", None)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Invalid fields."), extra={name: [_("This field cannot be changed.")] for name in unknown})
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ValidationFailed(_("Invalid priority."), extra={"priority": [_("Unknown priority.")]})
    if "queue" in changes and not isinstance(changes["queue"], Queue):
        raise ValidationFailed(_("Invalid queue."), extra={"queue": [_("Unknown queue.")]})
    if "category" in changes and case.kind in FIXED_CATEGORY_KINDS and changes["category"] != case.category:
        refusal = _("The category of a request or a margin call cannot be changed.")
        raise ValidationFailed(refusal, extra={"category": [refusal]})

    case = lock_case(case)
    changed = []
    for name, value in changes.items():
        old = getattr(case, name)
        if old == value:
            continue
        setattr(case, name, value)
        changed.append(name)
        kind = {"priority": EventKind.PRIORITY, "queue": EventKind.QUEUE}.get(name, EventKind.UPDATE)
        event_record(case=case, kind=kind, actor=user, name=name,
                     from_value=getattr(old, "code", old) or "", to_value=getattr(value, "code", value) or "")
    if changed:
        case.save(update_fields=[*changed, "updated_at"])
        if "priority" in changed:
            sla_policy_apply(case=case, actor=user, reason="priority")
    if assignee_given:
        case = case_assign(case=case, user=user, assignee=assignee)
    return case
