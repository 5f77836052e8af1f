"""Knowledge categories as a supervisor links them to case categories in the admin."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from knowledge.models import Article, Category

pytestmark = pytest.mark.django_db
SUGGEST = "/api/v1/knowledge/suggest/"


def category_form(**fields) -> dict:
    return {"code": "ipo", "name": "新股", "name_en": "New shares", "case_categories": "trading",
            "position": "10", **fields}


def test_a_chinese_comma_between_case_categories_links_both(admin):
    response = admin.post(reverse("admin:knowledge_category_add"),
                           category_form(case_categories="fees，technical"))
    assert response.status_code == 302
    category = Category.objects.get(code="ipo")
    Article.objects.create(slug="ipo-fees", category=category, title_zh="新股费用", body_zh="……",
                           title_en="IPO fees", body_en="...")
    for case_category in ("fees", "technical"):  # "fees，technical" had been one code, matching no case
        rows = APIClient().get(SUGGEST, {"category": case_category}).data["results"]
        assert [row["slug"] for row in rows] == ["ipo-fees"], case_category


@pytest.mark.parametrize("typed", ["fee", "trading, 费用问题", "Fees"])
def test_the_admin_warns_of_a_case_category_no_portal_case_is_filed_under(admin, typed):
    """Saved (the API takes any category) but said: its articles were never suggested, silently."""
    from django.contrib.messages import get_messages

    response = admin.post(reverse("admin:knowledge_category_add"), category_form(case_categories=typed),
                           follow=True)
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    unknown = typed.split(",")[-1].strip()  # "trading" is a code; the other is not
    assert any(unknown in text and "interest_fee" in text for text in warnings), warnings
    assert Category.objects.filter(code="ipo").exists()
    response = admin.post(reverse("admin:knowledge_category_add"),
                           category_form(code="ipo2", case_categories="fees，technical"), follow=True)
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
