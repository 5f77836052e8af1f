"""`/rate/<token>/`: the page the rating link opens (no login), in the client's language unless
the visitor chose another with the page's language switch; it posts to the same service as the API
(cases.services.ratings)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from cases.models import SatisfactionRating
from cases.models.ratings import SCORES
from cases.services.client_notices import client_language
from cases.services.ratings import (
    AlreadyRated,
    NotResolved,
    RatingLinkExpired,
    RatingLinkInvalid,
    case_for_rating,
    rating_submit,
)
from servicedesk.errors import ValidationFailed

TEMPLATE = "ratings/rate.html"


def _page_language(request: HttpRequest, case) -> str:
    """The language chosen with the switch (its cookie), else the client's."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return translation.get_language()
    return client_language(case.client)


@require_http_methods(["GET", "POST"])
def rate_case(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case = case_for_rating(token)
    except RatingLinkExpired:
        return render(request, TEMPLATE, {"page": "expired"}, status=410)
    except RatingLinkInvalid:
        return render(request, TEMPLATE, {"page": "invalid"}, status=404)

    with translation.override(_page_language(request, case)):
        context = {"page": "form", "case": case, "scores": SCORES, "score": None, "comment": "", "errors": {}}
        status = 200
        if SatisfactionRating.objects.filter(case=case).exists():
            context["page"] = "rated"
        elif case.resolved_at is None:  # reopened since the link was sent
            context["page"], status = "not_resolved", 409
        elif request.method == "POST":
            context.update(score=request.POST.get("score"), comment=request.POST.get("comment", ""))
            try:
                rating_submit(token=token, score=context["score"], comment=context["comment"])
                context["page"] = "thanks"
            except AlreadyRated:
                context["page"] = "rated"
            except NotResolved:
                context["page"], status = "not_resolved", 409
            except ValidationFailed as error:
                context["errors"], status = error.extra, 400
        return render(request, TEMPLATE, context, status=status)
