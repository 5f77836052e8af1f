"""The admin site's case screens, for supervisors.

The admin never bypasses the services: a state change is a button that calls case_transition
(permission check, audit row, notifications), an edit of priority / queue / category / subject /
assignee goes through case_update, and nothing is added or deleted here (cases are opened through
case_create by the portal, console and monitoring; the audit trail is append-only).
The case list is built for a table of millions: no full COUNT, selected relations joined,
the state filter's choices come from the workflows rather than a DISTINCT over the table.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition

from accounts.roles import CASE_WORKERS
from accounts.selectors import users_with_roles
from cases.calendars import calendar_refusals
from cases.models import WORKFLOWS, Case, CaseEvent, CaseMessage, SavedReply
from cases.models.workflows import state_label
from cases.selectors import CASE_NUMBER, case_scope_q, cases_visible_to
from cases.services import available_transitions, case_transition, case_update
from cases.services.cases import EDITABLE_FIELDS
from cases.web.case_page.panels import PROPOSED_OUTCOMES, event_comment, event_text
from servicedesk.admin import ModelAdmin
from servicedesk.errors import ApplicationError


class LargeTablePaginator(Paginator):
    """Pages without counting a million rows. An unfiltered list on PostgreSQL takes the
    planner's row estimate; otherwise rows are counted up to COUNT_CAP (then filter further)."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [queryset.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] > self.COUNT_CAP:
                return int(row[0])
        return queryset.order_by().values("pk")[: self.COUNT_CAP].count()


def _all_states() -> dict:
    """Every workflow's states, each once (value → label)."""
    states = {}
    for workflow in WORKFLOWS.values():
        for value, label in workflow.State.choices:
            states.setdefault(value, label)
    return states


class StateListFilter(admin.ChoicesFieldListFilter):
    """The states of every workflow (or of the kind filtered on), without a DISTINCT query."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.kind = request.GET.get("kind__exact", "")
        super().__init__(field, request, params, model, model_admin, field_path)

    def choices(self, changelist):
        yield {
            "selected": not self.lookup_val,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg, self.lookup_kwarg_isnull]),
            "display": _("All"),
        }
        states = WORKFLOWS[self.kind].State.choices if self.kind in WORKFLOWS else _all_states().items()
        selected = set(self.lookup_val or ())
        for value, label in states:
            yield {
                "selected": value in selected,
                "query_string": changelist.get_query_string({self.lookup_kwarg: value}, [self.lookup_kwarg_isnull]),
                "display": label,
            }


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    """The audit trail: append-only, so shown and never edited here."""

    model = CaseEvent
    fields = ("created_at", "kind", "what_happened", "actor", "shown_comment", "is_internal")
    verbose_name_plural = gettext_lazy("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "case").order_by("created_at", "id")

    @admin.display(description=gettext_lazy("description"))
    def what_happened(self, obj: CaseEvent) -> str:
        return event_text(obj.case, obj)

    @admin.display(description=gettext_lazy("comment"))
    def shown_comment(self, obj: CaseEvent) -> str:
        return event_comment(obj)


class CaseMessageInline(ReadOnlyInline):
    model = CaseMessage
    fields = ("created_at", "source", "visibility", "author", "body")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").order_by("created_at", "id")


@admin.register(Case)
class CaseAdmin(ModelAdmin):
    # The state by its label (a workflow's states are not the field's choices): `workflow_state`,
    # since a model field's name in list_display or readonly_fields shows the field's raw code.
    list_display = ("number", "kind", "workflow_state", "priority", "client", "queue", "assignee", "created_at")
    list_filter = ("kind", ("state", StateListFilter), "priority", "queue", "channel", "created_at")
    search_fields = ("number", "subject", "client__client_no", "client__name")
    list_select_related = ("client", "queue", "assignee")
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50
    raw_id_fields = ("assignee",)
    inlines = (CaseMessageInline, CaseEventInline)
    fieldsets = (
        (None, {"fields": ("number", "kind", "workflow_state", "subject", "category", "description", "client",
                           "credit_account", "channel")}),
        (gettext_lazy("Work"), {"fields": ("priority", "queue", "assignee")}),
        (gettext_lazy("Four-eyes"), {"fields": ("proposed_by", "proposed_outcome_label", "proposal", "approved_by")}),
        (gettext_lazy("Dates"), {"fields": ("created_by", "created_at", "updated_at", "resolved_at", "closed_at")}),
    )
    #: What an edit here may change (through case_update / case_assign); everything else is read-only.
    editable_fields = (*EDITABLE_FIELDS, "assignee")
    readonly_fields = (
        "number", "kind", "workflow_state", "description", "client", "credit_account", "channel", "proposed_by",
        "proposed_outcome_label", "proposal", "approved_by", "created_by", "created_at", "updated_at", "resolved_at",
        "closed_at",
    )

    def get_queryset(self, request):
        return cases_visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def workflow_state(self, obj: Case) -> str:
        return state_label(obj.kind, obj.state)

    @admin.display(description=Case._meta.get_field("proposed_outcome").verbose_name)
    def proposed_outcome_label(self, obj: Case) -> str | None:
        """The outcome by its label, as the case page says it: the field showed its raw code ("resolve")."""
        return PROPOSED_OUTCOMES.get(obj.proposed_outcome, obj.proposed_outcome) if obj.proposed_outcome else None

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if CASE_NUMBER.match(term):  # the common case: an exact number, found through its unique index
            return queryset.filter(number=term.upper()), False
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = users_with_roles(*CASE_WORKERS).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- edits go through the services ---------------------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.editable_fields}
        if not changes:
            return
        try:
            with calendar_refusals():
                case_update(case=Case.objects.get(pk=obj.pk), user=request.user, **changes)
        except ApplicationError as error:
            request._case_admin_failed = True
            self.message_user(request, error.message, messages.ERROR)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if getattr(request, "_case_admin_failed", False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)

    # --- transition buttons ----------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.transition_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_transition"
        return [
            path("<path:object_id>/transition/<str:name>/", view, name=name),
            path("<path:object_id>/transition/", view, name=name),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            extra_context = {
                **(extra_context or {}),
                "case_state_label": state_label(case.kind, case.state),
                "case_transitions": available_transitions(case=case, user=request.user),
                "case_transition_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
                                               args=[case.pk]),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, name=None):
        """POST: take transition `name` (in the URL, or the `transition` field) with the optional
        `comment`; back to the change page with the outcome as a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self.get_object(request, unquote(object_id))
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        name = name or request.POST.get("transition") or request.POST.get("name") or ""
        change_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[case.pk])
        from_label = state_label(case.kind, case.state)
        try:  # a NUL byte, which no database text holds, was a 500 once the step wrote its event
            comment = forms.CharField(required=False, strip=False).clean(request.POST.get("comment", ""))
        except forms.ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(change_url)
        try:
            with calendar_refusals():
                case = case_transition(case=case, user=request.user, name=name, comment=comment,
                                       require_comment=True)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        except ConcurrentTransition:
            self.message_user(request, _("The case was changed by someone else at the same time; reload and try "
                                         "again."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        to_label = state_label(case.kind, case.state)
        self.log_change(request, case, _("Transition “%(name)s”: %(from)s → %(to)s")
                        % {"name": name, "from": from_label, "to": to_label})
        self.message_user(request, _("%(case)s: %(from)s → %(to)s.") % {"case": case.number, "from": from_label,
                                                                          "to": to_label}, messages.SUCCESS)
        return HttpResponseRedirect(change_url)


@admin.register(CaseEvent)
class CaseEventAdmin(ModelAdmin):
    """The audit trail across cases, for auditors: read-only."""

    list_display = ("created_at", "case", "kind", "what_happened", "actor", "is_internal")
    list_filter = ("kind", "is_internal", "created_at")
    search_fields = ("=case__number",)
    list_select_related = ("case", "actor")
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 100

    ordering = ("-created_at", "-id")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = case_scope_q(request.user)
        return queryset if scope is None else queryset.filter(case__in=Case.objects.filter(scope))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("description"))
    def what_happened(self, obj: CaseEvent) -> str:
        """In words, as the case page's timeline says it; the recorded codes are on the event's own page."""
        return event_text(obj.case, obj)


@admin.register(SavedReply)
class SavedReplyAdmin(ModelAdmin):
    """Saved replies agents start from on the case page (supervisors write them in both languages)."""

    list_display = ["title", "title_en", "case_kinds", "position", "is_active", "updated_at"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "title_en", "body_zh", "body_en"]


from cases import sla_admin  # noqa: E402,F401  (calendars and SLA policies)
from cases import aftercare_admin  # noqa: E402,F401  (return visits, ratings, contract changes)

