"""The bell on the web pages and the inbox behind it, for every logged-in user: agents and
supervisors in the console, risk officers on the risk pages, clients in the portal.

The bell is loaded apart from the page it sits on (htmx, after the page, then every minute), so no
page pays for its queries; a refresh after the session ended reloads the page (to the login). Opening a notice marks it read and goes to its case: the console's case page for staff,
the portal's for a client (each page checks again who may see the case)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    if any(mark and not (mark.isdigit() and len(mark) <= 18) for mark in marks.values()):
        return HttpResponse(_("Bad page of notifications: before and after take a notice number."), status=400,
                            content_type="text/plain; charset=utf-8")
    notices, previous_url, next_url = inbox_page(request.user, before=marks["before"], after=marks["after"])
    return render(request, "notifications/inbox.html", {
        "notices": notice_items(notices, OPEN_URL), "unread_count": selectors.unread_count(request.user),
        "previous_url": previous_url, "next_url": next_url})


def inbox_page(user, *, before: str, after: str) -> tuple[list, str | None, str | None]:
    """A page of the user's notices, newest first, and the addresses of the newer and the older page:
    keyed on the notices' ids (?before=, ?after=), so a notice arriving meanwhile repeats no row and
    hides none (the inbox had shown the newest 50 only)."""
    size, notices = selectors.INBOX_SIZE, selectors.inbox(user)
    if after:
        rows = list(notices.filter(pk__gt=int(after)).order_by("id")[:size + 1])
        newer, rows = len(rows) > size, rows[:size][::-1]
        older = notices.filter(pk__lte=int(after)).exists()
    else:
        rows = list((notices.filter(pk__lt=int(before)) if before else notices)[:size + 1])
        older, rows = len(rows) > size, rows[:size]
        newer = bool(before) and notices.filter(pk__gte=int(before)).exists()
    inbox_url = reverse("notifications_web:inbox")
    previous_url = (f"{inbox_url}?after={rows[0].pk}" if rows else inbox_url) if newer else None
    return rows, previous_url, f"{inbox_url}?before={rows[-1].pk}" if older and rows else None


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
