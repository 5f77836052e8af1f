"""The risk forecast page: accounts by the probability of falling below their warning line within
N trading days (risk.forecast, the model and the scope of GET /api/v1/risk/forecast/).

The forecast is computed on each request (about 0.5 ms per account screened out, 11 ms per
account simulated), so the page assesses the accounts whose latest valuation (AccountRisk) is
below a ratio the officer chooses (200 % by default) and not below their warning line already
(unless asked: the tile of those already below counts them either way, by their latest level), at
most MAX_ASSESSED of them, lowest ratio first; the page says when that cap left accounts out. The
whole book, unscoped, is the API's (README, "Risk forecast": a periodic task that stores the
results is the way to go further)."""

import math
from decimal import Decimal

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.selectors import credit_accounts_visible_to
from risk import forecast
from risk.models import AccountRisk, Level
from risk.web.access import risk_reader_required
from risk.web.forms import DEFAULT_FORECAST_BELOW, ForecastForm
from risk.web.pages import FORECAST_FLAGS, risk_context, thin_history_label

PAGE_SIZE = 50
MAX_ASSESSED = 2_000
#: Already below the warning line at the latest valuation: left out unless asked for.
BREACHED_LEVELS = (Level.WARNING, Level.CLOSE_OUT, Level.IMMEDIATE)
HUNDRED = Decimal(100)
LIKELY = Decimal("0.5")


def _parameters(days: int, stress_points: Decimal) -> dict:
    annual_default = Decimal(repr(float(forecast.DEFAULT_DAILY_VOLATILITY * math.sqrt(forecast.TRADING_DAYS_PER_YEAR))))
    return {
        "days": days,
        "paths": forecast.PATHS,
        "lookback": forecast.LOOKBACK_RETURNS,
        "min_returns": forecast.MIN_RETURNS,
        "default_volatility": (annual_default * HUNDRED).quantize(Decimal("1")),
        "screen_sigmas": forecast.SCREEN_SIGMAS,
        "stress_points": stress_points.quantize(Decimal("0.01")),  # "0.00" as the API and the stress mode write it
        "default_warning_line": Decimal(settings.MARGIN_DEFAULT_LINES["warning"]) * HUNDRED + stress_points,
        "seed": forecast.SEED,
    }


@require_GET
@risk_reader_required
def forecast_page(request):
    query = request.GET.copy()  # the defaults shown in the form's fields
    query.setdefault("days", str(forecast.DEFAULT_DAYS))
    query.setdefault("below", str(DEFAULT_FORECAST_BELOW))
    form = ForecastForm(query)
    context = risk_context(request, "forecast", form=form)
    if not form.is_valid():
        # The model's facts still describe the screening (the defaults where a field was refused),
        # not "ratio below  % …, at most  ," with the numbers missing.
        valid = {name: form.cleaned_data.get(name) for name in ("below", "include_breached")}
        context.update(parameters=_parameters(forecast.DEFAULT_DAYS, context["stress_points"]),
                       below=valid["below"] or DEFAULT_FORECAST_BELOW, max_assessed=MAX_ASSESSED,
                       include_breached=bool(valid["include_breached"]))
        return render(request, "risk_pages/forecast.html", context, status=400)
    days = form.cleaned_data["days"] or forecast.DEFAULT_DAYS
    below = form.cleaned_data["below"] or DEFAULT_FORECAST_BELOW
    include_breached = form.cleaned_data["include_breached"]
    page = form.cleaned_data["page"] or 1
    # The lowest ratios first, one more than the cap to know whether it left some out.
    scope = AccountRisk.objects.filter(maintenance_ratio__lt=Decimal(below) / HUNDRED)
    breached_apart = 0  # below their warning line already, left out of the list: the tile counts them still
    if not include_breached:
        breached_apart = credit_accounts_visible_to(request.user).filter(
            pk__in=scope.filter(level__in=BREACHED_LEVELS).values("account_id")).count()
        scope = scope.exclude(level__in=BREACHED_LEVELS)
    in_scope = list(scope.order_by("maintenance_ratio", "account_id")
                    .values_list("account_id", flat=True)[:MAX_ASSESSED + 1])
    capped = len(in_scope) > MAX_ASSESSED
    accounts = credit_accounts_visible_to(request.user).filter(pk__in=in_scope[:MAX_ASSESSED])
    forecasts = forecast.forecast_accounts(accounts, days=days)
    start = (page - 1) * PAGE_SIZE
    parameters = _parameters(days, context["stress_points"])

    def flag_label(flag: str, item: forecast.Forecast) -> str:
        if flag == "default_volatility":
            return thin_history_label(item.thin_history, parameters["default_volatility"])
        return FORECAST_FLAGS.get(flag, flag)

    rows = [{"forecast": item, "flags": [flag_label(flag, item) for flag in item.flags]}
            for item in forecasts[start:start + PAGE_SIZE]]

    def page_url(number: int) -> str:
        query = {"days": days, "below": below, "page": number}
        if include_breached:
            query["include_breached"] = "on"
        return f"{reverse('risk_pages:forecast')}?{urlencode(query)}"

    context.update(
        parameters=parameters, rows=rows, first_rank=start + 1,
        below=below, include_breached=include_breached, capped=capped, max_assessed=MAX_ASSESSED,
        assessed=len(forecasts), likely=sum(1 for item in forecasts if item.probability >= LIKELY),
        already_below=breached_apart + sum(1 for item in forecasts if "already_below" in item.flags),
        at_risk=sum(1 for item in forecasts if item.probability > 0),
        next_url=page_url(page + 1) if start + PAGE_SIZE < len(forecasts) else None,
        previous_url=page_url(page - 1) if page > 1 else None,
    )
    return render(request, "risk_pages/forecast.html", context)
