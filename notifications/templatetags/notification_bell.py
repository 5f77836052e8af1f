"""{% notification_bell %}: the bell on the admin's pages (the web pages load theirs from
notifications_web:bell)."""

from django import template
from django.urls import reverse

from notifications.bell import bell_context

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    return bell_context(getattr(request, "user", None), open_url_name="admin:notifications_open",
                        inbox_url=reverse("admin:notifications_inbox"))
