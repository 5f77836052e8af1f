"""The categories a client chooses from when submitting a case, per kind (PRODUCT.md "Case kinds").
The codes are what routing rules and knowledge categories (knowledge.Category.case_categories)
refer to; the demo data uses the same ones. An extension request has no choice: its category is
"extension". Margin calls are opened by the monitoring with the category "margin"."""

from django.utils.translation import gettext_lazy as _

from cases.models import CaseKind
from cases.models.request_conditions import STAGED_REPAYMENT

EXTENSION = "extension"

CATEGORIES = {
    CaseKind.TICKET: [
        ("account", _("Account management")),
        ("trading", _("Trading questions")),
        ("fees", _("Fee questions")),
        ("technical", _("Technical problems")),
    ],
    CaseKind.DISPUTE: [
        ("interest_fee", _("Interest or fee calculation")),
        ("liquidation", _("Forced liquidation timing or price")),
        ("notice", _("A notice not received")),
        ("extension_refused", _("Extension refused")),
        ("haircut", _("Haircut or eligibility change")),
    ],
    CaseKind.RELIEF: [
        ("more_time", _("More time to top up")),
        (STAGED_REPAYMENT, _("Staged repayment")),
    ],
}

_LABELS = {code: label for choices in CATEGORIES.values() for code, label in choices}
_LABELS[EXTENSION] = _("Contract extension")
_LABELS["margin"] = _("Margin call")


def category_codes(kind: str = "") -> list[str]:
    """The category codes a case of `kind` is filed under (of any kind when empty), as routing rules
    and knowledge categories must name them: a code no case carries matches nothing."""
    by_kind = {**{k: [code for code, _label in choices] for k, choices in CATEGORIES.items()},
               CaseKind.EXTENSION: [EXTENSION], CaseKind.MARGIN_CALL: ["margin"]}
    return by_kind.get(kind, []) if kind else [code for codes in by_kind.values() for code in codes]


def category_label(code: str) -> str:
    """The category's name in the active language (the code itself if it is not one of ours)."""
    return str(_LABELS.get(code, code))
