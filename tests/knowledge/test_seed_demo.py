"""seed_demo ships a useful knowledge base in both languages, and supervisors edit it."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_seed_demo_leaves_a_bilingual_knowledge_base(client):
    call_command("seed_demo", stdout=io.StringIO())
    assert Article.objects.filter(is_published=True).count() >= 8
    assert not Article.objects.filter(title_en="").exists() and not Article.objects.filter(body_zh="").exists()
    client.force_login(User.objects.get(username="supervisor"))
    assert client.get(reverse("admin:knowledge_article_changelist")).status_code == 200
    article = Article.objects.get(slug="how-interest-is-computed")
    assert client.get(reverse("admin:knowledge_article_change", args=[article.pk])).status_code == 200
    client.force_login(User.objects.get(username="agent"))
    assert client.get(reverse("admin:knowledge_article_changelist")).status_code in (302, 403)
