import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseKind, Channel, Priority


class CaseFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=CaseKind.choices)
    state = django_filters.CharFilter(method="filter_state", help_text=_("One state, or several separated by commas."))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    queue = django_filters.CharFilter(field_name="queue__code", help_text=_("Queue code."))
    assignee = django_filters.CharFilter(method="filter_assignee",
                                         help_text=_("Username, or “none” for unassigned cases."))
    client = django_filters.CharFilter(field_name="client__client_no", help_text=_("Client number."))
    credit_account = django_filters.CharFilter(field_name="credit_account__account_no")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_text", help_text=_("Text in number, subject or description."))

    class Meta:
        model = Case
        fields = []

    def filter_state(self, queryset, name, value):
        states = [state.strip() for state in value.split(",") if state.strip()]
        return queryset.filter(state__in=states) if states else queryset

    def filter_assignee(self, queryset, name, value):
        if value.lower() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__iexact=value) | Q(subject__icontains=value) | Q(description__icontains=value)
        )
