"""Finding articles: the search box (`search`) and the suggestions on the submission form (`suggest`).

Search looks in the requested language's title, text and the keywords; a query in Chinese
characters is looked up in the Chinese text whatever the language (English text never holds it).
- English on PostgreSQL: full-text search (django.contrib.postgres.search, the 'english'
  configuration: "liquidated" finds "liquidation"), ranked by SearchRank with the title weighted
  above the text, or'd with a plain substring match of every word (numbers such as 12386 and
  T+2 are not words to the parser).
- Chinese, anywhere: PostgreSQL's parsers do not split Chinese into words (the 'simple'
  configuration takes a whole run of characters as one token), so every term of the query must
  occur in the title, text or keywords (icontains); a term in the title or keywords ranks higher.
  We chose this over pg_trgm: no extension to install (CREATE EXTENSION needs a superuser), the
  same results on SQLite, and the knowledge base holds tens to hundreds of articles, which a
  sequential scan reads in a millisecond. A segmenter (zhparser, jieba) is the way to grow.
- SQLite: substring matching as for Chinese, in either language.
- A query without Chinese characters that finds nothing in the Chinese texts (English typed on a
  Chinese page: "extension", "How do I repay?") is looked up in the English texts.
- A Chinese query written as a question finds nothing that way ("维持担保比例是什么", "怎么还款": no
  article holds the whole phrase). When every-term matching finds nothing, the question words are
  left out and the articles holding at least half of the query's pairs of neighbouring characters
  are found instead (bigrams, as CJK analysers index), the most pairs first.

Suggestions score each visible article: its category is linked to the case category chosen (+3),
each of its keywords found in the text typed (+2), each longer word of the text in its title (+1).
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from knowledge.models import Article

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPLIT = re.compile(r"[\s,，。、;；:：!！?？()（）\"“”'‘’]+")
MAX_TERMS = 8
MAX_PAIRS = 16
#: What a question asks with, not what it is about: 维持担保比例是什么 → 维持担保比例, 怎么还款 → 还款.
_QUESTION_WORDS = re.compile(r"请问|什么是|是什么|为什么|为何|什么|怎么办|怎么样|怎么|怎样|如何|多少|哪些|哪里|"
                             r"能否|是否|可以|吗|呢|吧|我的|我们|我|您|你")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
SUGGESTIONS = 5
_STOPWORDS = frozenset("about after again also been does from have into more much that than them then there "
                       "these they this what when where which while will with would your".split())


def language_of(code: str | None) -> str:
    """'en' or 'zh' from a language code (zh-hans, zh, en, en-us…)."""
    return "en" if (code or "").lower().startswith("en") else "zh"


def terms_of(query: str) -> list[str]:
    return [term for term in _SPLIT.split(query or "") if term][:MAX_TERMS]


def _fields(language: str) -> tuple[str, str]:
    return ("title_en", "body_en") if language == "en" else ("title_zh", "body_zh")


def _every_term_in(terms: list[str], fields: tuple[str, ...]) -> Q:
    condition = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        condition &= any_field
    return condition


def _title_weight(terms: list[str], title: str):
    """2 per term in the title, 1 per term in the keywords."""
    weight = Value(0)
    for term in terms:
        weight = weight + Case(When(**{f"{title}__icontains": term}, then=Value(2)), default=Value(0),
                               output_field=IntegerField())
        weight = weight + Case(When(keywords__icontains=term, then=Value(1)), default=Value(0),
                               output_field=IntegerField())
    return weight


def search(articles: QuerySet[Article], query: str, language: str) -> QuerySet[Article]:
    """`articles` matching `query`, the most relevant first (annotated `relevance`)."""
    terms = terms_of(query)
    if not terms:
        return articles.annotate(relevance=Value(0.0, output_field=FloatField()))
    fields_language = "zh" if CJK.search(query) else language
    title, body = _fields(fields_language)
    matches = _every_term_in(terms, (title, body, "keywords"))
    relevance = Cast(_title_weight(terms, title), FloatField())
    if connection.vendor == "postgresql" and fields_language == "en":
        vector = (SearchVector("title_en", weight="A", config="english")
                  + SearchVector("keywords", weight="A", config="english")
                  + SearchVector("body_en", weight="B", config="english"))
        text_query = SearchQuery(query, config="english", search_type="websearch")
        articles = articles.annotate(document=vector)
        matches |= Q(document=text_query)
        relevance = relevance + SearchRank(vector, text_query) * Value(10.0)
    found = (articles.filter(matches).annotate(relevance=relevance)
             .order_by(F("relevance").desc(), "category__position", "slug"))
    if fields_language == "zh" and not found.exists():
        if not CJK.search(query):  # English typed on a Chinese page ("How do I repay?"): the English texts
            return search(articles, query, "en")
        return _by_character_pairs(articles, query)
    return found


def character_pairs(query: str) -> list[str]:
    """The pairs of neighbouring Chinese characters in `query`, its question words left out."""
    pairs = []
    for run in _CJK_RUN.findall(_QUESTION_WORDS.sub(" ", query)):
        pairs += [run[start:start + 2] for start in range(len(run) - 1)]
    return list(dict.fromkeys(pairs))[:MAX_PAIRS]


def _by_character_pairs(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Articles holding at least half of the query's character pairs, the most first."""
    pairs = character_pairs(query)
    if not pairs:
        return articles.none().annotate(relevance=Value(0.0, output_field=FloatField()))
    hits = Value(0)
    for pair in pairs:
        held = Q(title_zh__icontains=pair) | Q(body_zh__icontains=pair) | Q(keywords__icontains=pair)
        hits = hits + Case(When(held, then=Value(1)), default=Value(0), output_field=IntegerField())
    relevance = Cast(hits * Value(2) + _title_weight(pairs, "title_zh"), FloatField())
    return (articles.annotate(pairs_held=hits, relevance=relevance).filter(pairs_held__gte=(len(pairs) + 1) // 2)
            .order_by(F("relevance").desc(), "category__position", "slug"))


def suggest(articles: QuerySet[Article], *, case_category: str = "", text: str = "",
            limit: int = SUGGESTIONS) -> list[Article]:
    """Up to `limit` articles for a case being written: in the category chosen, about the text typed."""
    case_category, text = (case_category or "").strip(), (text or "").strip().lower()
    if not case_category and not text:
        return []
    words = {word for word in re.findall(r"[a-z][a-z0-9+]{3,}", text) if word not in _STOPWORDS}
    scored = []
    for article in articles.select_related("category"):
        score = 3 if case_category and case_category in article.category.case_category_codes else 0
        score += 2 * sum(1 for keyword in article.keyword_list if keyword.lower() in text)
        title = f"{article.title_en} {article.title_zh}".lower()
        score += sum(1 for word in words if word in title)
        if score:
            scored.append((-score, article.category.position, article.slug, article))
    return [row[-1] for row in sorted(scored, key=lambda row: row[:3])[:limit]]
