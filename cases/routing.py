"""Which queue (and, for high-net-worth clients, which advisor) a new case goes to."""

from dataclasses import dataclass

from accounts.models import ClientProfile, Queue, RoutingRule, Tier


@dataclass(frozen=True)
class Route:
    queue: Queue | None
    assignee_id: int | None


def route_case(*, kind: str, category: str, client: ClientProfile) -> Route:
    """First active rule (by position) matching kind, category and tier wins. An hnw client's
    case goes to their advisor first, whatever the rule says; so does any rule that asks for it."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("queue").order_by("position", "id"):
        if rule.matches(kind=kind, category=category, tier=client.tier):
            to_advisor = rule.assign_to_advisor or client.tier == Tier.HNW
            return Route(queue=rule.queue, assignee_id=client.advisor_id if to_advisor else None)
    fallback = Queue.objects.filter(code="general").first()
    return Route(queue=fallback, assignee_id=client.advisor_id if client.tier == Tier.HNW else None)
