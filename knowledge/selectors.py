"""Which articles a reader may see: everyone the published public ones; clients and staff also
those for clients only."""

from django.db.models import QuerySet

from knowledge.models import Article


def is_client_or_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or user.role_codes))


def articles_visible_to(user) -> QuerySet[Article]:
    articles = Article.objects.filter(is_published=True).select_related("category")
    if not is_client_or_staff(user):
        articles = articles.filter(audience=Article.Audience.PUBLIC)
    return articles
