"""Reads of return visits, scoped to who may see them: agents and advisors their own and the
unassigned ones; team leads, supervisors, risk officers, auditors all of them."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import SEE_EVERYTHING, Role
from cases.models import ReturnVisit


def sees_every_visit(user: User) -> bool:
    return user.is_superuser or user.has_role(*SEE_EVERYTHING, Role.TEAM_LEAD)


def return_visits_visible_to(user: User) -> QuerySet[ReturnVisit]:
    visits = ReturnVisit.objects.select_related("client", "case", "assigned_to", "done_by")
    if not user.is_authenticated or not user.is_active:
        return visits.none()
    if sees_every_visit(user):
        return visits
    if user.works_cases:
        return visits.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
    return visits.none()


def overdue(visits: QuerySet[ReturnVisit]) -> QuerySet[ReturnVisit]:
    """Scheduled and due before today (Asia/Shanghai)."""
    return visits.filter(state=ReturnVisit.State.SCHEDULED, due_date__lt=timezone.localdate())


def overdue_visits_list(*, limit: int = 200, using: str = "default") -> QuerySet[ReturnVisit]:
    """Every overdue visit, the longest overdue first (for the supervisors' report)."""
    visits = ReturnVisit.objects.using(using).select_related("client", "case", "assigned_to")
    return overdue(visits).order_by("due_date", "id")[:limit]
