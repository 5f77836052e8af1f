"""API plumbing: one exception handler turning service errors into clear HTTP errors."""

import traceback

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django_fsm import ConcurrentTransition
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from django.utils.translation import gettext as _

from servicedesk.errors import ApplicationError


#: Django's limits on a request body (DATA_UPLOAD_MAX_MEMORY_SIZE, …_NUMBER_FIELDS, …_NUMBER_FILES):
#: left to Django, they were its HTML 400 page.
BODY_LIMITS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def _raised_reading_the_body(exc: BaseException) -> bool:
    """Whether a parser of the request body raised it: JSON nested deeper than Python recurses
    ("[[[[…", a few kilobytes) raises RecursionError there, which was a 500."""
    return any(frame.f_code.co_filename == parsers.__file__ for frame, _line in traceback.walk_tb(exc.__traceback__))


def _no_data(detail) -> bool:
    """DRF's untranslated answer to a null body: {"non_field_errors": ["No data provided"]}."""
    errors = detail.get("non_field_errors") if isinstance(detail, dict) else None
    return bool(errors) and len(detail) == 1 and [getattr(error, "code", None) for error in errors] == ["null"]


def exception_handler(exc, context):
    from cases.calendars import CalendarUnavailable

    if isinstance(exc, BODY_LIMITS):
        exc = exceptions.ParseError(_("The request body is too large or has too many fields."))
    elif isinstance(exc, RecursionError) and _raised_reading_the_body(exc):
        exc = exceptions.ParseError(_("The JSON body is nested too deeply."))
    elif isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith("JSON parse error - "):
        # DRF writes it untranslated; the parser's own explanation stays as it is (English)
        exc = exceptions.ParseError(_("The request body is not valid JSON: %(error)s") % {
            "error": str(exc.detail).removeprefix("JSON parse error - ")})
    elif isinstance(exc, exceptions.ValidationError) and _no_data(exc.detail):
        exc = exceptions.ValidationError({"non_field_errors": [_("Send the fields as a JSON object, not null.")]},
                                         code="null")
    if isinstance(exc, CalendarUnavailable):  # a year with no dates, or no such calendar: 409, nothing written
        exc = exc.as_conflict()
    if isinstance(exc, ApplicationError):
        if exc.status_code == 400 and exc.extra:
            return Response(exc.extra, status=400)
        body = {"detail": str(exc.message), "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code)
    if isinstance(exc, ConcurrentTransition):
        return Response(
            {"detail": _("The case was changed by someone else at the same time; reload and try again."),
             "code": "concurrent_change"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=400)
    if isinstance(exc, (OperationalError, InterfaceError)):  # the database is unreachable
        from servicedesk.unavailable import RETRY_AFTER_SECONDS, logger

        request = context.get("request")
        logger.warning("Database unavailable (%s %s): %s", getattr(request, "method", ""),
                       getattr(request, "path", ""), exc)

        return Response({"detail": _("The service is temporarily unavailable; try again shortly."),
                         "code": "unavailable"}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DatabaseError):
        return None
    return drf_exception_handler(exc, context)


def unknown_fields(serializer) -> list[str]:
    """The fields sent that `serializer` does not have (its form's CSRF token aside), sorted: an API
    refuses them rather than drop them, so that nobody believes they took effect."""
    given = set(serializer.initial_data) if hasattr(serializer.initial_data, "keys") else set()
    return sorted(given - set(serializer.fields) - {"csrfmiddlewaretoken"})
