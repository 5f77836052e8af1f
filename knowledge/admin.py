"""Supervisors edit the knowledge base (their role holds the knowledge permissions)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from knowledge.models import Article, Category
from servicedesk.admin import ModelAdmin


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["code", "name", "name_en", "case_categories", "position"]
    list_editable = ["position"]
    search_fields = ["code", "name", "name_en"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if warning := obj.unknown_case_categories():
            messages.warning(request, warning)


@admin.register(Article)
class ArticleAdmin(ModelAdmin):
    list_display = ["slug", "title_zh", "title_en", "category", "audience", "is_published", "updated_at"]
    list_filter = ["category", "audience", "is_published"]
    search_fields = ["slug", "title_zh", "title_en", "keywords"]
    list_select_related = ["category"]
    prepopulated_fields = {"slug": ["title_en"]}
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", "category", "audience", "is_published", "keywords"]}),
        (_("Chinese"), {"fields": ["title_zh", "body_zh"]}),
        (_("English"), {"fields": ["title_en", "body_en"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]
