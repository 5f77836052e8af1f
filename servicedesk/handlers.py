"""Error pages: under /api/ a 404 is JSON like every other API error (a URL no route matches, e.g.
/api/v1/cases/no%20such/), elsewhere Django's page."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


class ApiNotFoundMiddleware:
    """With DEBUG (the demo's local settings) Django answers a URL no route matches with its debug
    page, whatever handler404 says: under /api/ that HTML page becomes the API's JSON 404, as
    without DEBUG (schemathesis against the demo: an undocumented text/html answer)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 404 and request.path.startswith("/api/")
                and response.get("Content-Type", "").startswith("text/html")):
            return page_not_found(request, None)
        return response
