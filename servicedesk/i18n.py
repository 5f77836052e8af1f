"""Small helpers for the site's two languages: their codes, and bilingual data (a Chinese `name`
and an English `name_en`)."""

from django.conf import settings
from django.utils.translation import get_language


def language_codes() -> list[str]:
    """The codes of the languages the site speaks (settings.LANGUAGES), in their order."""
    return [code for code, _name in settings.LANGUAGES]


def spoken_language(code: str | None) -> str:
    """`code` when the site speaks it, else the site's language (LANGUAGE_CODE)."""
    return code if code in language_codes() else settings.LANGUAGE_CODE


class BilingualNameMixin:
    """For models with `name` (Chinese) and `name_en`: shown in the active language."""

    @property
    def localized_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    def __str__(self) -> str:
        return self.localized_name
