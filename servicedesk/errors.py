"""The one family of exceptions services raise; servicedesk.api maps them to HTTP responses."""


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    """Bad input: `extra` maps field names to lists of messages."""

    status_code = 400
    code = "invalid"


class NotAllowed(ApplicationError):
    """The user's role may not do this."""

    status_code = 403
    code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class Conflict(ApplicationError):
    """Not possible in the current state, or lost to a concurrent change."""

    status_code = 409
    code = "conflict"
