"""Fields only staff own, refused through every door a lower role can reach: a risk officer moving a
contract's maturity in the admin (an extension's four-eyes approval)."""

import datetime

import pytest
from django.utils import translation

from accounts.models import CreditAccount
from tests.admin_forms import change_form_data
from tests.factories import CreditAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def test_a_risk_officer_may_not_move_a_contracts_maturity_in_the_admin(client, risk_officer):
    """An extension moves the maturity only once a supervisor other than its proposer approves it;
    the credit account's admin form let one risk officer type a new maturity. It is shown, not
    editable, and a maturity sent anyway is not saved (the lines beside it still are)."""
    maturity = datetime.date(2027, 1, 1)
    account = CreditAccountFactory(contract_maturity=maturity)
    client.force_login(risk_officer)
    with translation.override("en"):
        page = client.get(f"/admin/accounts/creditaccount/{account.pk}/change/")
        assert page.status_code == 200
        data = change_form_data(page)
        assert "contract_maturity" not in data
        data.update(contract_maturity="2030-12-31", warning_line="1.45")
        response = client.post(f"/admin/accounts/creditaccount/{account.pk}/change/", data)
    assert response.status_code == 302
    saved = CreditAccount.objects.get(pk=account.pk)
    assert saved.contract_maturity == maturity
    assert str(saved.warning_line) == "1.4500"
