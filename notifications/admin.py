"""Admin: the outbox (read-only, with "send again"), clients' channel preferences, and the notice
templates that supervisors edit, with a preview (sample data, or a real case they may see).
Also the console's bell: each staff member's in-app notices (inbox and open views)."""

import json
from urllib.parse import urlencode

from csp.decorators import csp
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.admin import LargeTablePaginator
from cases.selectors import cases_visible_to
from cases.services.ratings import rating_link_hidden
from notifications import selectors, services
from notifications.channels.email import with_case_tag
from notifications.events import EVENT_LABELS, event_label
from notifications.models import ClientPreference, Notification, NotificationTemplate
from notifications.rendering import CONTEXT_HELP, build_context, render_source
from notifications.services import notifications_send_again
from servicedesk.admin import ModelAdmin, labelled_filter
from servicedesk.errors import NotFound

#: Written as the notices write them (money "¥37,500.00", dates and times in the language's format):
#: a preview that showed "37,500.00" had supervisors add "元" to what is sent as "¥37,500.00元".
SAMPLE_CONTEXT = {
    "zh-hans": {"case_number": "CS-2026-000123", "case_subject": "融资利率咨询", "case_kind": "服务请求",
                "case_state": "已解决", "previous_state": "处理中", "transition": "解决",
                "message": "您好，您的融资年利率为 8.35%，按日计息。", "client_name": "张三", "client_no": "C000123",
                "account_no": "A00000123", "ratio": "128.50", "level": "平仓", "cash": "¥37,500.00",
                "sell": "¥166,666.67", "deadline": "2026年12月3日 15:00", "due_date": "2026年12月15日", "days": "7",
                "metric": "首次响应", "request_kind": "extension", "maturity": "2027年6月15日", "trading_days": "3",
                "reasons": "近三个月的利息尚未结清。", "link": "https://service.example.com/rate/sample/",
                "notice": "追保", "address": "zhangsan@example.com",
                "bounce_reason": "550 5.1.1 <zhangsan@example.com>: Recipient address rejected: User unknown"},
    "en": {"case_number": "CS-2026-000123", "case_subject": "Financing rate question", "case_kind": "Service ticket",
           "case_state": "Resolved", "previous_state": "Open", "transition": "Resolve",
           "message": "Hello, your financing rate is 8.35% a year, accrued daily.", "client_name": "Zhang San",
           "client_no": "C000123", "account_no": "A00000123", "ratio": "128.50", "level": "close-out",
           "cash": "¥37,500.00", "sell": "¥166,666.67", "deadline": "Dec. 3, 2026, 3 p.m.",
           "due_date": "Dec. 15, 2026", "days": "7", "metric": "First response", "request_kind": "extension",
           "maturity": "June 15, 2027", "trading_days": "3", "reasons": "The interest of the last three months is "
           "not paid yet.", "link": "https://service.example.com/rate/sample/", "notice": "margin call",
           "address": "zhangsan@example.com",
           "bounce_reason": "550 5.1.1 <zhangsan@example.com>: Recipient address rejected: User unknown"},
}


def preview_data(template: NotificationTemplate, case=None) -> dict:
    """Rendered subject, text and HTML e-mail of `template` for `case` (else the sample); with what
    the case's last notice of this event carried (a decision's dates and reasons, a rating link)."""
    from notifications.channels.email import build_message

    with translation.override(template.language):
        if case is not None:
            told = case.notifications.filter(event=template.event).order_by("-id").values_list("data", flat=True)
            data = {**(told.first() or {}), "to": case.state}
            if "link" in data:  # the client's rating link is theirs alone: shown without its token
                data["link"] = rating_link_hidden(data["link"], data)
            message = case.messages.filter(visibility="public", source="staff").order_by("-id").first()
            if message is not None:
                data["message_id"] = message.pk
            context = build_context(event=template.event, case=case, data=data)
        else:
            context = dict(SAMPLE_CONTEXT.get(template.language, SAMPLE_CONTEXT["en"]))
        try:
            subject, body = render_source(template.subject, template.body, context)
        except Exception as error:  # an invalid template: say so instead of failing the page
            return {"error": str(error)}
    if context.get("case_number") and template.channel in ("", Notification.Channel.EMAIL):
        subject = with_case_tag(subject, context["case_number"])
    notice = Notification(pk=0, subject=subject, body=body, language=template.language, address="client@example.com")
    html = build_message(notice).alternatives[0][0]
    return {"subject": subject, "body": body, "html": html}


def _preview_case_number(request) -> str:
    """The case number `?case=` names, without NUL characters (PostgreSQL refuses them in a query:
    `?case=%00` was a server error, not "no such case")."""
    return (request.GET.get("case") or "").replace("\x00", "").strip().upper()


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(ModelAdmin):
    list_display = ("event", "language", "channel", "subject", "is_active", "updated_at")
    list_filter = ("event", "language", "channel", "is_active")
    search_fields = ("event", "subject", "body")
    readonly_fields = ("placeholders", "preview", "updated_at")
    fields = ("event", "language", "channel", "subject", "body", "is_active", "placeholders", "preview",
              "updated_at")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The event is chosen from the events notices are written for, each with its name."""
        if db_field.name == "event":
            return forms.ChoiceField(label=db_field.verbose_name, choices=[
                ("", "---------"), *((code, f"{code} — {label}") for code, label in EVENT_LABELS.items())])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("placeholders"))
    def placeholders(self, obj) -> str:
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li><code>{{{{ {} }}}}</code> — {}</li>", ((name, label) for name, label in CONTEXT_HELP.items())))

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj) -> str:
        if obj is None or obj.pk is None:
            return _("Save the template to preview it.")
        result = preview_data(obj)
        if "error" in result:
            return format_html('<p class="errornote">{}</p>', result["error"])
        url = reverse("admin:notifications_notificationtemplate_preview", args=[obj.pk])
        return format_html('<p><strong>{}</strong></p><pre class="pre-wrap">{}</pre>'
                           '<p><a class="button" href="{}">{}</a></p>',
                           result["subject"], result["body"], url, _("Preview with a real case"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        html_view = self.admin_site.admin_view(self.preview_html_view)
        return [path("<path:object_id>/preview/", view, name="notifications_notificationtemplate_preview"),
                path("<path:object_id>/preview/html/", html_view,
                     name="notifications_notificationtemplate_preview_html"),
                *super().get_urls()]

    @csp({"default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "data:", "frame-ancestors": "'self'",
          "form-action": "'none'", "base-uri": "'none'", "sandbox": True})
    def preview_html_view(self, request, object_id):
        """The HTML e-mail alone, for the preview page's sandboxed frame: its own policy lets the
        e-mail's inline styles apply (and nothing else: no scripts, no requests), framed by this
        site only."""
        template, case, _case_error = self._preview_subject(request, object_id)
        result = preview_data(template, case)
        response = HttpResponse(result.get("html") or "", content_type="text/html; charset=utf-8")
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def _preview_subject(self, request, object_id):
        template = self.get_object(request, unquote(object_id))
        if template is None or not self.has_view_or_change_permission(request, template):
            raise Http404
        number = _preview_case_number(request)
        case, case_error = None, ""
        if number:
            case = cases_visible_to(request.user).select_related("client", "credit_account").filter(
                number=number).first()
            if case is None:
                case_error = _("No case %(number)s that you may see.") % {"number": number}
        return template, case, case_error

    def preview_view(self, request, object_id):
        """The template rendered for the sample data or `?case=<number>` (a case this user may see)."""
        template, case, case_error = self._preview_subject(request, object_id)
        number = _preview_case_number(request)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": template,
            "title": _("Preview of %(template)s") % {"template": template}, "case_number": number,
            "case_error": case_error, "result": preview_data(template, case), "case": case,
            "html_url": reverse("admin:notifications_notificationtemplate_preview_html", args=[template.pk])
            + (f"?{urlencode({'case': number})}" if number else ""),
        }
        return TemplateResponse(request, "notifications/admin/template_preview.html", context)


@admin.register(ClientPreference)
class ClientPreferenceAdmin(ModelAdmin):
    list_display = ("client", "email_enabled", "sms_enabled", "in_app_enabled", "quiet_hours_start",
                    "quiet_hours_end", "updated_at")
    list_filter = ("email_enabled", "sms_enabled", "in_app_enabled")
    search_fields = ("client__client_no", "client__name")
    raw_id_fields = ("client",)


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    """Every message kept: read-only. "Send again" gives given-up or failed messages a new round of
    attempts (e.g. after an SMS gateway outage)."""

    list_display = ("created_at", "event_shown", "channel", "recipient", "case", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", labelled_filter("event", gettext_lazy("event"), EVENT_LABELS), "created_at")
    search_fields = ("=case__number", "=address", "=recipient_client__client_no")
    list_select_related = ("case", "recipient_client", "recipient_user")
    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 100
    actions = ["send_again"]

    #: Texts shown with the client's rating link without its token (cases.services.ratings.rating_link_hidden).
    SHOWN_WITHOUT_RATING_LINK = {"subject": "subject_shown", "body": "body_shown", "data": "data_shown"}
    exclude = tuple(SHOWN_WITHOUT_RATING_LINK)  # read-only like every other field: shown, never a form field

    def get_readonly_fields(self, request, obj=None):
        return ["event_shown", *(self.SHOWN_WITHOUT_RATING_LINK.get(field.name, field.name)
                                 for field in self.opts.fields)]

    @admin.display(description=Notification._meta.get_field("subject").verbose_name)
    def subject_shown(self, obj) -> str:
        return rating_link_hidden(obj.subject, obj.data)

    @admin.display(description=Notification._meta.get_field("body").verbose_name)
    def body_shown(self, obj) -> str:
        return rating_link_hidden(obj.body, obj.data)

    @admin.display(description=Notification._meta.get_field("data").verbose_name)
    def data_shown(self, obj) -> str:
        return rating_link_hidden(json.dumps(obj.data, ensure_ascii=False), obj.data)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("event"), ordering="event")
    def event_shown(self, obj) -> str:
        return event_label(obj.event)

    @admin.display(description=gettext_lazy("recipient"))
    def recipient(self, obj) -> str:
        return str(obj.recipient_client or obj.recipient_user or "")

    @admin.action(description=gettext_lazy("Send the selected messages again"), permissions=["change"])
    def send_again(self, request, queryset):
        count = notifications_send_again(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": count}, messages.SUCCESS)

    # --- the bell: the current user's own in-app notices ------------------------------------------

    def get_urls(self):
        inbox = self.admin_site.admin_view(self.inbox_view)
        open_view = self.admin_site.admin_view(self.open_view)
        return [path("inbox/", inbox, name="notifications_inbox"),
                path("<int:pk>/open/", open_view, name="notifications_open"),
                *super().get_urls()]

    def inbox_view(self, request):
        if request.method == "POST":
            services.notifications_mark_all_read(user=request.user)
            return HttpResponseRedirect(reverse("admin:notifications_inbox"))
        from notifications.bell import notice_items

        notices = selectors.inbox(request.user)[:selectors.INBOX_SIZE]
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("My notifications"),
                   "notices": notice_items(notices, "admin:notifications_open"),
                   "unread_count": selectors.unread_count(request.user)}
        return TemplateResponse(request, "notifications/admin/inbox.html", context)

    def open_view(self, request, pk):
        """POST: mark the notice read and go to its case (or back to the inbox)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            notification = services.notification_mark_read(user=request.user, notification_id=pk)
        except NotFound:
            raise Http404 from None
        if notification.case_id is not None:
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[notification.case_id]))
        return HttpResponseRedirect(reverse("admin:notifications_inbox"))


from notifications import inbound_admin  # noqa: E402,F401  (inbound e-mail's admin, the same app)
