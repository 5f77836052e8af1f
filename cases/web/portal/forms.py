"""The portal's forms: submitting a case (fields per kind), replying, rating, a workflow step."""

import datetime
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from accounts.models import MONEY
from cases.attachments import MAX_FILES, validate_attachments
from cases.categories import CATEGORIES, EXTENSION
from cases.models import CaseKind
from cases.models.ratings import SCORES
from cases.services.requests import MAX_INSTALMENTS
from cases.web.sent_once import SentOnceForm
from servicedesk.forms import LabelForm

#: One instalment's amount: a positive sum that fits the money columns, as the API's
#: InstalmentSerializer has it (cases/serializers.py).
INSTALMENT_AMOUNT = forms.DecimalField(**MONEY, min_value=Decimal("0.01"))

#: What a client may submit, in the order the form offers them.
SUBMIT_KINDS = (CaseKind.TICKET, CaseKind.DISPUTE, CaseKind.EXTENSION, CaseKind.RELIEF)


def _interpolate(text, values: dict) -> str:
    return str(text) % values


#: `gettext_lazy("… %(max)d …") % values` would translate once, at import, in whatever language was
#: active then; this formats when the page is rendered, in the reader's language.
interpolate_lazy = lazy(_interpolate, str)


class PortalForm(LabelForm):
    """The portal's forms."""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; validated together (cases.attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [super(MultipleFileField, self).clean(item, initial) for item in files if item]
        return validate_attachments(files)


def _attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=gettext_lazy("Attachments"),
        help_text=interpolate_lazy(
            gettext_lazy("Up to %(max)d files: PDF, images, Office documents or text, at most 10 MB each."),
            {"max": MAX_FILES}))


class SubmitForm(SentOnceForm, PortalForm):
    """One form for every kind; __init__ keeps the fields the kind asks for. Sent twice (a double
    click, the page sent again), the same content opens one case (SentOnceForm)."""

    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    category = forms.ChoiceField(label=gettext_lazy("Category"))
    credit_account = forms.ModelChoiceField(label=gettext_lazy("Credit account"), queryset=None,
                                            to_field_name="account_no", required=False)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea, required=False,
                                  max_length=20000)
    requested_maturity = forms.DateField(
        label=gettext_lazy("New maturity asked for"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Leave empty for the full extension term."))
    requested_days = forms.IntegerField(
        label=gettext_lazy("More trading days asked for"), required=False, min_value=1,
        max_value=settings.RELIEF_MAX_TRADING_DAYS,
        help_text=gettext_lazy("More time to top up only; leave empty for the firm's standard extension."))
    staged_repayment = forms.CharField(
        label=gettext_lazy("Instalments proposed"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Staged repayment only: one instalment per line, due date and amount, "
                               "e.g. “2026-12-31 50000”."))
    attachments = _attachments_field()

    def __init__(self, *args, kind: str, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["credit_account"].queryset = accounts
        self.fields["credit_account"].label_from_instance = lambda account: account.account_no
        if kind in CATEGORIES:
            self.fields["category"].choices = [("", "---------"), *CATEGORIES[kind]]
        else:
            del self.fields["category"]
        if kind in (CaseKind.EXTENSION, CaseKind.RELIEF):
            self.fields["credit_account"].required = True
        if kind != CaseKind.EXTENSION:
            del self.fields["requested_maturity"]
        if kind != CaseKind.RELIEF:
            del self.fields["requested_days"]
            del self.fields["staged_repayment"]
        # Knowledge-base suggestions as the client types the subject or the description (views.suggest),
        # and when the category changes.
        suggest = {"hx-get": reverse("portal:suggest"), "hx-target": "#suggestions", "hx-sync": "this:replace"}
        typed = {**suggest, "hx-trigger": "keyup changed delay:400ms"}
        self.fields["subject"].widget.attrs.update({
            **typed, "autocomplete": "off", "hx-include": "[name='category'], [name='description']"})
        self.fields["description"].widget.attrs.update({
            **typed, "hx-include": "[name='subject'], [name='category']"})
        if "category" in self.fields:
            self.fields["category"].widget.attrs.update({**suggest, "hx-trigger": "change",
                                                         "hx-include": "[name='subject'], [name='description']"})

    def clean_staged_repayment(self):
        """One instalment per line: its due date and amount, each read here; whether the plan as a
        whole is acceptable (due after today and in order, the total within what the account owes) is
        the service's rule, the same for the API (cases.services.requests)."""
        text = self.cleaned_data.get("staged_repayment", "").strip()
        if not text:
            return None
        instalments = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = re.split(r"[\s,，]+", line.strip(), maxsplit=1)
            try:
                due = datetime.date.fromisoformat(parts[0])
            except ValueError:
                due = None
            if due is None or len(parts) < 2:
                raise forms.ValidationError(
                    _("Line %(line)d: write a date (YYYY-MM-DD) and a positive amount.") % {"line": number})
            try:
                amount = INSTALMENT_AMOUNT.clean(parts[1].replace(",", "").replace("，", ""))
            except forms.ValidationError as error:
                raise forms.ValidationError([_("Line %(line)d: %(problem)s") % {"line": number, "problem": problem}
                                             for problem in error.messages]) from None
            instalments.append({"due": due, "amount": amount})
        if len(instalments) > MAX_INSTALMENTS:
            raise forms.ValidationError(_("Propose 1 to %(max)d instalments.") % {"max": MAX_INSTALMENTS})
        return instalments

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        category = EXTENSION if self.kind == CaseKind.EXTENSION else data.get("category", "")
        return {
            "kind": self.kind, "subject": data["subject"], "description": data.get("description", ""),
            "category": category, "credit_account": data.get("credit_account"),
            "attachments": data.get("attachments") or [], "requested_days": data.get("requested_days"),
            "requested_maturity": data.get("requested_maturity"), "staged_repayment": data.get("staged_repayment"),
        }

    def submission_key(self) -> str:
        """The form's key, with what it carries (files by their bytes): the same form sent again with
        other content (the back button, an edit, a corrected file of the same name and size) is another
        case, not the first one again."""
        return self.sent_key("portal", self.service_arguments())


class ReplyForm(SentOnceForm, PortalForm):
    """Sent twice (a double click, the page sent again), the same reply is sent once (SentOnceForm)."""

    body = forms.CharField(label=gettext_lazy("Your reply"), widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=20000, required=False)
    attachments = _attachments_field()

    def clean(self):
        """Text, files, or both: a client sending the scan we asked for need not write a word (the
        reply then says that files came, cases.services.messages.files_only_body); neither is refused."""
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("body") or "").strip() and not cleaned.get("attachments"):
            self.add_error("body", _("Write a reply or attach a file."))
        return cleaned

    def submission_key(self) -> str:
        """The form's key with the reply's text and files (their bytes): the same form sent again with
        other content is another reply."""
        return self.sent_key("portal", {"body": self.cleaned_data["body"],
                                        "attachments": self.cleaned_data.get("attachments") or []})


class RatingForm(PortalForm):
    score = forms.TypedChoiceField(label=gettext_lazy("Score from 1 (very unsatisfied) to 5 (very satisfied)"),
                                   choices=[(str(value), str(value)) for value in SCORES], coerce=int,
                                   widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class TransitionForm(PortalForm):
    name = forms.SlugField(max_length=48)
    comment = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2}))
    #: The resolution the page showed (Case.proposal_key): accepted or rejected from a page drawn before
    #: it was replaced by another, the client would answer one they never read (409).
    proposal_key = forms.CharField(required=False, max_length=32)


def add_service_errors(form: forms.Form, error) -> None:
    """A service's ValidationFailed on the form: each field's messages on that field, the rest on top."""
    if not error.extra:
        form.add_error(None, error.message)
    for field, problems in error.extra.items():
        for problem in problems if isinstance(problems, (list, tuple)) else [problems]:
            form.add_error(field if field in form.fields else None, str(problem))


class PreferenceForm(PortalForm):
    """The client's messages: their language, the channels they want and their quiet hours."""

    language = forms.ChoiceField(label=gettext_lazy("Language of our messages"), choices=settings.LANGUAGES)
    email_enabled = forms.BooleanField(label=gettext_lazy("E-mail"), required=False)
    sms_enabled = forms.BooleanField(label=gettext_lazy("SMS"), required=False)
    in_app_enabled = forms.BooleanField(label=gettext_lazy("Notifications on this site"), required=False)
    quiet_hours_start = forms.TimeField(label=gettext_lazy("Quiet hours from"), input_formats=["%H:%M"],
                                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    quiet_hours_end = forms.TimeField(label=gettext_lazy("until"), input_formats=["%H:%M"],
                                      widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                                      help_text=gettext_lazy("Asia/Shanghai time. The same time twice: no quiet hours."))
