"""Client education (PRODUCT.md, seed item 10): bilingual articles in categories that are linked
to the case categories they help with, so the submission form can suggest them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicedesk.i18n import BilingualNameMixin


class Category(BilingualNameMixin, models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    case_categories = models.CharField(
        _("case categories"), max_length=300, blank=True,
        help_text=_("Codes of the case categories these articles help with, separated by commas "
                    "(e.g. margin, more_time, interest_fee)."))
    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=100)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["position", "code"]

    @property
    def case_category_codes(self) -> list[str]:
        """The codes, separated by commas (a Chinese one too, as the articles' keywords)."""
        return [code.strip() for code in self.case_categories.replace("，", ",").split(",") if code.strip()]

    def unknown_case_categories(self) -> str:
        """Why some of the codes are none a case is filed under through the portal (a typo, a
        category's name), or "": their articles are suggested only for cases given such a category
        through the API (which takes any), so the admin warns, not refuses."""
        from cases.categories import category_codes

        known = category_codes()
        unknown = [code for code in self.case_category_codes if code not in known]
        if not unknown:
            return ""
        return _("No case is filed under %(unknown)s on the portal (its categories: %(known)s): these articles "
                 "are suggested only for cases given such a category through the API.") % {
            "unknown": ", ".join(unknown), "known": ", ".join(known)}


class Article(models.Model):
    class Audience(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        CLIENTS = "clients", _("Clients only")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles",
                                 verbose_name=_("category"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    body_zh = models.TextField(_("text (Chinese)"))
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    keywords = models.TextField(
        _("keywords"), blank=True,
        help_text=_("Words a client might type about this, in either language, separated by commas; they make "
                    "the article a suggestion when found in what the client writes."))
    audience = models.CharField(_("audience"), max_length=8, choices=Audience.choices, default=Audience.PUBLIC)
    is_published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["category__position", "slug"]
        indexes = [models.Index(fields=["is_published", "audience"], name="article_visible_idx")]

    def __str__(self) -> str:
        return f"{self.slug} {self.title_zh}"

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_zh

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.replace("，", ",").split(",") if word.strip()]
