"""The admin lists with a date hierarchy facing the last year Python has a date for."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("changelist, query", [
    ("admin:cases_calendarday_changelist", "date__year=9999"),
    ("admin:axes_accesslog_changelist", "attempt_time__year=9999"),
])
def test_the_year_9999_in_a_date_hierarchy_is_a_bad_lookup_not_a_server_error(admin_client, changelist, query):
    """The hierarchy's year runs to the first day of the next one: 10000 has no date (a ValueError, 500)."""
    response = admin_client.get(f"{reverse(changelist)}?{query}")
    assert response.status_code == 302 and response.url.endswith("?e=1")  # Django's answer to a bad lookup
