"""The case page's forms. Django forms draw the fields and carry the errors; the input is checked
by the API's own input serializers (cases.serializers, risk.monitoring_apis), so the page and the
API accept and refuse exactly the same things; the services then check the rest."""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cases.models import Priority
from cases.serializers import CaseUpdateSerializer, MessageInputSerializer, TransitionInputSerializer
from cases.web.sent_once import SentOnceForm
from risk.models import MarginCallContact
from risk.monitoring_apis import ContactSerializer
from servicedesk.forms import LabelForm, QuickSelect

#: What the comment of a transition is, where the workflow asks for one (custom comment_required).
COMMENT_LABELS = {
    "wait_on_client": _("What we need from the client (sent to them)"),
    "resolve": _("Resolution"),
    "reopen": _("Why reopen"),
    "cancel": _("Reason for cancelling"),
    "propose_resolution": _("Proposed resolution (shown to the client once approved)"),
    "return_for_rework": _("What to rework"),
    "reject": _("The client's reasons"),
    "refer_to_mediation": _("Referral (12386 / investor services centre)"),
    "propose_approval": _("Why approve"),
    "propose_decline": _("Reasons for declining"),
    "decline": _("Reasons for declining (sent to the client)"),
    "propose_liquidation": _("Reason for forced liquidation"),
    "close": _("Closing note"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the list is checked by the API's serializer, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        return list(data) if isinstance(data, (list, tuple)) else ([data] if data else [])


def _flatten(errors) -> list[str]:
    """DRF errors (lists, or dicts by list index for list fields) as plain messages."""
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _flatten(value)]
    if isinstance(errors, (list, tuple)):
        return [message for value in errors for message in _flatten(value)]
    return [str(errors)]


class CasePageForm(LabelForm):
    """The case page's forms."""

    #: The hidden field carrying what the page showed when it was drawn (the state, the assignee),
    #: with which the write checks that nobody changed it meanwhile; None: the form carries none.
    drawn_field = None
    #: Whether a blank drawn value says something ("nobody" assigned) or was simply not sent.
    drawn_may_be_blank = False

    @staticmethod
    def drawn_value(case) -> str:
        return ""

    def changed_since_drawn(self, case) -> bool:
        """Whether `case` no longer shows what the page showed when it was drawn (someone else
        moved it meanwhile); a form that sent no such value is not checked."""
        seen = self.data.get(self.add_prefix(self.drawn_field)) if self.drawn_field else None
        if seen is None or (seen == "" and not self.drawn_may_be_blank):
            return False
        return seen != self.drawn_value(case)

    def redraw_for(self, case) -> None:
        """The posted form drawn again (what was typed and its errors kept) for the case as the refusing
        page shows it: a retry from that page is checked against it, not refused again for what the
        first page showed."""
        if self.is_bound and self.drawn_field:
            self.data = self.data.copy()
            self.data[self.add_prefix(self.drawn_field)] = self.drawn_value(case)


class ApiCheckedForm(CasePageForm):
    """A form whose input the API's serializer validates (`validated` holds its result)."""

    serializer_class = None

    def serializer_data(self):
        data = self.data.copy()
        for name in self.files:
            data.setlist(name, self.files.getlist(name))
        return data

    def clean(self):
        serializer = self.serializer_class(data=self.serializer_data())
        if serializer.is_valid():
            self.validated = dict(serializer.validated_data)
        else:
            for name, errors in serializer.errors.items():
                if name in self.errors:  # the form's own check said it already: not twice in other words
                    continue
                self.add_error(name if name in self.fields else None, _flatten(errors))
        return self.cleaned_data

    def add_service_errors(self, extra: dict) -> None:
        """A service's ValidationFailed: its field errors onto the fields (others on the form)."""
        for name, errors in (extra or {}).items():
            self.add_error(name if name in self.fields else None, _flatten(errors))


#: Steps that end, turn down or sell: their button is red, never the blue of the way forward.
GRAVE_STEPS = frozenset({"cancel", "reject", "decline", "propose_decline", "return_for_rework",
                         "propose_liquidation", "approve_liquidation", "decline_liquidation"})


class TransitionForm(ApiCheckedForm):
    serializer_class = TransitionInputSerializer
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    state = forms.CharField(widget=forms.HiddenInput, required=False)
    drawn_field = "state"
    #: The proposal the page showed (Case.proposal_key): a checker's decision on a page drawn before the
    #: proposal was returned and replaced is stale though the state is the same again.
    proposal_key = forms.CharField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def drawn_value(case) -> str:
        return case.state

    def changed_since_drawn(self, case) -> bool:
        seen = self.data.get(self.add_prefix("proposal_key"))
        return super().changed_since_drawn(case) or case.proposal_replaced(seen)

    def redraw_for(self, case) -> None:
        super().redraw_for(case)
        if self.is_bound:
            self.data[self.add_prefix("proposal_key")] = case.proposal_key

    def __init__(self, *args, transition, **kwargs):
        kwargs.setdefault("prefix", f"t-{transition.name}")
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.tone = "danger" if transition.name in GRAVE_STEPS else "primary" if transition.comment_required else ""
        if transition.comment_required:
            self.fields["comment"].label = COMMENT_LABELS.get(transition.name, _("Comment"))
            self.fields["comment"].widget.attrs["required"] = True
        else:
            del self.fields["comment"]

    def serializer_data(self):
        return {"comment": self.data.get(self.add_prefix("comment"), "")}


class MessageForm(SentOnceForm, ApiCheckedForm):
    """A reply or a note; sent twice (a double click, the page sent again), it is written once (SentOnceForm)."""

    serializer_class = MessageInputSerializer
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    visibility = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, internal: bool = False, **kwargs):
        kwargs.setdefault("prefix", "note" if internal else "reply")
        kwargs.setdefault("initial", {"visibility": "internal" if internal else "public"})
        super().__init__(*args, **kwargs)
        self.internal = internal
        self.fields["body"].label = _("Internal note (staff only)") if internal else _("Reply to the client")

    def serializer_data(self):
        data = QueryDict(mutable=True)  # the message's own fields only: the serializer refuses others
        data.setlist("body", [self.data.get(self.add_prefix("body"), "")])
        # what the page posted (its hidden field), checked by the serializer: a tampered value is
        # refused, never taken for a public reply
        data.setlist("visibility", [self.data.get("visibility") or ("internal" if self.internal else "public")])
        data.setlist("attachments", self.files.getlist(self.add_prefix("attachments")))
        return data

    def submission_key(self) -> str:
        """The form's key with what it sends (text, visibility, files by their bytes): the same form sent
        again with other content is another message."""
        return self.sent_key("console", {name: self.validated[name] for name in ("body", "visibility", "attachments")})


class PriorityForm(ApiCheckedForm):
    serializer_class = CaseUpdateSerializer
    priority = forms.CharField(label=_("Priority"), required=False, widget=QuickSelect(choices=Priority.choices))
    #: The priority the page showed: a page drawn before a colleague changed it does not overwrite theirs (409).
    drawn_priority = forms.CharField(widget=forms.HiddenInput, required=False)
    drawn_field = "drawn_priority"

    @staticmethod
    def drawn_value(case) -> str:
        return case.priority

    def serializer_data(self):
        return {"priority": self.data.get("priority", "")}


class _WorkerChoices:
    """The select's options, read from the workers' queryset only when the form is drawn."""

    def __init__(self, workers):
        self.workers = workers

    def __iter__(self):
        yield "", _("— nobody —")
        for worker in self.workers:
            yield worker.username, worker.get_full_name() or worker.username


class AssignForm(CasePageForm):
    """Assignee by username; empty unassigns (the API's CaseUpdateSerializer takes a username)."""

    assignee = forms.CharField(label=_("Assign to"), required=False, widget=QuickSelect)
    #: Whom the case was assigned to when the page was drawn ("": nobody): a page drawn before a
    #: colleague took the case does not take it from them (409), as a step checks the state.
    assigned = forms.CharField(widget=forms.HiddenInput, required=False)
    drawn_field = "assigned"
    drawn_may_be_blank = True  # "": nobody had it

    @staticmethod
    def drawn_value(case) -> str:
        return case.assignee.username if case.assignee else ""

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget.choices = _WorkerChoices(workers)

    def clean(self):
        serializer = CaseUpdateSerializer(data={"assignee": self.data.get("assignee") or None}, partial=True)
        if not serializer.is_valid():
            self.add_error("assignee", _flatten(serializer.errors.get("assignee", serializer.errors)))
        return self.cleaned_data

    def add_service_errors(self, extra: dict) -> None:
        for name, errors in (extra or {}).items():
            self.add_error("assignee" if name == "assignee" else None, _flatten(errors))


#: A call's note is a summary of the call; the call log keeps every one (append-only).
CALL_NOTE_MAX_LENGTH = MarginCallContact.NOTE_MAX_LENGTH


class CallForm(ApiCheckedForm):
    """A call to the client about a margin call (risk.services.margin_call_contact_record)."""

    serializer_class = ContactSerializer
    outcome = forms.CharField(label=_("Outcome"), required=False,
                              widget=QuickSelect(choices=MarginCallContact.Outcome.choices))
    called_at = forms.CharField(label=_("Called at (empty: now)"), required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=CALL_NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def serializer_data(self):
        data = {name: self.data.get(name, "") for name in ("outcome", "note")}
        if self.data.get("called_at"):
            data["called_at"] = self.data["called_at"]
        return data
