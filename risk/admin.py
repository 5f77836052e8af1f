"""Admin pages for the monitoring (read-only: the monitoring writes them) and stress mode."""

from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.ratio import LINE_LABELS
from risk.models import AccountAlert, MarginCall, MarginCallContact, MonitoringRun, RatioSnapshot, StressMode
from risk.web.pages import RUN_TRIGGERS
from servicedesk.admin import ReadOnlyAdmin, labelled_filter


@admin.register(MonitoringRun)
class MonitoringRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "trigger_shown", "stress_points", "accounts", "changed", "alerts_opened",
                    "alerts_cleared", "cases_opened", "cases_raised", "cases_restored"]
    list_filter = [labelled_filter("trigger", _("trigger"), RUN_TRIGGERS)]

    @admin.display(description=_("trigger"), ordering="trigger")
    def trigger_shown(self, obj: MonitoringRun) -> str:
        return RUN_TRIGGERS.get(obj.trigger, obj.trigger)


@admin.register(RatioSnapshot)
class RatioSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["account", "taken_at", "maintenance_ratio", "level", "total_assets", "total_liabilities"]
    list_filter = ["level"]
    search_fields = ["account__account_no"]
    list_select_related = ["account"]


@admin.register(AccountAlert)
class AccountAlertAdmin(ReadOnlyAdmin):
    list_display = ["account", "line_shown", "line_value", "state", "opened_at", "cleared_at"]
    list_filter = [labelled_filter("line", _("line"), {code: capfirst(label) for code, label in LINE_LABELS.items()}),
                   "state"]
    search_fields = ["account__account_no", "account__client__client_no"]
    list_select_related = ["account"]
    exclude = ["line"]  # its code: shown by its name
    readonly_fields = ["line_shown"]

    @admin.display(description=_("line"), ordering="line")
    def line_shown(self, obj: AccountAlert) -> str:
        return obj.line_label


@admin.register(MarginCall)
class MarginCallAdmin(ReadOnlyAdmin):
    list_display = ["case", "account", "stage", "deadline", "top_up_cash", "top_up_sell"]
    list_filter = ["stage"]
    search_fields = ["case__number", "account__account_no"]
    list_select_related = ["case", "account"]


@admin.register(MarginCallContact)
class MarginCallContactAdmin(ReadOnlyAdmin):
    list_display = ["case", "called_at", "outcome", "recorded_by"]
    list_filter = ["outcome"]
    search_fields = ["case__number"]


@admin.register(StressMode)
class StressModeAdmin(ReadOnlyAdmin):
    list_display = ["points", "reason", "set_by", "set_at", "lifted_by", "lifted_at"]
