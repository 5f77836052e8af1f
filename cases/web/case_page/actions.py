"""The case page's writes, each through the service the API uses. Errors map as the API's
exception handler maps them: bad input 400 with the field errors, a role that may not 403, a step
not possible in this state or lost to someone else's change 409 with the reason and the steps
possible now (also when a deadline falls in a year the calendar has no data for). The service's
transaction is rolled back on every error: nothing changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from accounts.models import User
from cases.calendars import calendar_refusals
from cases.models import CaseKind
from cases.selectors import case_get, cases_visible_to
from cases.services import available_transitions, case_assign, case_transition, case_update, message_create_once
from cases.services.locking import changed_meanwhile
from cases.services.transitions import AvailableTransition
from cases.web.case_page.forms import AssignForm, CallForm, MessageForm, PriorityForm, TransitionForm
from cases.web.case_page.views import assignable_workers, may_change, may_write, render_page, staff_case
from risk.services import margin_call_contact_record
from servicedesk.errors import ApplicationError, Conflict, ValidationFailed



def _writable_case(request, number: str, *, change: bool = False):
    case = staff_case(request, number)  # 403 for clients, 404 outside the scope
    if not (may_change(request.user) if change else may_write(request.user)):
        raise PermissionDenied  # read-only auditors, and roles without the permission
    return case


def _failed(request, number: str, *, status: int, key: str, form, message: str, conflict: bool = False):
    """The page again, as it is now (the failed write rolled back), with the form and the reason."""
    case = case_get(request.user, number)
    form.redraw_for(case)
    error = {"message": message, "status": status}
    if conflict and key.startswith("transition:") and may_write(request.user):  # the steps possible now
        error["allowed"] = [t.label for t in available_transitions(case=case, user=request.user)]
    return render_page(request, case, status=status, forms={key: form}, error=error)


def _perform(request, number: str, *, key: str, form, action, done: str):
    """Run `action()` (a service call); map its errors; on success back to the page (303), saying `done`
    or what `action()` returned instead (a reply sent again: that it had been sent already)."""
    if not form.is_valid():
        return _failed(request, number, status=400, key=key, form=form, message=_("Please correct the errors below."))
    try:
        with calendar_refusals():  # a deadline in a year with no calendar data: 409 like a Conflict
            said = action()
    except ConcurrentTransition:
        return _failed(request, number, status=409, key=key, form=form, conflict=True, message=_(
            "The case was changed by someone else at the same time; reload and try again."))
    except ApplicationError as error:  # bad input 400, NotAllowed 403, NotFound 404, Conflict 409
        if error.status_code == 400:
            form.add_service_errors({name: errors for name, errors in error.extra.items() if name != "code"})
        return _failed(request, number, status=error.status_code, key=key, form=form, message=str(error.message),
                       conflict=isinstance(error, Conflict))
    messages.success(request, said or done)
    if not cases_visible_to(request.user).filter(number=number).exists():
        # Their own change took the case out of their sight (unassigned, moved to another queue).
        messages.info(request, _("Case %(number)s is no longer in your queues or assignments.") % {"number": number})
        return redirect("console:cases")
    return redirect("console:case", number=number)


@login_required
@require_POST
def transition(request, number: str, name: str):
    case = _writable_case(request, number)
    available = {t.name: t for t in available_transitions(case=case, user=request.user)}
    # A step not offered still goes to the service, which says why (409 not now, 403 not you).
    step = available.get(name) or AvailableTransition(name=name, label=name, target="", comment_required=False)
    form = TransitionForm(request.POST, transition=step)

    def act():
        if form.changed_since_drawn(case):  # the page was drawn before someone else moved the case
            raise changed_meanwhile(state=case.state)
        case_transition(case=case, user=request.user, name=name, comment=form.validated["comment"],
                        require_comment=True)

    return _perform(request, number, key=f"transition:{name}", form=form, action=act,
                    done=_("Done: %(step)s.") % {"step": step.label})


@login_required
@require_POST
def message(request, number: str):
    case = _writable_case(request, number)
    internal = request.POST.get("visibility") == "internal"
    form = MessageForm(request.POST, request.FILES, internal=internal)

    def act():
        _message, replayed = message_create_once(case=case, author=request.user, body=form.validated["body"],
                                                 internal=internal, attachments=form.validated["attachments"],
                                                 key=form.submission_key())
        if replayed:  # sent again (a double click): the message the first sending wrote, and nothing more
            return _("This internal note had already been saved.") if internal else _(
                "This reply had already been sent to the client.")
        return None

    return _perform(request, number, key="note" if internal else "reply", form=form, action=act,
                    done=_("Internal note saved.") if internal else _("Reply sent to the client."))


@login_required
@require_POST
def assign(request, number: str):
    case = _writable_case(request, number, change=True)
    data = request.POST.copy()
    if data.get("take"):
        data["assignee"] = request.user.username
    form = AssignForm(data, workers=assignable_workers())

    def act():
        if form.changed_since_drawn(case):  # a colleague took or moved it meanwhile
            raise changed_meanwhile()
        username = data.get("assignee") or ""
        assignee = None
        if username:
            assignee = User.objects.filter(username=username, is_active=True).first()
            if assignee is None:  # as the API's partial_update answers
                raise ValidationFailed(_("Invalid assignee."), extra={"assignee": [_("Unknown user.")]})
        case_assign(case=case, user=request.user, assignee=assignee)

    return _perform(request, number, key="assign", form=form, action=act, done=_("Assignment saved."))


@login_required
@require_POST
def priority(request, number: str):
    case = _writable_case(request, number, change=True)
    form = PriorityForm(request.POST)

    def act():
        if form.changed_since_drawn(case):  # a colleague changed the priority meanwhile
            raise changed_meanwhile()
        case_update(case=case, user=request.user, priority=form.validated["priority"])

    return _perform(request, number, key="priority", form=form, action=act, done=_("Priority saved."))


@login_required
@require_POST
def call(request, number: str):
    case = _writable_case(request, number)
    form = CallForm(request.POST)

    def act():
        if case.kind != CaseKind.MARGIN_CALL:
            raise ValidationFailed(_("Invalid call."), extra={"case": [_("Calls are logged on margin calls only.")]})
        data = form.validated
        margin_call_contact_record(case=case, user=request.user, outcome=data["outcome"],
                                   note=data.get("note", ""), called_at=data.get("called_at"))

    return _perform(request, number, key="call", form=form, action=act, done=_("Call logged."))
