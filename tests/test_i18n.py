"""The Simplified Chinese catalogue is complete, compiled, and actually used."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import CreditAccount, Tier
from accounts.roles import Role
from cases.models import CaseKind

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


def _parse_po(path):
    """Entries of a .po file as dicts: msgid, msgstr (or msgstr[n]), flags, obsolete. No polib needed."""
    entries, current, key = [], None, None

    def flush():
        if current is not None and "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            current, key = None, None
            continue
        if current is None:
            current = {"flags": set(), "obsolete": False}
        if line.startswith("#~"):
            current["obsolete"] = True
            continue
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            current[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        current[key] = ast.literal_eval(value)
    flush()
    return entries


@pytest.fixture(scope="module")
def po_entries():
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run makemessages -l zh_Hans"
    return _parse_po(PO_FILE)


def _messages(entries):
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


def test_catalogue_has_no_untranslated_or_fuzzy_entries(po_entries):
    messages = _messages(po_entries)
    assert len(messages) > 400
    untranslated = [e["msgid"] for e in messages
                    if not all(v.strip() for k, v in e.items() if k.startswith("msgstr"))]
    fuzzy = [e["msgid"] for e in po_entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_are_kept(po_entries):
    for e in _messages(po_entries):
        for k, v in e.items():
            if k.startswith("msgstr"):
                assert sorted(_PLACEHOLDER.findall(e["msgid"])) == sorted(_PLACEHOLDER.findall(v)), e["msgid"]


def test_sort_order_and_holdings_are_told_apart():
    from accounts.models import Position, RoutingRule
    from cases.models import SlaPolicy

    with translation.override("zh-hans"):
        assert str(RoutingRule._meta.get_field("position").verbose_name) == "排序"
        assert str(SlaPolicy._meta.get_field("position").verbose_name) == "排序"
        assert str(Position._meta.verbose_name) == "持仓"


def test_compiled_catalogue_matches_the_po(po_entries):
    assert MO_FILE.exists(), f"{MO_FILE} is missing: run compilemessages -l zh_Hans"
    with MO_FILE.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    def compiled(entry):
        if "msgctxt" in entry:
            return mo.pgettext(entry["msgctxt"], entry["msgid"])
        return mo.gettext(entry["msgid"])

    stale = [e["msgid"] for e in _messages(po_entries) if "msgstr" in e and compiled(e) != e["msgstr"]]
    assert stale == [], "django.mo is out of date: run compilemessages -l zh_Hans"


def test_models_and_choices_render_in_chinese():
    with translation.override("zh-hans"):
        assert str(CaseKind.MARGIN_CALL.label) == "追保"
        assert str(CaseKind.DISPUTE.label) == "争议/投诉"
        assert str(CreditAccount._meta.verbose_name) == "信用账户"
        assert str(CreditAccount._meta.get_field("close_out_line").verbose_name) == "平仓线"
        assert str(CreditAccount._meta.get_field("financing_debt").verbose_name) == "融资负债"
        assert str(Tier.HNW.label) == "高净值"
        assert str(Role.RISK_OFFICER.label) == "风控专员"


def test_models_and_choices_render_in_english():
    with translation.override("en"):
        assert str(CaseKind.MARGIN_CALL.label) == "Margin call"
        assert str(CaseKind.DISPUTE.label) == "Dispute / complaint"
        assert str(CreditAccount._meta.verbose_name) == "credit account"
        assert str(CreditAccount._meta.get_field("close_out_line").verbose_name) == "close-out line"
        assert str(Tier.HNW.label) == "High net worth"
        assert str(Role.RISK_OFFICER.label) == "Risk officer"


@pytest.mark.django_db
def test_the_admin_home_is_chinese_where_djangos_own_catalogue_is_not(client):
    """Django 5.2's zh_Hans catalogue lacks the headings of the admin's model tables (and the
    refusal of a short password: accounts/passwords.py): the project's catalogue has them."""
    from tests.factories import UserFactory

    supervisor = UserFactory(username="supervisor9", roles=[Role.SUPERVISOR], is_staff=True)
    client.force_login(supervisor)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "模型名称" in page and "Model name" not in page
    assert "Change or view list link" not in page


def test_a_nul_character_is_refused_in_chinese_that_reads():
    """Django's own Chinese for "Null characters are not allowed." is garbled (不允许是用空字符串, "empty string");
    a pasted NUL is refused on every form in the project's wording."""
    from django import forms

    with translation.override("zh-hans"), pytest.raises(forms.ValidationError) as refused:
        forms.CharField().clean("text\x00")
    assert refused.value.messages == ["不允许包含空字符（NUL）。"]


def test_the_login_attempts_admin_speaks_chinese(admin_client):
    """django-axes has no Chinese: its lists read "Access attempts", "IP Address", … on Chinese pages."""
    from django.urls import reverse

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert "登录尝试" in page and "Access attempts" not in page
