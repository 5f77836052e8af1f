"""The knowledge base as a client reads it: the portal speaks Chinese by default, and some type English."""

import pytest
from rest_framework.test import APIClient

from knowledge.seed import knowledge_seed

pytestmark = pytest.mark.django_db
LIST = "/api/v1/knowledge/articles/"


@pytest.fixture(autouse=True)
def seeded(db):
    knowledge_seed()


@pytest.mark.parametrize(("query", "expected"), [
    ("What is the maintenance collateral ratio?", "maintenance-ratio-and-lines"),
    ("how interest is computed", "how-interest-is-computed"),
])
def test_english_typed_on_a_chinese_page_finds_the_article_in_chinese(query, expected):
    """A question in English on the zh-hans portal found nothing: only the Chinese texts were searched."""
    response = APIClient().get(LIST, {"q": query, "lang": "zh-hans"})
    assert response.status_code == 200
    rows = response.data["results"]
    assert rows and rows[0]["slug"] == expected, rows
    assert any("\u4e00" <= character <= "\u9fff" for character in rows[0]["title"])  # shown in Chinese
