"""The risk forecast page: accounts by the probability of falling below their warning line within
N trading days (risk.forecast, the model and the scope of GET /api/v1/risk/forecast/)."""

import math
from decimal import Decimal

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from accounts.selectors import credit_accounts_visible_to
from risk import forecast
from risk.web.access import risk_reader_required
from risk.web.forms import ForecastForm
from risk.web.pages import FORECAST_FLAGS, risk_context

PAGE_SIZE = 50
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
        "stress_points": stress_points,
        "default_warning_line": Decimal(settings.MARGIN_DEFAULT_LINES["warning"]) * HUNDRED + stress_points,
        "seed": forecast.SEED,
    }


@require_GET
@risk_reader_required
def forecast_page(request):
    form = ForecastForm(request.GET)
    context = risk_context(request, "forecast", form=form)
    if not form.is_valid():
        context["parameters"] = _parameters(forecast.DEFAULT_DAYS, context["stress_points"])
        return render(request, "risk_pages/forecast.html", context, status=400)
    days = form.cleaned_data["days"] or forecast.DEFAULT_DAYS
    page = form.cleaned_data["page"] or 1
    forecasts = forecast.forecast_accounts(credit_accounts_visible_to(request.user), days=days)
    start = (page - 1) * PAGE_SIZE
    rows = [{"forecast": item, "flags": [FORECAST_FLAGS.get(flag, flag) for flag in item.flags]}
            for item in forecasts[start:start + PAGE_SIZE]]

    def page_url(number: int) -> str:
        return f"{reverse('risk_pages:forecast')}?{urlencode({'days': days, 'page': number})}"

    context.update(
        parameters=_parameters(days, context["stress_points"]), rows=rows, first_rank=start + 1,
        assessed=len(forecasts), likely=sum(1 for item in forecasts if item.probability >= LIKELY),
        already_below=sum(1 for item in forecasts if "already_below" in item.flags),
        at_risk=sum(1 for item in forecasts if item.probability > 0),
        next_url=page_url(page + 1) if start + PAGE_SIZE < len(forecasts) else None,
        previous_url=page_url(page - 1) if page > 1 else None,
    )
    return render(request, "risk_pages/forecast.html", context)
