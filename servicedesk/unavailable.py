"""While the database is unreachable (restarting, failing over, connections exhausted) every page
answers 503 "service temporarily unavailable" with Retry-After, never a 500 error page: a plain
page in both languages for people, the API's JSON error for /api/ (DRF's own handler does the
same for API views, servicedesk/api.py). The page uses no database, session or navigation, so it
renders while they are down.

Two hooks, because Django turns an exception into a response at each middleware: the middleware's
process_exception catches what a view (or its template) raises; handler500 (servicedesk/urls.py)
what a middleware raises, e.g. the session or the login lookup. The connection itself recovers
on its own: CONN_HEALTH_CHECKS drops a dead persistent connection at the next request."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def unavailable_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("The service is temporarily unavailable; try again shortly."),
                                 "code": "unavailable"}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("unavailable.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that fails because the database is unreachable answers 503 (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            logger.warning("Database unavailable (%s %s): %s", request.method, request.path, exception)
            return unavailable_response(request)
        return None


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: 503 when the error in flight is the database being unreachable, else Django's
    plain 500 page (no details)."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return unavailable_response(request)
    try:
        return defaults.server_error(request, template_name)
    except Exception:  # noqa: BLE001 - the error page must not fail in turn
        return HttpResponseServerError(b"<h1>Server Error (500)</h1>", content_type="text/html")
