"""The admin site for supervisors: people, queues, routing, securities and credit accounts.

Lists read through the same selectors as the API (scoped to what the user may see), so a
team lead sees what the console would show them. Personal data (ID number, phone) is masked
for users who do not see it (accounts.selectors.sees_personal_data). Ratios are computed in
SQL (accounts.ratio.with_ratio): one query per page, sortable.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    ACCOUNT_NO_PATTERN, ClientProfile, CreditAccount, Position, Queue, RateChange, RoutingRule, Security, User,
)
from accounts.roles import ADMIN_ROLES, SEE_PERSONAL_DATA, STAFF_ROLES, Role
from accounts.selectors import (
    clients_visible_to,
    credit_accounts_visible_to,
    mask_id_number,
    mask_phone,
    sees_personal_data,
    users_with_roles,
)
from cases.admin import LargeTablePaginator
from cases.models import CaseKind
from servicedesk.admin import CheckedAutocompleteSelect, CheckedLookups, ModelAdmin

# --- the site: who may enter -------------------------------------------------------------------


def may_use_admin(user) -> bool:
    """Staff flagged is_staff, and members of the roles meant for the admin (ADMIN_ROLES)."""
    return bool(user.is_active and (user.is_staff or user.has_role(*ADMIN_ROLES)))


class RoleAwareAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not may_use_admin(user):
            super().confirm_login_allowed(user)


admin.site.has_permission = lambda request: may_use_admin(request.user)
admin.site.login_form = RoleAwareAuthenticationForm
admin.site.site_header = _("Margin-trading service desk")
admin.site.site_title = _("Service desk admin")
admin.site.index_title = _("Administration")


# --- formatting --------------------------------------------------------------------------------


def format_ratio(value: Decimal | None) -> str:
    """1.5234 → 152.34%; no liability → a word, never a division error."""
    if value is None:
        return str(_("no liability"))
    return f"{value * 100:,.2f}%"


def format_money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def sees_all_personal_data(user) -> bool:
    return user.is_superuser or user.has_role(*SEE_PERSONAL_DATA)


# --- users ---------------------------------------------------------------------------------------


@admin.register(User)
class UserAdmin(CheckedLookups, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Service desk"), {"fields": ("preferred_language",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2",
                                                  "preferred_language")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "roles", "preferred_language", "is_staff",
                    "is_active")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active", "preferred_language")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(group.name, group.name)) for group in obj.groups.all())


# --- clients -------------------------------------------------------------------------------------


@admin.register(ClientProfile)
class ClientProfileAdmin(ModelAdmin):
    list_filter = ("tier", "language", ("advisor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("client_no", "name")
    list_select_related = ("advisor", "user")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("client_no", "name", "tier", "risk_rating", "advisor", "language", "user")}),
        (_("Contact"), {"fields": ("id_number", "phone", "email")}),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return clients_visible_to(request.user).select_related("user")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "tier" in form.changed_data:  # their open cases take the new tier's targets
            from cases.services.sla import sla_clients_tier_changed_on_commit

            sla_clients_tier_changed_on_commit([obj.pk])

    def get_list_display(self, request):
        if sees_all_personal_data(request.user):
            phone = "phone"
        else:
            def phone(obj):
                return obj.phone if sees_personal_data(request.user, obj) else mask_phone(obj.phone)

            phone = admin.display(description=_("phone"))(phone)
        return ("client_no", "name", "tier", "advisor", phone, "language", "user")

    def _masks(self, request, obj) -> bool:
        return not (sees_all_personal_data(request.user) or (obj is not None and sees_personal_data(request.user, obj)))

    def lookup_allowed(self, lookup, value, request=None):
        """No filtering on the masked fields by whom they are masked for: `?phone__startswith=138`, a
        digit at a time, read the whole number off the list's counts (refused: a 400)."""
        if lookup.split(LOOKUP_SEP)[0] in ("id_number", "phone") and not (
                request is not None and sees_all_personal_data(request.user)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fieldsets(self, request, obj=None):
        if not self._masks(request, obj):
            return self.fieldsets
        masked = {"id_number": "masked_id_number", "phone": "masked_phone"}
        return tuple(
            (title, {**options, "fields": tuple(masked.get(name, name) for name in options["fields"])})
            for title, options in self.fieldsets
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(self.readonly_fields)
        if obj is not None:  # the core system's key, which import_accounts matches on
            readonly = (*readonly, "client_no")
        return (*readonly, "masked_id_number", "masked_phone") if self._masks(request, obj) else readonly

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj: ClientProfile) -> str:
        return mask_id_number(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: ClientProfile) -> str:
        return mask_phone(obj.phone)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "advisor":
            kwargs["queryset"] = users_with_roles(Role.ADVISOR).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- securities and credit accounts --------------------------------------------------------------


@admin.register(Security)
class SecurityAdmin(ModelAdmin):
    list_display = ("symbol", "name", "exchange", "price", "haircut", "price_as_of")
    list_filter = ("exchange",)
    search_fields = ("symbol", "name")


class RateChangeInline(admin.TabularInline):
    """Dated changes of the contract's annual rate: the interest accrual segments at them
    (accounts.interest); a change takes effect after the last accrued day."""

    model = RateChange
    extra = 0
    fields = ("effective_date", "annual_rate", "created_at")
    readonly_fields = ("created_at",)
    ordering = ("effective_date",)


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    fields = ("security", "kind", "quantity", "price", "market_value")
    readonly_fields = ("price", "market_value")
    autocomplete_fields = ("security",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "security":
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("security").order_by("kind", "security__symbol")

    @admin.display(description=_("price"))
    def price(self, obj: Position) -> str:
        return format_money(obj.security.price) if obj.pk else ""

    @admin.display(description=_("market value"))
    def market_value(self, obj: Position) -> str:
        return format_money(obj.market_value) if obj.pk else ""


def _line(name: str):
    """The account's own line, else the firm's default, as an SQL expression."""
    default = settings.MARGIN_DEFAULT_LINES.get(name)
    return Coalesce(f"{name}_line", Value(Decimal(default)))


class RatioBandFilter(admin.SimpleListFilter):
    """Accounts by where their maintenance ratio stands against their own lines."""

    title = _("ratio band")
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [
            ("close_out", _("Below the close-out line")),
            ("warning", _("Between close-out and warning lines")),
            ("attention", _("Between warning and attention lines")),
            ("normal", _("Between attention and withdrawal lines")),
            ("withdrawal", _("At or above the withdrawal line")),
            ("no_liability", _("No liability")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "no_liability":
            return queryset.filter(maintenance_ratio_sql__isnull=True)
        queryset = queryset.alias(
            close_out=_line("close_out"), warning=_line("warning"), attention=_line("attention"),
            withdrawal=_line("withdrawal"),
        )
        ratio = "maintenance_ratio_sql"
        bands = {
            "close_out": Q(**{f"{ratio}__lt": F("close_out")}),
            "warning": Q(**{f"{ratio}__gte": F("close_out"), f"{ratio}__lt": F("warning")}),
            "attention": Q(**{f"{ratio}__gte": F("warning"), f"{ratio}__lt": F("attention")}),
            "normal": Q(**{f"{ratio}__gte": F("attention"), f"{ratio}__lt": F("withdrawal")}),
            "withdrawal": Q(**{f"{ratio}__gte": F("withdrawal")}),
        }
        return queryset.filter(bands[value]) if value in bands else queryset.none()


class CreditAccountForm(forms.ModelForm):
    class Meta:
        model = CreditAccount
        fields = "__all__"

    def clean_account_no(self):
        number = self.cleaned_data["account_no"]
        if not ACCOUNT_NO_PATTERN.fullmatch(number):
            raise forms.ValidationError(_("Use only letters A to Z, digits, “-”, “_” and “.”: the account's pages "
                                          "are opened by its number."))
        return number


@admin.register(CreditAccount)
class CreditAccountAdmin(ModelAdmin):
    form = CreditAccountForm
    list_display = ("account_no", "client", "maintenance_ratio", "total_assets", "total_liabilities",
                    "financing_debt_shown", "cash_shown", "contract_maturity")
    list_filter = (RatioBandFilter, "contract_maturity")
    search_fields = ("account_no", "contract_no", "client__client_no", "client__name")
    list_select_related = ("client",)
    show_full_result_count = False
    paginator = LargeTablePaginator
    raw_id_fields = ("client",)
    inlines = (PositionInline, RateChangeInline)
    readonly_fields = ("maintenance_ratio", "total_assets", "total_liabilities", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("account_no", "client", "contract_no", "contract_start", "contract_maturity")}),
        (_("Balances"), {"fields": ("maintenance_ratio", "total_assets", "total_liabilities", "credit_limit", "cash",
                                    "other_collateral", "financing_debt", "interest_fees", "annual_rate",
                                    "penalty_rate")}),
        (_("Lines (empty: the firm's default)"), {"fields": ("attention_line", "warning_line", "close_out_line",
                                                              "restore_to_line", "withdrawal_line",
                                                              "immediate_line", "extension_line")}),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return credit_accounts_visible_to(request.user)

    def save_related(self, request, form, formsets, change):
        """An account whose lines, balances or positions were edited is revalued once saved (every
        account, as a stress-mode change does): its level and margin call follow the new figures now,
        not at the next scheduled run (days away at a weekend), and no page shows the new lines beside
        the old level."""
        super().save_related(request, form, formsets, change)
        if form.has_changed() or any(formset.has_changed() for formset in formsets):
            from risk.stress import revalue_once_committed

            revalue_once_committed("account_edit")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # The core system's key (import_accounts); the maturity moves by an extension approved by a
        # supervisor who did not propose it (four-eyes), or by import_accounts, never by one person here.
        return (*readonly, "account_no", "contract_maturity") if obj is not None else readonly

    @admin.display(description=_("maintenance ratio"), ordering="maintenance_ratio_sql")
    def maintenance_ratio(self, obj: CreditAccount) -> str:
        return format_ratio(getattr(obj, "maintenance_ratio_sql", obj.maintenance_ratio))

    @admin.display(description=_("total assets"), ordering="total_assets_sql")
    def total_assets(self, obj: CreditAccount) -> str:
        return format_money(getattr(obj, "total_assets_sql", None))

    @admin.display(description=_("total liabilities"), ordering="total_liabilities_sql")
    def total_liabilities(self, obj: CreditAccount) -> str:
        return format_money(getattr(obj, "total_liabilities_sql", None))

    # The stored amounts written like the computed ones beside them (a field's own column has no thousands).
    @admin.display(description=_("financing debt"), ordering="financing_debt")
    def financing_debt_shown(self, obj: CreditAccount) -> str:
        return format_money(obj.financing_debt)

    @admin.display(description=_("cash"), ordering="cash")
    def cash_shown(self, obj: CreditAccount) -> str:
        return format_money(obj.cash)


# --- queues and routing --------------------------------------------------------------------------


@admin.register(Queue)
class QueueAdmin(ModelAdmin):
    list_display = ("code", "name", "name_en", "member_list")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("members",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("members")

    def get_readonly_fields(self, request, obj=None):
        """A queue's code is how the routing's fallback (`general`), `add_user --queue` and the lists'
        filters name it: a renamed `general` left every case no rule routes in no queue at all."""
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "code") if obj is not None else readonly

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        warn_if_routed_to_nobody(request, form.instance)

    @admin.display(description=_("members"))
    def member_list(self, obj: Queue) -> str:
        return ", ".join(member.username for member in obj.members.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = users_with_roles(*STAFF_ROLES).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def warn_if_routed_to_nobody(request, queue: Queue) -> None:
    """Cases an active rule sends to a queue no active member works wait there unseen (only the
    supervisors hear of their SLA warnings): say so when such a rule or queue is saved."""
    if (RoutingRule.objects.filter(queue=queue, is_active=True).exists()
            and not queue.members.filter(is_active=True).exists()):
        messages.warning(request, _("Queue %(queue)s has no active member, and active routing rules send new "
                                    "cases to it: they wait there unseen until someone joins it.")
                         % {"queue": queue.code})


class RoutingRuleForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("case kind"), required=False,
                             choices=[("", _("Any kind"))] + list(CaseKind.choices))

    class Meta:
        model = RoutingRule
        fields = "__all__"


@admin.register(RoutingRule)
class RoutingRuleAdmin(ModelAdmin):
    form = RoutingRuleForm
    list_display = ("__str__", "position", "kind", "category", "tier", "queue", "assign_to_advisor", "is_active")
    list_display_links = ("__str__",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "queue", "tier")
    list_select_related = ("queue",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if warning := obj.unknown_category():
            messages.warning(request, warning)
        warn_if_routed_to_nobody(request, obj.queue)
