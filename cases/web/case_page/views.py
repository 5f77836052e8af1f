"""The console's case page (GET): the whole page, the read-only partials htmx refreshes and the
cheap version the page polls. Writes are in actions.py; attachments download through the shared
attachment-download view (cases/attachment_views.py), which checks the same scope."""

import hashlib
import re

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from accounts.roles import CASE_WORKERS
from accounts.selectors import users_with_roles
from cases.categories import category_label
from cases.models import Case, CaseEvent, CaseKind
from cases.models.workflows import state_label
from cases.saved_replies import replies_for
from cases.selectors import case_get, cases_visible_to, is_staff_reader
from cases.services.transitions import transitions_now
from cases.web.case_page import account_panels, panels
from cases.web.case_page.forms import AssignForm, CallForm, MessageForm, PriorityForm, TransitionForm
from cases.web.supervisor.approvals import own_proposal_refusal
from risk.models import AccountRisk
from servicedesk.formats import countdown_days_format, overdue_format
from servicedesk.htmx import login_required_htmx

TEMPLATES = "console/case/"
#: What a case number may look like (as the API's lookup_value_regex): anything else is no case.
NUMBER = re.compile(r"[A-Za-z0-9-]{1,20}")
#: The read-only parts htmx reloads when the case changed (the page's forms are never reloaded
#: under someone typing; the transition buttons reload only while their comments are empty).
PARTS = ("header", "timers", "timeline", "account", "margin_call", "transitions")


def staff_case(request, number: str) -> Case:
    """The case if this member of staff may see it: 404 outside their scope, 403 for clients
    and anyone without a staff role (the console is not theirs)."""
    if not is_staff_reader(request.user):
        raise PermissionDenied
    if not NUMBER.fullmatch(number):
        raise Http404
    try:
        return case_get(request.user, number)
    except Case.DoesNotExist:
        raise Http404 from None


def may_write(user) -> bool:
    """Reply, note, transitions, calls: those who work cases (the services check it again)."""
    return user.works_cases


def may_change(user) -> bool:
    """Assign and change priority: as the API's partial_update allows."""
    return user.works_cases and user.has_perm("cases.change_case")


def assignable_workers():
    """Everyone who may be assigned a case (cases.services.case_assign accepts active case workers)."""
    return users_with_roles(*CASE_WORKERS).filter(is_active=True).order_by("username")


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # the case list is another page's job; the page works without it
        return None


def case_version(user, number: str) -> str | None:
    """A short token that changes whenever anything the page shows changes: the case row (state,
    priority, assignee, every write touches updated_at), its latest audit event (messages, calls,
    escalations and notices all write one) and its account's latest valuation. One query."""
    latest_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id").values("id")[:1]
    valuation = AccountRisk.objects.filter(account=OuterRef("credit_account")).values("snapshot_id")[:1]
    row = (cases_visible_to(user).filter(number=number)
           .annotate(last_event=Subquery(latest_event), valuation=Subquery(valuation))
           .values_list("updated_at", "state", "priority", "assignee_id", "last_event", "valuation").first())
    if row is None:
        return None
    return hashlib.sha256(repr(row).encode()).hexdigest()[:16]


def _header_context(case: Case) -> dict:
    outcome = panels.PROPOSED_OUTCOMES.get(case.proposed_outcome, case.proposed_outcome)
    return {"state_label": state_label(case.kind, case.state), "proposed_outcome": outcome,
            "category_label": category_label(case.category) if case.category else ""}


def _transitions_context(request, case: Case, forms: dict) -> dict:
    if not may_write(request.user):
        return {"transition_forms": []}
    available, blocked = transitions_now(case=case, user=request.user)
    transition_forms = [
        forms.get(f"transition:{t.name}") or TransitionForm(
            transition=t, initial={"state": case.state, "proposal_key": case.proposal_key})
        for t in available
    ]
    # The steps a request's eligibility holds back, with why: an approval not offered said nothing of why.
    # The proposer's own proposal waits for a second person: said so, not "no step is possible".
    return {"transition_forms": transition_forms, "blocked_steps": blocked,
            "own_proposal": own_proposal_refusal(case, request.user)}


def _part_context(request, case: Case, part: str, forms: dict) -> dict:
    user = request.user
    if part == "header":
        return _header_context(case)
    if part == "timers":  # business time left: written by the server only (the part is read every minute)
        return {"timers": panels.timer_rows(case)}
    if part == "timeline":
        return {"timeline": panels.timeline(user, case)}
    if part == "account":
        return {"account": account_panels.account_panel(user, case)}
    if part == "margin_call":
        return {"margin_call": account_panels.margin_call_panel(case) if case.kind == CaseKind.MARGIN_CALL else None,
                "countdown_days_format": countdown_days_format(), "countdown_overdue_format": overdue_format()}
    if part == "transitions":
        return _transitions_context(request, case, forms)
    raise Http404


def page_context(request, case: Case, *, forms: dict | None = None, error: dict | None = None) -> dict:
    forms = forms or {}
    user = request.user
    context = {"case": case, "error": error, "may_write": may_write(user), "may_change": may_change(user),
               "cases_url": _url_or_none("console:cases"), "version": case_version(user, case.number),
               "client_panel": panels.client_panel(user, case), "parts": PARTS}
    for part in PARTS:
        context.update(_part_context(request, case, part, forms))
    if context["may_write"]:
        context["reply_form"] = forms.get("reply") or MessageForm()
        context["note_form"] = forms.get("note") or MessageForm(internal=True)
        context["saved_replies"] = replies_for(case, user)
        if context["margin_call"] is not None:
            context["call_form"] = forms.get("call") or CallForm()
    if context["may_change"]:
        assigned = AssignForm.drawn_value(case)
        context["assign_form"] = forms.get("assign") or AssignForm(
            workers=assignable_workers(), initial={"assignee": assigned, "assigned": assigned})
        context["priority_form"] = forms.get("priority") or PriorityForm(
            initial={"priority": case.priority, "drawn_priority": case.priority})
    return context


def render_page(request, case: Case, *, status: int = 200, forms: dict | None = None, error: dict | None = None):
    return render(request, TEMPLATES + "page.html", page_context(request, case, forms=forms, error=error),
                  status=status)


@login_required
@require_GET
def case_page(request, number: str):
    return render_page(request, staff_case(request, number))


@login_required_htmx
@require_GET
def case_part(request, number: str, part: str):
    """One read-only part of the page, for htmx to swap in."""
    if part not in PARTS:
        raise Http404
    case = staff_case(request, number)
    context = {"case": case, "may_write": may_write(request.user), "may_change": may_change(request.user),
               **_part_context(request, case, part, {})}
    return render(request, f"{TEMPLATES}_{part}.html", context)


@login_required_htmx
@require_GET
def case_version_poll(request, number: str):
    """Polled every 15 s: 204 while the page is current; when the case changed, the poller with
    the new version and `HX-Trigger: case-changed`, on which the read-only parts reload."""
    if not is_staff_reader(request.user):
        raise PermissionDenied
    version = case_version(request.user, number) if NUMBER.fullmatch(number) else None
    if version is None:
        raise Http404
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    response = render(request, TEMPLATES + "_version.html", {"number": number, "version": version})
    response["HX-Trigger"] = "case-changed"
    return response


@require_GET
@login_required_htmx
def case_articles(request, number: str):
    """Help articles to send the client (htmx, once the panel is on screen): those about the case's
    category and subject, in the client's language, each with the portal address to paste into a
    reply (knowledge.search.suggest, as the portal's submission form suggests them)."""
    from django.conf import settings

    from knowledge import search
    from knowledge.apis import article_rows
    from knowledge.models import Article

    case = staff_case(request, number)
    articles = search.suggest(Article.objects.filter(is_published=True), case_category=case.category,
                              text=case.subject)
    site = settings.SITE_URL.rstrip("/")
    rows = [{**row, "url": site + reverse("portal:article", args=[row["slug"]])}
            for row in article_rows(articles, search.language_of(case.client.language))]
    return render(request, "console/case/_articles.html", {"articles": rows})
