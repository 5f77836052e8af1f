"""{% notification_bell %}: the console's bell (unread in-app notices of the logged-in user)."""

from django import template

from notifications import selectors

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context, size: int = 8):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    from notifications.serializers import InboxItemSerializer

    notices = list(selectors.inbox(user, unread_only=True)[:size])
    return {"show": True, "unread_count": selectors.unread_count(user), "request": request,
            "notices": InboxItemSerializer(notices, many=True, context={}).data}
