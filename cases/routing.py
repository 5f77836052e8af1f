"""Which queue (and, for high-net-worth clients, which advisor) a new case goes to."""

from dataclasses import dataclass

from accounts.models import ClientProfile, Queue, RoutingRule, Tier


@dataclass(frozen=True)
class Route:
    queue: Queue | None
    assignee_id: int | None


@dataclass(frozen=True)
class Routing:
    queue: Queue | None
    to_advisor: bool


def routing_for(*, kind: str, category: str, tier: str) -> Routing:
    """First active rule (by position) matching kind, category and tier wins. An hnw client's
    case goes to their advisor first, whatever the rule says; so does any rule that asks for it."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("queue").order_by("position", "id"):
        if rule.matches(kind=kind, category=category, tier=tier):
            return Routing(queue=rule.queue, to_advisor=rule.assign_to_advisor or tier == Tier.HNW)
    return Routing(queue=Queue.objects.filter(code="general").first(), to_advisor=tier == Tier.HNW)


def route_case(*, kind: str, category: str, client: ClientProfile) -> Route:
    """An advisor whose account was deactivated (they left) is not assigned: the case waits
    unassigned in the rule's queue, where its team leads see it."""
    routing = routing_for(kind=kind, category=category, tier=client.tier)
    advisor_active = client.advisor_id is not None and client.advisor.is_active
    return Route(queue=routing.queue, assignee_id=client.advisor_id if routing.to_advisor and advisor_active else None)
