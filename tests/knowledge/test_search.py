"""Knowledge base: search in Chinese and English (SQLite and PostgreSQL), who sees what, and the
suggestions on the submission form."""

import pytest
from rest_framework.test import APIClient

from knowledge.models import Article
from knowledge.seed import ARTICLES, knowledge_seed

pytestmark = pytest.mark.django_db
LIST, SUGGEST = "/api/v1/knowledge/articles/", "/api/v1/knowledge/suggest/"


@pytest.fixture(autouse=True)
def seeded(db):
    knowledge_seed()


@pytest.fixture
def anonymous():
    return APIClient()


def slugs(response):
    assert response.status_code == 200, response.data
    return [row["slug"] for row in response.data["results"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("维持担保比例", "maintenance-ratio-and-lines"),
    ("平仓", "what-happens-at-liquidation"),
    ("利息", "how-interest-is-computed"),
    ("12386", "how-to-file-a-dispute"),
    ("卖券还款", "how-to-top-up-or-repay"),
    ("免打扰", "notices-and-quiet-hours"),
])
def test_search_in_chinese(anonymous, query, expected):
    found = slugs(anonymous.get(LIST, {"q": query, "lang": "zh-hans"}))
    assert found[0] == expected, found


@pytest.mark.parametrize(("query", "expected"), [
    ("interest", "how-interest-is-computed"),
    ("liquidation", "what-happens-at-liquidation"),
    ("Quiet hours", "notices-and-quiet-hours"),
    ("12386", "how-to-file-a-dispute"),
    ("top up", "how-to-top-up-or-repay"),
])
def test_search_in_english(anonymous, query, expected):
    response = anonymous.get(LIST, {"q": query, "lang": "en"})
    found = slugs(response)
    assert found[0] == expected, found
    assert all(not any("\u4e00" <= char <= "\u9fff" for char in row["title"]) for row in response.data["results"])


def test_every_term_must_match(anonymous):
    assert slugs(anonymous.get(LIST, {"q": "平仓 免打扰", "lang": "zh-hans"})) == ["notices-and-quiet-hours"]
    assert slugs(anonymous.get(LIST, {"q": "interest zebra", "lang": "en"})) == []
    assert slugs(anonymous.get(LIST, {"q": "完全无关的词", "lang": "zh-hans"})) == []



@pytest.mark.parametrize(("query", "expected"), [
    ("维持担保比例是什么", "maintenance-ratio-and-lines"),
    ("怎么还款", "how-to-top-up-or-repay"),
    ("请问融资利息怎么计算", "how-interest-is-computed"),
])
def test_a_question_in_chinese_finds_its_article(anonymous, query, expected):
    assert slugs(anonymous.get(LIST, {"q": query, "lang": "zh-hans"}))[0] == expected

def test_the_language_of_the_texts(anonymous):
    zh = anonymous.get(LIST, {"q": "利息", "lang": "zh-hans"}).data["results"][0]
    en = anonymous.get(LIST, {"q": "interest", "lang": "en"}).data["results"][0]
    assert zh["title"] == "融资利息如何计算" and zh["category_name"] == "利息与费用"
    assert en["title"] == "How interest is computed" and en["category_name"] == "Interest and fees"
    # a Chinese query finds Chinese text whatever the language asked for; texts come in that language
    assert anonymous.get(LIST, {"q": "利息", "lang": "en"}).data["results"][0]["title"] == "How interest is computed"
    # without lang: the request's language (Chinese by default, English when the browser asks)
    assert anonymous.get(LIST, {"q": "利息"}).data["results"][0]["title"] == "融资利息如何计算"
    assert anonymous.get(LIST, {"q": "interest"}, headers={"accept-language": "en"}).data["results"][0]["title"] \
        == "How interest is computed"
    assert anonymous.get(LIST, {"q": "x", "lang": "fr"}).status_code == 400


@pytest.mark.postgres(reason="stemming is PostgreSQL's full-text search")
def test_english_full_text_search_stems_words_on_postgresql(anonymous):
    assert "how-interest-is-computed" in slugs(anonymous.get(LIST, {"q": "computing interests", "lang": "en"}))
    assert slugs(anonymous.get(LIST, {"q": "liquidating", "lang": "en"}))[0] == "what-happens-at-liquidation"


def test_category_filter_and_no_query(anonymous):
    assert slugs(anonymous.get(LIST, {"category": "interest"})) == ["how-interest-is-computed"]
    assert len(slugs(anonymous.get(LIST))) == len([a for a in ARTICLES if a["audience"] == "public"])


def test_clients_only_articles_need_a_login(anonymous, client_profile, agent, api):
    public = {a["slug"] for a in ARTICLES if a["audience"] == "public"}
    assert set(slugs(anonymous.get(LIST))) == public
    assert "contract-extension-conditions" not in slugs(anonymous.get(LIST, {"q": "展期"}))
    assert anonymous.get(f"{LIST}contract-extension-conditions/").status_code == 404
    for user in (client_profile.user, agent):
        assert set(slugs(api.as_user(user).get(LIST))) == {a["slug"] for a in ARTICLES}
        assert api.as_user(user).get(f"{LIST}contract-extension-conditions/").status_code == 200
    assert slugs(api.as_user(client_profile.user).get(LIST, {"q": "展期"}))[0] == "contract-extension-conditions"


def test_unpublished_articles_are_hidden(anonymous, agent, api):
    Article.objects.filter(slug="how-interest-is-computed").update(is_published=False)
    assert "how-interest-is-computed" not in slugs(api.as_user(agent).get(LIST, {"q": "interest", "lang": "en"}))
    assert anonymous.get(f"{LIST}how-interest-is-computed/").status_code == 404


def test_an_article_in_either_language(anonymous):
    zh = anonymous.get(f"{LIST}how-to-top-up-or-repay/").data
    en = anonymous.get(f"{LIST}how-to-top-up-or-repay/", {"lang": "en"}).data
    assert "C = t·D − A" in zh["body"] and "S =（t·D − A）÷（t − 1）" in zh["body"] and zh["language"] == "zh-hans"
    assert "C = t·D − A" in en["body"] and "S = (t·D − A) ÷ (t − 1)" in en["body"] and en["language"] == "en"
    assert "margin" in en["case_categories"]


# --- suggestions on the submission form ------------------------------------------------------------

def test_suggestions_by_case_category(anonymous, client_profile, api):
    assert slugs(api.as_user(client_profile.user).get(SUGGEST, {"category": "extension"}))[0] \
        == "contract-extension-conditions"
    found = slugs(anonymous.get(SUGGEST, {"category": "interest_fee"}))
    assert found[0] == "how-interest-is-computed" and "how-to-file-a-dispute" in found
    assert set(slugs(anonymous.get(SUGGEST, {"category": "margin"}))) == {
        "maintenance-ratio-and-lines", "how-to-top-up-or-repay", "what-happens-at-liquidation"}  # public ones
    many = slugs(api.as_user(client_profile.user).get(SUGGEST, {"category": "margin", "q": "追保 平仓 利息 通知 展期 投诉"}))
    assert len(many) == 5  # at most five


def test_suggestions_by_the_text_typed(anonymous, client_profile, api):
    found = slugs(anonymous.get(SUGGEST, {"q": "我的维持担保比例为什么突然下降了？"}))
    assert found[0] == "maintenance-ratio-and-lines"
    found = slugs(api.as_user(client_profile.user).get(SUGGEST, {"q": "资金在途，能否延长追保期限？"}))
    assert found[0] == "relief-requests"
    found = slugs(anonymous.get(SUGGEST, {"q": "I never got an SMS about the margin call", "lang": "en"}))
    assert "notices-and-quiet-hours" in found[:2]
    assert slugs(anonymous.get(SUGGEST, {"q": "", "category": ""})) == []


def test_suggestions_combine_category_and_text(anonymous):
    # Filed as a fee dispute, about a forced liquidation's price: both articles, the liquidation first.
    found = slugs(anonymous.get(SUGGEST, {"category": "liquidation", "q": "强制平仓的价格不合理"}))
    assert found[0] == "what-happens-at-liquidation" and "how-to-file-a-dispute" in found
    assert anonymous.get(SUGGEST, {"category": "liquidation", "q": "平仓", "lang": "en"}).data["results"][0]["title"] \
        == "What happens at liquidation"


def test_the_seed_is_bilingual_and_runs_twice():
    assert knowledge_seed() == 0
    assert Article.objects.count() >= 8
    for article in Article.objects.all():
        assert article.title_zh and article.body_zh and article.title_en and article.body_en
        assert any("\u4e00" <= char <= "\u9fff" for char in article.title_zh)
        assert not any("\u4e00" <= char <= "\u9fff" for char in article.body_en)
