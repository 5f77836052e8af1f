"""Small helpers for bilingual data (a Chinese `name` and an English `name_en`)."""

from django.utils.translation import get_language


class BilingualNameMixin:
    """For models with `name` (Chinese) and `name_en`: shown in the active language."""

    @property
    def localized_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    def __str__(self) -> str:
        return self.localized_name
