"""Security plumbing shared by the whole site: the login lockout's responses (django-axes), the
client's address behind reverse proxies, and the logging filter that masks personal data.

Imported by the settings' LOGGING (before the apps are loaded): no model imports at module level."""

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


# --- login lockout (django-axes) ----------------------------------------------------------------

def cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message() -> str:
    return _("Too many failed logins. This login is locked for %(minutes)d minutes; try again later, or ask "
             "an administrator to unlock it.") % {"minutes": cool_off_minutes()}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the API gets a JSON 429 with Retry-After, a person the lockout page."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds())) if settings.AXES_COOLOFF_TIME else None
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=status)
    else:
        response = render(request, "registration/locked_out.html",
                          {"minutes": cool_off_minutes(), "failure_limit": settings.AXES_FAILURE_LIMIT},
                          status=status)
    if retry_after:
        response["Retry-After"] = retry_after
    return response


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind settings.TRUSTED_PROXY_COUNT proxies the
    address the outermost proxy appended to X-Forwarded-For (entries left of it are the client's
    own claims and are ignored)."""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


#: The length of the username axes records with a failed login (axes.models.AccessAttempt.username).
AXES_USERNAME_MAX_LENGTH = 255


def login_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username tried (where axes itself reads it), cut to the length its
    records hold. No user's name is that long; uncut, PostgreSQL refused to record the failure and the
    login answered 500 instead of "wrong username or password"."""
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(settings.AXES_USERNAME_FORM_FIELD) if hasattr(source, "get") else None
    return username[:AXES_USERNAME_MAX_LENGTH] if isinstance(username, str) else username


# --- personal data in logs ----------------------------------------------------------------------

#: A resident id number: 6-digit area, birth date 18/19/20YYMMDD, 3 digits, check digit (or the old
#: 15-digit form), not inside a longer run of letters or digits.
ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
    r"|\d{8}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?![0-9A-Za-z])")
#: A mainland mobile number (1[3-9] and 9 digits), maybe written +86 / 86 / 0086 first, with or
#: without spaces or dashes between the 3-4-4 groups, not inside a longer run of letters or digits:
#: a task id such as 3066a173-1234-4256-8a1c-… holds "173-1234-4256", which is nobody's number
#: (masked, a worker's log no longer named the task it received).
MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """Id numbers keep their first 4 and last 4 characters, mobile numbers their first 3 and last
    4 digits; everything else is unchanged."""
    if not text or not any(char.isdigit() for char in text):
        return text
    text = ID_NUMBER.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 8) + m.group(0)[-4:], text)
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class PersonalDataFilter(logging.Filter):
    """Masks id numbers and mobile numbers in a record's message, its arguments and its
    traceback text, before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
