"""Admin for what follows a case: return visits (supervisors see the overdue ones first),
satisfaction ratings and the contract changes approved requests made (both read-only)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import CASE_WORKERS
from accounts.selectors import users_with_roles
from cases.models.ratings import SatisfactionRating
from cases.models.requests import ContractChange
from cases.models.visits import ReturnVisit
from servicedesk.admin import ModelAdmin, ReadOnlyAdmin


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = {"state": ReturnVisit.State.SCHEDULED, "due_date__lt": timezone.localdate()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


@admin.register(ReturnVisit)
class ReturnVisitAdmin(ModelAdmin):
    list_display = ["client", "reason", "due_date", "state", "assigned_to", "case", "done_at"]
    list_filter = [OverdueFilter, "state", "reason"]
    search_fields = ["client__client_no", "client__name", "case__number"]
    list_select_related = ["client", "assigned_to", "case"]
    # Recorded only on the console's visits page or the API (return_visit_complete: who made it, the
    # case's trail, a liquidation's margin call closed): here rescheduled or reassigned.
    readonly_fields = ["client", "case", "reason", "state", "outcome", "done_at", "done_by", "created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":  # someone who makes the call and may record it
            kwargs["queryset"] = users_with_roles(*CASE_WORKERS).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    list_display = ["case", "score", "created_at"]
    list_filter = ["score"]
    search_fields = ["case__number"]
    list_select_related = ["case"]


@admin.register(ContractChange)
class ContractChangeAdmin(ReadOnlyAdmin):
    list_display = ["account", "field", "old_value", "new_value", "case", "changed_by", "changed_at"]
    search_fields = ["account__account_no", "case__number"]
    list_select_related = ["account", "case", "changed_by"]
