"""Baselines: the least Django can do to serve the same rows, to measure the API against."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse

from cases.models import Case

#: What a case list row shows, read in one query over the tables the API's own query joins
#: (proposer and approver as ids: two more joins of the user table would cost more to plan
#: than to run, and a baseline should be the cheap way).
CASE_PAGE_FIELDS = [
    "id", "number", "kind", "category", "subject", "description", "priority", "state", "client__client_no",
    "client__name", "client__tier", "credit_account__account_no", "queue__code", "assignee__username", "channel",
    "created_by__username", "proposed_by_id", "proposed_outcome", "proposal", "approved_by_id", "created_at",
    "updated_at", "resolved_at", "closed_at",
]


def case_page(request):
    """The newest `page_size` cases of a queue in a state, as JSON, in one query: no
    authentication, scope, serializer, filter set or paginator."""
    size = int(request.GET.get("page_size", 50))
    rows = (Case.objects.filter(queue__code=request.GET["queue"], state=request.GET["state"])
            .order_by("-id").values(*CASE_PAGE_FIELDS)[:size])
    return JsonResponse({"results": list(rows)}, encoder=DjangoJSONEncoder)
