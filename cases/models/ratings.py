"""Satisfaction (CSAT): one rating per resolved case, given through a signed link without logging in."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SCORES = range(1, 6)
#: A score at or above this counts as satisfied in the reports.
SATISFIED_FROM = 4


class SatisfactionRating(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="rating",
                                verbose_name=_("case"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5),
                                              name="rating_score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.score}"
