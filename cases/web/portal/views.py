"""The portal's home page, the list of the client's cases, and the knowledge base."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.categories import category_label
from cases.web.portal import reads
from cases.web.portal.access import client_page
from cases.web.portal.forms import PreferenceForm
from cases.web.portal.plain import case_status
from knowledge import search
from knowledge.apis import article_rows
from knowledge.selectors import articles_visible_to

HOME_CASES = 20
PAGE_SIZE = 25
MAX_KNOWLEDGE_RESULTS = 50


def case_rows(cases) -> list[dict]:
    return [{"case": case, "status": case_status(case), "category": category_label(case.category)}
            for case in cases]


@require_GET
@client_page
def home(request: HttpRequest) -> HttpResponse:
    open_cases = list(reads.open_cases(request.user)[:HOME_CASES + 1])
    return render(request, "portal/home.html", {
        "client": request.client,
        "accounts": reads.account_statuses(request.user),
        "cases": case_rows(open_cases[:HOME_CASES]),
        "more_cases": len(open_cases) > HOME_CASES,
    })


@require_GET
@client_page
def case_list(request: HttpRequest) -> HttpResponse:
    """Newest first, PAGE_SIZE at a time: "older" continues below the last id shown (no COUNT)."""
    cases = reads.client_cases(request.user)
    before = request.GET.get("before", "")
    if before:
        if not (before.isascii() and before.isdigit() and len(before) <= 18):
            raise Http404
        cases = cases.filter(id__lt=int(before))
    page = list(cases[:PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return render(request, "portal/cases.html", {
        "cases": case_rows(page), "older": page[-1].pk if has_more else None, "paged": bool(before),
    })


def _text(request: HttpRequest, name: str, limit: int) -> str:
    """A query parameter as search text: at most `limit` characters, no NUL (PostgreSQL refuses it)."""
    return request.GET.get(name, "")[:limit].replace("\x00", "")


def _language() -> str:
    return search.language_of(get_language())


@require_GET
@client_page
def suggest(request: HttpRequest) -> HttpResponse:
    """The submission form's suggestions (htmx): up to 5 articles about the subject and the
    description typed so far and the category chosen, in the page's language (knowledge.search.suggest)."""
    typed = f"{_text(request, 'subject', 200)}\n{_text(request, 'description', 2000)}"
    category = _text(request, "category", 32)
    articles = search.suggest(articles_visible_to(request.user), case_category=category, text=typed)
    return render(request, "portal/_suggestions.html", {"articles": article_rows(articles, _language())})


@require_GET
@client_page
def knowledge(request: HttpRequest) -> HttpResponse:
    query = _text(request, "q", 200)
    language = _language()
    articles = search.search(articles_visible_to(request.user), query, language)[:MAX_KNOWLEDGE_RESULTS]
    return render(request, "portal/knowledge.html", {"query": query, "articles": article_rows(articles, language)})


@require_GET
@client_page
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = articles_visible_to(request.user).filter(slug=slug).first()
    if found is None:
        raise Http404
    language = _language()
    return render(request, "portal/article.html", {
        "article": found, "title": found.title(language), "body": found.body(language),
        "category": found.category.name_en if language == "en" else found.category.name,
    })


@require_http_methods(["GET", "POST"])
@client_page
def preferences(request: HttpRequest) -> HttpResponse:
    """How the client wants to hear from us: language, channels, quiet hours. Margin calls,
    close-out alerts and regulatory notices reach them whatever they choose here."""
    from notifications.policy import preference_of
    from notifications.services import PREFERENCE_FIELDS, client_preference_update

    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            client_preference_update(client=request.client, **form.cleaned_data)
            messages.success(request, _("Your message settings are saved."))
            return redirect("portal:preferences")
        status = 400
    else:
        preference = preference_of(request.client.pk)
        form = PreferenceForm(initial={"language": request.client.language,
                                       **{name: getattr(preference, name) for name in PREFERENCE_FIELDS}})
    return render(request, "portal/preferences.html", {"form": form}, status=status)
