"""An account number is part of the addresses of the account's pages and API
(/api/v1/accounts/<no>/, /console/accounts/<no>/, /portal/accounts/<no>/): one with other characters
could never be opened, and the pages linking to it failed. The import refuses it
(tests/accounts/test_imports.py), and so does the admin."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from accounts.models import CreditAccount

pytestmark = pytest.mark.django_db


def admin_add_form(supervisor, account_no, client_profile):
    admin = site._registry[CreditAccount]
    request = RequestFactory().get("/")
    request.user = supervisor
    form_class = admin.get_form(request, obj=None)
    return form_class(data={
        "account_no": account_no, "client": client_profile.pk, "contract_no": "HT9", "contract_start": "2026-06-01",
        "contract_maturity": "2026-12-01", "credit_limit": "100000.00", "cash": "0.00", "other_collateral": "0.00",
        "financing_debt": "0.00", "interest_fees": "0.00", "annual_rate": "0.08350", "penalty_rate": "0.00",
    })


@pytest.mark.parametrize("account_no", ["A 1", "信用001", "A/1", "A?1"])
def test_the_admin_refuses_an_account_number_no_page_could_open(supervisor, client_profile, account_no):
    form = admin_add_form(supervisor, account_no, client_profile)

    assert not form.is_valid()
    assert "account_no" in form.errors


def test_the_admin_accepts_the_core_systems_numbers(supervisor, client_profile):
    form = admin_add_form(supervisor, "A-1.2_x", client_profile)

    assert "account_no" not in form.errors, form.errors
