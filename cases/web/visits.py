"""Return visits (回访) in the console: the visits to make, the overdue ones first, and a form on
each to record how it went; the recorded ones for reference. Agents and advisors see their own and
the unassigned ones, team leads, supervisors and auditors all (cases.visit_selectors); recording
is for those who work cases (cases.services.visits.return_visit_complete: once, with an outcome)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import visit_selectors
from cases.models import ReturnVisit
from cases.selectors import is_staff_reader
from cases.services.visits import return_visit_complete
from servicedesk.errors import ApplicationError
from servicedesk.forms import LabelForm
from servicedesk.htmx import login_required_htmx

SHOWN = 200
#: The page's views: (code, label).
VIEWS = (("todo", gettext_lazy("To do")), ("overdue", gettext_lazy("Overdue")), ("recorded", gettext_lazy("Recorded")))


class RecordForm(LabelForm):
    """How the visit went, and whether the client was reached (chosen, never assumed)."""

    outcome = forms.CharField(label=gettext_lazy("How it went"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    reached = forms.TypedChoiceField(label=gettext_lazy("Client reached"), coerce=lambda value: value == "yes",
                                     choices=[("", "—"), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))])


def _visits(user, view: str):
    visits = visit_selectors.return_visits_visible_to(user)
    if view == "overdue":
        return visit_selectors.overdue(visits).order_by("due_date", "id")
    if view == "recorded":
        return visits.exclude(state=ReturnVisit.State.SCHEDULED).order_by("-done_at", "-id")
    return visits.filter(state=ReturnVisit.State.SCHEDULED).order_by("due_date", "id")


def _render(request: HttpRequest, *, view: str, status: int = 200, failed: dict | None = None) -> HttpResponse:
    rows = list(_visits(request.user, view)[:SHOWN + 1])
    failed = failed or {}
    return render(request, "console/visits.html", {
        "view": view, "views": VIEWS, "more": len(rows) > SHOWN, "may_record": request.user.works_cases,
        "error": failed.get("message", ""),
        "overdue_count": visit_selectors.overdue(visit_selectors.return_visits_visible_to(request.user)).count(),
        "rows": [{"visit": visit,
                  "form": failed["form"] if failed.get("pk") == visit.pk else RecordForm(auto_id=f"visit-{visit.pk}-%s")}
                 for visit in rows[:SHOWN]],
    }, status=status)


@require_GET
@login_required_htmx
def visits_page(request: HttpRequest) -> HttpResponse:
    if not is_staff_reader(request.user):  # clients: the portal is theirs
        raise PermissionDenied
    view = request.GET.get("show", "todo")
    if view not in dict(VIEWS):
        view = "todo"
    return _render(request, view=view)


@require_POST
@login_required_htmx
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.works_cases:  # clients and auditors: checked before the input
        raise PermissionDenied
    visit = visit_selectors.return_visits_visible_to(request.user).filter(pk=pk).first()
    if visit is None:
        raise Http404
    form = RecordForm(request.POST, auto_id=f"visit-{pk}-%s")
    if not form.is_valid():
        return _render(request, view="todo", status=400, failed={
            "pk": pk, "form": form, "message": _("Please correct the errors below.")})
    try:
        return_visit_complete(visit=visit, user=request.user, outcome=form.cleaned_data["outcome"],
                              reached=form.cleaned_data["reached"])
    except ApplicationError as error:  # 400 no outcome, 403 a role that does not work cases, 409 recorded already
        return _render(request, view="todo", status=error.status_code, failed={
            "pk": pk, "form": form, "message": str(error.message)})
    messages.success(request, _("Return visit to %(client)s recorded.") % {"client": visit.client.name})
    return redirect("console:visits")
