"""Knowledge base API (no login needed; a client or member of staff also sees the articles for
clients only):
- `GET /api/v1/knowledge/articles/?q=&category=&lang=`: search (knowledge.search), at most 50;
- `GET /api/v1/knowledge/articles/{slug}/`: one article;
- `GET /api/v1/knowledge/suggest/?category=<case category>&q=<text typed>&lang=`: up to 5.
Texts come in `lang` (zh-hans or en; default the request's language)."""

from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge import search
from knowledge.selectors import articles_visible_to

MAX_RESULTS = 50
LANG = OpenApiParameter("lang", str, enum=["zh-hans", "en"], description="Language of the texts returned")


def summary_of(text: str, length: int = 160) -> str:
    first = text.strip().split("\n\n", 1)[0].replace("\n", " ")
    return first if len(first) <= length else first[: length - 1].rstrip() + "…"


def article_rows(articles, language: str) -> list[dict]:
    """What the web pages list of each article: slug, title and summary in `language`."""
    return [{"slug": article.slug, "title": article.title(language), "summary": summary_of(article.body(language))}
            for article in articles]


class ArticleListSerializer(serializers.Serializer):
    slug = serializers.CharField()
    category = serializers.CharField(source="category.code")
    category_name = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    audience = serializers.CharField()
    updated_at = serializers.DateTimeField()

    def _language(self) -> str:
        return self.context["language"]

    def get_category_name(self, article) -> str:
        return article.category.name_en if self._language() == "en" else article.category.name

    def get_title(self, article) -> str:
        return article.title(self._language())

    def get_summary(self, article) -> str:
        return summary_of(article.body(self._language()))


class ArticleSerializer(ArticleListSerializer):
    body = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
    case_categories = serializers.ListField(source="category.case_category_codes", child=serializers.CharField())

    def get_body(self, article) -> str:
        return article.body(self._language())

    def get_language(self, article) -> str:
        return "en" if self._language() == "en" else "zh-hans"


class KnowledgeQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    lang = serializers.CharField(required=False, allow_blank=True, default="", max_length=16)

    def validate_lang(self, value):
        if value and not value.lower().startswith(("en", "zh")):
            raise serializers.ValidationError(_("Use zh-hans or en."))
        return value


def _results(name: str):
    """The shape of a list answer: {"results": [...]}."""
    return inline_serializer(name, fields={"results": ArticleListSerializer(many=True)})


def _query(request) -> dict:
    query = KnowledgeQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = dict(query.validated_data)
    data["language"] = search.language_of(data["lang"] or get_language())
    return data


class ArticleListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("q", str), OpenApiParameter("category", str), LANG],
                   responses=_results("ArticleResults"), operation_id="v1_knowledge_articles_list")
    def get(self, request):
        query = _query(request)
        articles = articles_visible_to(request.user)
        if query["category"]:
            articles = articles.filter(category__code=query["category"])
        articles = search.search(articles, query["q"], query["language"])[:MAX_RESULTS]
        data = ArticleListSerializer(articles, many=True, context={"language": query["language"]}).data
        return Response({"results": data})


class ArticleDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[LANG], responses=ArticleSerializer)
    def get(self, request, slug: str):
        query = _query(request)
        article = articles_visible_to(request.user).filter(slug=slug).first()
        if article is None:
            raise Http404
        return Response(ArticleSerializer(article, context={"language": query["language"]}).data)


class SuggestApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("category", str, description="The case category chosen"),
                               OpenApiParameter("q", str, description="The text typed so far"), LANG],
                   responses=_results("ArticleSuggestions"))
    def get(self, request):
        query = _query(request)
        articles = search.suggest(articles_visible_to(request.user), case_category=query["category"], text=query["q"])
        data = ArticleListSerializer(articles, many=True, context={"language": query["language"]}).data
        return Response({"results": data})
