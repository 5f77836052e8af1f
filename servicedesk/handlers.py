"""Error pages: under /api/ a 404 is JSON like every other API error (a URL no route matches, e.g.
/api/v1/cases/no%20such/), elsewhere Django's page."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)
