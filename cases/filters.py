import django_filters
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Queue
from cases.models import Case, CaseKind, Channel, DisputeCase, Priority, SlaTimer
from cases.models.workflows import AWAITING_APPROVAL
from cases.selectors import case_number_q, is_staff_reader
from servicedesk.filters import IsoDateTimeFilter, ListedChoiceFilter, StrictBooleanFilter, not_one_of, range_checked

#: The filters that select by SLA data. Clients never receive SLA data, so they may not select by it
#: either: a client's list refuses each one given (400 naming it) instead of answering a subset.
SLA_FILTERS = ("sla_state", "breached", "due_before")
#: The filters that select by staff-only fields: refused to clients the same way (a client who could
#: select by assignee would learn who works their cases, and which staff usernames exist).
STAFF_FIELD_FILTERS = ("queue", "assignee")


def validate_states(value: str) -> None:
    """Each comma-separated state is one of some workflow's: a typo is bad input, not an empty list."""
    from cases.models import WORKFLOWS

    known = sorted({state for workflow in WORKFLOWS.values() for state in workflow.State.values})
    unknown = [state.strip() for state in value.split(",") if state.strip() and state.strip() not in known]
    if unknown:
        raise not_one_of(", ".join(unknown), known)


def _late() -> Q:
    """A clock still open that reached its target (cases.sla_status.reached_target): its due moment
    has come, or, paused, it had run its whole target."""
    running, paused = Q(resumed_at__isnull=False), Q(resumed_at__isnull=True)
    return Q(stopped_at__isnull=True) & ((running & Q(due_at__lte=timezone.now()))
                                         | (paused & Q(elapsed_seconds__gte=F("target_seconds"))))


class CaseFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=CaseKind.choices)
    state = django_filters.CharFilter(method="filter_state", validators=[validate_states],
                                      help_text=_("One state, or several separated by commas."))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    # Filters on queue_id (the (queue, state, -id) index), not on a join to the queue's code.
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.all(), to_field_name="code",
                                             help_text=_("Queue code."))
    assignee = django_filters.CharFilter(method="filter_assignee",
                                         help_text=_("Username, or “none” for unassigned cases."))
    client = django_filters.CharFilter(field_name="client__client_no", help_text=_("Client number."))
    credit_account = django_filters.CharFilter(field_name="credit_account__account_no")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_text", help_text=_(
        "Text in the subject or description, or the case number: whole, or its serial alone (123)."))
    # DRF's own name for a text search (its SearchFilter's), for clients written against that convention.
    search = django_filters.CharFilter(method="filter_text", help_text=_("The same text search as q."))
    sla_state = ListedChoiceFilter(choices=SlaTimer.State.choices, method="filter_sla_state",
                                            help_text=_("Staff only: cases with a current SLA timer in this state."))
    breached = StrictBooleanFilter(method="filter_breached",
                                   help_text=_("Staff only: cases with (or without) a breached SLA timer."))
    due_before = IsoDateTimeFilter(method="filter_due_before",
                                   help_text=_("Staff only: cases with a running SLA timer due before this."))

    class Meta:
        model = Case
        fields = []

    def is_valid(self):
        """The filters' own checks, a creation range that ends before it starts refused, and for a
        client the refusal of every SLA or staff-field filter given."""
        if self.is_bound and self.request is not None and not is_staff_reader(self.request.user):
            refusals = {**dict.fromkeys(SLA_FILTERS, _("Only staff may filter cases by SLA data.")),
                        **dict.fromkeys(STAFF_FIELD_FILTERS, _("Only staff may filter cases by queue or assignee."))}
            for name, refusal in refusals.items():
                if name in self.data and name not in self.form.errors:
                    self.form.add_error(name, refusal)
        return super().is_valid() and range_checked(self.form, "created_after", "created_before")

    def filter_state(self, queryset, name, value):
        """The states as the reader sees them: for a client, a dispute whose proposed resolution
        awaits a supervisor is still investigated (cases.models.workflows.client_state)."""
        states = [state.strip() for state in value.split(",") if state.strip()]
        if not states:
            return queryset
        if self.request is None or is_staff_reader(self.request.user):
            return queryset.filter(state__in=states)
        shown = Q(state__in=states) & ~AWAITING_APPROVAL
        if DisputeCase.State.INVESTIGATING in states:
            shown |= AWAITING_APPROVAL
        return queryset.filter(shown)

    def filter_assignee(self, queryset, name, value):
        if value.lower() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def filter_sla_state(self, queryset, name, value):
        """The state each timer shows (cases.serializers.sla_timer_data): a clock still open that
        reached its target is breached, not running or paused, before the sweep records it. Only
        each metric's current cycle counts, the one the case shows (cases.selectors._timer_rows):
        an earlier next response met or breached, or the resolution met before a reopen, is history."""
        if value == SlaTimer.State.BREACHED:
            timers = SlaTimer.objects.filter(Q(state=value) | _late())
        elif value in (SlaTimer.State.RUNNING, SlaTimer.State.PAUSED):
            timers = SlaTimer.objects.filter(state=value, stopped_at__isnull=True).exclude(_late())
        else:
            timers = SlaTimer.objects.filter(state=value)
        later_cycle = SlaTimer.objects.filter(case=OuterRef("case"), metric=OuterRef("metric"),
                                              cycle__gt=OuterRef("cycle"))
        return queryset.filter(Exists(timers.filter(~Exists(later_cycle), case=OuterRef("pk"))))

    def filter_breached(self, queryset, name, value):
        """Breached as each timer shows it (cases.sla_status.timer_status): recorded so, or a clock
        that reached its target before the sweep marked it (cases.sla_status.reached_target)."""
        breached = Exists(SlaTimer.objects.filter(Q(breached=True) | _late(), case=OuterRef("pk")))
        return queryset.filter(breached if value else ~breached)

    def filter_due_before(self, queryset, name, value):
        return queryset.filter(Exists(SlaTimer.objects.filter(case=OuterRef("pk"), stopped_at__isnull=True,
                                                              due_at__lt=value)))

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(case_number_q(value) | Q(subject__icontains=value) | Q(description__icontains=value))
