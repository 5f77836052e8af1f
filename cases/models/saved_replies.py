"""Saved replies (Zendesk's macros, Zammad's text modules): a reply agents start from, written
by supervisors in both languages in the admin and inserted on the case page in the client's
language, with the case's own values filled in (cases.saved_replies)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedReply(models.Model):
    title = models.CharField(_("title (Chinese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=100)
    body_zh = models.TextField(_("text (Chinese)"), help_text=_(
        "May use {client_name}, {case_number}, {account_no} and {agent_name}; they are filled in for the case."))
    body_en = models.TextField(_("text (English)"), help_text=_(
        "May use {client_name}, {case_number}, {account_no} and {agent_name}; they are filled in for the case."))
    case_kinds = models.CharField(_("case kinds"), max_length=100, blank=True, help_text=_(
        "Comma-separated kinds it is offered for (ticket, dispute, margin_call, extension, relief); empty: all."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        from cases.models.case import CaseKind

        unknown = [kind for kind in self.kind_list if kind not in CaseKind.values]
        if unknown:
            raise ValidationError({"case_kinds": _("Unknown case kinds: %(kinds)s.") % {"kinds": ", ".join(unknown)}})

    @property
    def kind_list(self) -> list[str]:
        return [kind.strip() for kind in self.case_kinds.split(",") if kind.strip()]
