"""API plumbing: one exception handler turning service errors into clear HTTP errors."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django_fsm import ConcurrentTransition
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from django.utils.translation import gettext as _

from servicedesk.errors import ApplicationError


def exception_handler(exc, context):
    from cases.calendars import CalendarUnavailable

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
