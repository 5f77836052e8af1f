"""System checks of the notification channels (shown by every management command and `check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.utils.translation import gettext as _


@register()
def sms_backend_can_send(app_configs, **kwargs):
    """An SMS backend that cannot send (SMS_BACKEND not importable; the HTTP gateway without an http(s)
    SMS_GATEWAY_URL) said so only when each SMS gave up, margin calls' included: said at start."""
    from notifications.channels import DeliveryError
    from notifications.channels.sms import get_backend

    try:
        get_backend()
    except ImportError as error:
        problem = _("SMS_BACKEND %(backend)s cannot be imported (%(error)s).") % {
            "backend": settings.SMS_BACKEND, "error": error}
    except DeliveryError as error:
        problem = _("The SMS backend cannot send: %(error)s.") % {"error": error}
    else:
        return []
    return [CheckWarning(problem, hint=_("Every SMS to clients, margin calls' included, will fail until it is "
                                         "set (servicedesk/settings: SMS_BACKEND, SMS_GATEWAY_URL)."),
                         id="notifications.W001")]
