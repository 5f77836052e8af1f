"""GET /attachments/<pk>/ (URL name `attachment-download`): an attachment of a case the user may
see (clients: of public messages only), always as a download with the stored, allow-listed
content type. Attachments live under MEDIA_ROOT, which no URL serves directly."""

from functools import wraps
from urllib.parse import quote

from csp.decorators import csp
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed

from accounts.tokens import ExpiringTokenAuthentication
from cases import selectors
from cases.attachments import sanitize_filename, served_content_type
from cases.models import Attachment


#: The policy of every download: nothing in it runs, loads or frames, should a browser open it anyway.
download_policy = csp({"default-src": "'none'", "sandbox": True, "frame-ancestors": "'none'"})


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 5987 UTF-8."""
    name = sanitize_filename(name)
    fallback = "".join(char if char.isascii() and char not in '"\\;' else "_" for char in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download nothing renders in place: allow-listed type, nosniff, a sandboxing
    policy in case a browser opens it anyway, private caching only. 404 if the file is gone."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=served_content_type(attachment.content_type))
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def api_token_accepted(view):
    """The API's attachment URLs open with the API's login too (`Authorization: Token …`), not only
    with a browser session: the firm's systems read the messages, and their files, by token."""

    @wraps(view)
    def with_token(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            authentication = ExpiringTokenAuthentication()
            try:
                found = authentication.authenticate(request)
            except AuthenticationFailed as error:  # a token that is wrong, expired or whose user left: as the API answers
                response = JsonResponse({"detail": str(error.detail), "code": "authentication_failed"}, status=401)
                response["WWW-Authenticate"] = authentication.authenticate_header(request)
                return response
            if found is not None:
                request.user = found[0]
        return view(request, *args, **kwargs)

    return with_token


@download_policy
@require_GET
@api_token_accepted
@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = selectors.attachment_for(request.user, pk)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachment_response(attachment)
