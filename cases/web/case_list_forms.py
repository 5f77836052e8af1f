"""The console case list's tabs and its filter form (GET): what a user may ask the list for."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Queue, Tier, User
from accounts.roles import Role
from cases.models import CaseKind, Priority
from cases.models.workflows import WORKFLOWS
from servicedesk.forms import QuickSelect

#: Tabs every console user has, and the one only those who oversee the work have.
WORKER_TABS = (
    ("mine", _("Assigned to me")),
    ("queues", _("My queues")),
    ("unassigned", _("Unassigned")),
)
ALL_TAB = ("all", _("All cases"))
#: Roles that see the "all" tab (within their scope, which for most of them is every case).
OVERSEERS = (Role.TEAM_LEAD, Role.SUPERVISOR, Role.RISK_OFFICER, Role.AUDITOR)

#: Not a state: every state in which a case is still being worked.
ACTIVE = "active"
SORTS = (
    ("urgency", _("SLA urgency")),
    ("created", _("Newest first")),
    ("updated", _("Recently updated")),
    ("priority", _("Priority")),
)
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SLA_FILTERS = (
    ("overdue", _("Overdue only")),
    ("near_breach", _("Near breach or overdue (≥ 75 %)")),
)



#: static/js/app.js submits the form when these change.
AUTOSUBMIT_SELECT = QuickSelect(attrs={"data-autosubmit": ""})


def tabs_for(user: User) -> list[tuple[str, str]]:
    tabs = list(WORKER_TABS)
    if user.is_superuser or user.has_role(*OVERSEERS):
        tabs.append(ALL_TAB)
    return tabs


def default_tab(user: User) -> str:
    """Agents and advisors start with their own cases; those who oversee the work with all of them."""
    return tabs_for(user)[-1][0] if user.is_superuser or user.has_role(*OVERSEERS) else "mine"


def state_choices() -> list[tuple[str, str]]:
    """Every state of every workflow once (a code shared by several kinds means the same there)."""
    seen: dict[str, str] = {}
    for workflow in WORKFLOWS.values():
        for code, label in workflow.State.choices:
            seen.setdefault(code, label)
    return [("", _("Any state")), (ACTIVE, _("Not finished")), *seen.items()]


class CaseListForm(forms.Form):
    tab = forms.ChoiceField(label=_("View"), required=False, widget=QuickSelect)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *CaseKind.choices],
                             widget=QuickSelect)
    state = forms.ChoiceField(label=_("State"), required=False, widget=QuickSelect)
    priority = forms.ChoiceField(label=_("Priority"), required=False, widget=QuickSelect,
                                 choices=[("", _("Any priority")), *Priority.choices])
    tier = forms.ChoiceField(label=_("Client tier"), required=False, choices=[("", _("Any tier")), *Tier.choices],
                             widget=QuickSelect)
    # The queues read once (one plain query) for both the choices and the validation.
    queue = forms.ChoiceField(label=_("Queue"), required=False, widget=QuickSelect)
    assignee = forms.CharField(label=_("Assignee"), required=False, max_length=150,
                               help_text=_("User name, or “none” for unassigned cases."))
    account = forms.CharField(label=_("Credit account"), required=False, max_length=32)
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=[("", _("Any")), *SLA_FILTERS],
                            widget=QuickSelect)
    q = forms.CharField(label=pgettext_lazy("search field", "Search"), required=False, max_length=100,
                        help_text=_("Case number, subject or client name."))
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS, widget=AUTOSUBMIT_SELECT)
    size = forms.TypedChoiceField(label=_("Rows per page"), required=False, coerce=int, empty_value=None,
                                  choices=[(str(size), str(size)) for size in PAGE_SIZES], widget=AUTOSUBMIT_SELECT)
    after = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, data, *, user: User):
        # What is not asked for is the default, and the form shows it selected.
        data = data.copy()
        for name, default in (("tab", default_tab(user)), ("sort", "urgency"), ("size", str(DEFAULT_PAGE_SIZE))):
            if not data.get(name):
                data[name] = default
        super().__init__(data)
        self.user = user
        self.fields["tab"].choices = tabs_for(user)
        self.fields["state"].choices = state_choices()
        self.queues = {queue.code: queue for queue in Queue.objects.only("id", "code", "name", "name_en")}
        self.fields["queue"].choices = [("", _("Any queue")), *(
            (code, queue.localized_name) for code, queue in self.queues.items())]  # the name, not the code

    def clean_queue(self) -> Queue | None:
        return self.queues.get(self.cleaned_data["queue"])

    def clean_tab(self) -> str:
        return self.cleaned_data["tab"] or default_tab(self.user)

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or "urgency"

    def clean_size(self) -> int:
        return self.cleaned_data["size"] or DEFAULT_PAGE_SIZE

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()

    def clean_account(self) -> str:
        return self.cleaned_data["account"].strip()

    def clean_assignee(self):
        """None: any assignee; "none": unassigned cases; otherwise the user with that name."""
        name = self.cleaned_data["assignee"].strip()
        if not name:
            return None
        if name.lower() == "none":
            return "none"
        assignee = User.objects.filter(username=name).only("pk", "username").first()
        if assignee is None:
            raise forms.ValidationError(_("No user is called “%(name)s”."), code="unknown", params={"name": name})
        return assignee

    def clean(self):
        data = super().clean()
        if data.get("after") and data.get("before"):
            raise forms.ValidationError(_("Ask for the page after or the page before, not both."), code="cursor")
        return data

    def error_summary(self) -> list[str]:
        """Every error with the label of its field, for the message above the list."""
        lines = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields and self.fields[name].label else None
            for error in errors:
                lines.append(_("%(label)s: %(error)s") % {"label": label, "error": error} if label else str(error))
        return lines
