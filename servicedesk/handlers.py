"""Error pages: under /api/ a 404 is JSON like every other API error (a URL no route matches, e.g.
/api/v1/cases/no%20such/), elsewhere Django's page. And the API's addresses without their final
slash."""

from django.http import HttpResponseNotFound, JsonResponse
from django.template import loader
from django.urls import is_valid_path
from django.utils.translation import gettext as _


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    # Not Django's page_not_found: it checks the CSRF token first (requires_csrf_token), which reads a
    # POST's form, so a body it cannot parse (a malformed multipart, one over DATA_UPLOAD_MAX_MEMORY_SIZE)
    # turned the 404 into a 500. The page's forms get their token anyway (CsrfViewMiddleware.process_request).
    return HttpResponseNotFound(loader.render_to_string("404.html", request=request))


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


class ApiSlashMiddleware:
    """An API address written without its final slash (`POST /api/v1/cases`) is served as the one
    with it. Django's APPEND_SLASH answered a redirect, which turns a POST into a GET (a client that
    follows it lists the cases and believes it created one), and with DEBUG a server error for a
    POST. Before CommonMiddleware; only where the address with the slash is a route."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (path.startswith("/api/") and not path.endswith("/") and not is_valid_path(path)
                and is_valid_path(path + "/")):
            request.path_info = path + "/"
            request.path = request.path + "/"
        return self.get_response(request)
