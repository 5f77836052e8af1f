"""Fields only staff own, refused through every door a lower role can reach: a risk officer moving a
contract's maturity in the admin (an extension's four-eyes approval)."""

import datetime

import pytest
from django.utils import translation

from accounts.models import CreditAccount
from tests.factories import CreditAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def _change_form(client, account) -> dict:
    """The admin change form of `account` as its page fills it in (inlines included)."""
    response = client.get(f"/admin/accounts/creditaccount/{account.pk}/change/")
    assert response.status_code == 200
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False and not form.fields[name].disabled:
                data[form.add_prefix(name)] = value
    return data


def test_a_risk_officer_may_not_move_a_contracts_maturity_in_the_admin(client, risk_officer):
    """An extension moves the maturity only once a supervisor other than its proposer approves it;
    the credit account's admin form let one risk officer type a new maturity. It is shown, not
    editable, and a maturity sent anyway is not saved (the lines beside it still are)."""
    maturity = datetime.date(2027, 1, 1)
    account = CreditAccountFactory(contract_maturity=maturity)
    client.force_login(risk_officer)
    with translation.override("en"):
        data = _change_form(client, account)
        assert "contract_maturity" not in data
        data.update(contract_maturity="2030-12-31", warning_line="1.45")
        response = client.post(f"/admin/accounts/creditaccount/{account.pk}/change/", data)
    assert response.status_code == 302
    saved = CreditAccount.objects.get(pk=account.pk)
    assert saved.contract_maturity == maturity
    assert str(saved.warning_line) == "1.4500"
