"""The bell on the web pages and the inbox behind it, for every logged-in user: agents and
supervisors in the console, risk officers on the risk pages, clients in the portal.

The bell is loaded apart from the page it sits on (htmx, after the page, then every minute), so no
page pays for its queries; a refresh after the session ended reloads the page (to the login).
Opening a notice marks it read and goes to its case: the console's case page for staff, the portal's
for a client (each page checks again who may see the case)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.selectors import is_staff_reader
from notifications import selectors, services
from notifications.bell import bell_context, notice_items
from servicedesk.errors import NotFound
from servicedesk.htmx import login_required_htmx

OPEN_URL = "notifications_web:open"


@require_GET
@login_required_htmx
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's HTML, for the page's top bar."""
    context = bell_context(request.user, open_url_name=OPEN_URL, inbox_url=reverse("notifications_web:inbox"))
    return render(request, "notifications/bell.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """GET: my notices, newest first, a page at a time; POST: mark them all read."""
    if request.method == "POST":
        services.notifications_mark_all_read(user=request.user)
        return redirect("notifications_web:inbox")
    marks = {name: request.GET.get(name, "") for name in ("before", "after")}
    # isdecimal, not isdigit: "²" is a digit int() cannot read (a 500)
    if any(mark and not (mark.isdecimal() and len(mark) <= 18) for mark in marks.values()):
        return HttpResponse(_("Bad page of notifications: before and after take a notice number."), status=400,
                            content_type="text/plain; charset=utf-8")
    page = selectors.inbox_page(request.user, **{name: int(mark) for name, mark in marks.items() if mark})
    inbox_url = reverse("notifications_web:inbox")
    return render(request, "notifications/inbox.html", {
        "notices": notice_items(page.notices, OPEN_URL), "unread_count": selectors.unread_count(request.user),
        "previous_url": _page_url(inbox_url, page.newer), "next_url": _page_url(inbox_url, page.older)})


def _page_url(inbox_url: str, query: dict | None) -> str | None:
    if query is None:
        return None
    return f"{inbox_url}?{urlencode(query)}" if query else inbox_url


@require_POST
@login_required
def open_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of my notices read and go to its case (or back to the inbox)."""
    try:
        notice = services.notification_mark_read(user=request.user, notification_id=pk)
    except NotFound:
        raise Http404 from None
    if notice.case_id is None:
        return redirect("notifications_web:inbox")
    area = "console:case" if is_staff_reader(request.user) else "portal:case"
    return redirect(area, number=notice.case.number)
