"""Admin for inbound e-mail. Supervisors review the held ones: set the client or the case number
if need be, then "create a ticket for this client", "attach to case" or "discard" (buttons on the
e-mail's page, or actions on the list). Every other e-mail is read-only, kept for the record;
supervisors and auditors see them all, nobody adds or deletes one here."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from notifications import imap  # noqa: F401  (defines the notifications.imap_poll task beat runs)
from notifications.inbound import (
    inbound_attach_to_case,
    inbound_create_case,
    inbound_discard,
    may_review_inbound,
    parse_email,
)
from notifications.models import InboundEmail
from servicedesk.admin import ModelAdmin
from servicedesk.errors import ApplicationError

READER_ROLES = (Role.SUPERVISOR, Role.AUDITOR)
#: What a supervisor may set on a held e-mail before deciding.
REVIEW_FIELDS = ("client", "case_number")
#: Submit buttons on a held e-mail's page → the review service each one calls.
REVIEW_BUTTONS = {
    "_inbound_create_ticket": (gettext_lazy("Create a ticket for this client"), inbound_create_case),
    "_inbound_attach": (gettext_lazy("Attach to case"), inbound_attach_to_case),
    "_inbound_discard": (gettext_lazy("Discard"), inbound_discard),
}


@admin.register(InboundEmail)
class InboundEmailAdmin(ModelAdmin):
    list_display = ("received_at", "status", "from_address", "subject", "case", "client", "reviewed_by")
    list_filter = ("status", "source", "received_at")
    search_fields = ("from_address", "subject", "=message_id", "=case_number", "=case__number")
    list_select_related = ("case", "client", "reviewed_by")
    show_full_result_count = False
    list_per_page = 50
    raw_id_fields = ("client",)
    actions = ("create_ticket", "attach_to_case", "discard")
    fieldsets = (
        (None, {"fields": ("status", "received_at", "source", "message_id", "from_name", "from_address",
                           "sent_at", "subject", "text", "attachment_list", "raw")}),
        (gettext_lazy("Outcome"), {"fields": ("reason", "case", "client", "case_number", "notification",
                                              "reviewed_by", "reviewed_at", "review")}),
    )

    # --- who may see and act --------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        user = request.user
        return bool(user.is_active and (user.is_superuser or user.has_role(*READER_ROLES)
                                        or user.has_perm("notifications.view_inboundemail")))

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        return may_review_inbound(request.user) and (obj is None or obj.status == InboundEmail.Status.HELD)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        every = [name for _title, options in self.fieldsets for name in options["fields"]]
        if obj is not None and self.has_change_permission(request, obj):
            return [name for name in every if name not in REVIEW_FIELDS]
        return every

    # --- what the page shows ----------------------------------------------------------------------

    @admin.display(description=gettext_lazy("text"))
    def text(self, obj: InboundEmail) -> str:
        return format_html('<div class="inbound-text">{}</div>', obj.body)

    @admin.display(description=gettext_lazy("attachments"))
    def attachment_list(self, obj: InboundEmail) -> str:
        try:
            with obj.raw.open("rb") as raw:
                attachments = parse_email(raw.read()).attachments
        except (OSError, ValueError):
            return _("The original e-mail cannot be read.")
        return format_html_join(", ", "{} ({})", ((attachment.name, filesizeformat(len(attachment.content)))
                                                  for attachment in attachments)) or "-"

    @admin.display(description=gettext_lazy("review"))
    def review(self, obj: InboundEmail) -> str:
        if obj.status != InboundEmail.Status.HELD:
            return "-"
        return format_html_join(" ", '<input type="submit" name="{}" value="{}">',
                                ((key, label) for key, (label, _service) in REVIEW_BUTTONS.items()))

    # --- deciding ---------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        """Only the review fields, and only while the e-mail is still held."""
        changed = [name for name in form.changed_data if name in REVIEW_FIELDS]
        if change and changed:
            InboundEmail.objects.filter(pk=obj.pk, status=InboundEmail.Status.HELD).update(
                **{name: getattr(obj, name) for name in changed})

    def response_change(self, request, obj):
        for key, (_label, service) in REVIEW_BUTTONS.items():
            if key in request.POST:
                obj.refresh_from_db()
                self._decide(request, obj, service)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _decide(self, request, obj: InboundEmail, service) -> bool:
        try:
            service(inbound_email=obj, user=request.user)
        except ApplicationError as error:
            self.message_user(request, f"{obj.from_address}: {error.message}", messages.ERROR)
            return False
        obj.refresh_from_db()
        self.message_user(request, _("%(address)s: %(status)s %(case)s")
                          % {"address": obj.from_address, "status": obj.get_status_display(),
                             "case": obj.case.number if obj.case else ""}, messages.SUCCESS)
        return True

    def _decide_each(self, request, queryset, service) -> None:
        for obj in queryset.filter(status=InboundEmail.Status.HELD):
            self._decide(request, obj, service)

    @admin.action(description=gettext_lazy("Create a ticket for this client"), permissions=["change"])
    def create_ticket(self, request, queryset):
        self._decide_each(request, queryset, inbound_create_case)

    @admin.action(description=gettext_lazy("Attach to case (the case number set on the e-mail)"),
                  permissions=["change"])
    def attach_to_case(self, request, queryset):
        self._decide_each(request, queryset, inbound_attach_to_case)

    @admin.action(description=gettext_lazy("Discard"), permissions=["change"])
    def discard(self, request, queryset):
        self._decide_each(request, queryset, inbound_discard)
