"""Forms of the risk pages. Shocks are typed in per cent (−10 = every price 10 % lower) and
handed to the API's serializer and the stress-test service as the fractions they take, so the
bounds and every other check are the service's own."""

import re
import unicodedata
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from risk import forecast, stress
from risk.models import Level
from servicedesk.forms import LabelForm

HUNDRED = Decimal(100)
MIN_SHOCK_PERCENT = stress.MIN_SHOCK * HUNDRED
MAX_SHOCK_PERCENT = stress.MAX_SHOCK * HUNDRED
MAX_SYMBOL_SHOCKS = stress.MAX_SYMBOL_SHOCKS
DEFAULT_FORECAST_BELOW = 200  # per cent
#: "600000 -20", "600000: -20%", "600000,-20": a symbol (ASCII, as Security.symbol) and a shock in per cent.
SYMBOL_LINE = re.compile(
    r"^\s*(?P<symbol>[A-Za-z0-9._-]{1,16})\s*[\s,;:=]\s*(?P<shock>[+-]?[0-9]+(?:\.[0-9]+)?)\s*%?\s*$")


def _percent_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(max_digits=5, decimal_places=2, min_value=MIN_SHOCK_PERCENT,
                              max_value=MAX_SHOCK_PERCENT, **kwargs)


def _fraction(percent: Decimal) -> str:
    return str(percent / HUNDRED)


class RiskForm(LabelForm):
    """The risk pages' forms."""


class StressTestForm(RiskForm):
    market_shock = _percent_field(
        label=_("Market shock (%)"), initial=Decimal("-10"),
        help_text=_("Every price moves by this much: -10 means ten per cent lower (from -99 to 100)."),
        widget=forms.NumberInput(attrs={"step": "0.01"}))
    symbol_shocks = forms.CharField(
        label=_("Shocks for single securities"), required=False, max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "600000 -20"}),
        help_text=_("One per line: the symbol and its shock in per cent, e.g. \"600000 -20\". "
                    "It replaces the market shock for that security."))
    open_cases = forms.BooleanField(
        label=_("Open outreach margin calls for the accounts that would fall below the warning line"),
        required=False)

    def clean_symbol_shocks(self) -> dict[str, Decimal]:
        text = self.cleaned_data.get("symbol_shocks") or ""
        shocks: dict[str, Decimal] = {}
        errors = []
        field = _percent_field()
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            # A Chinese input method types full-width punctuation and signs ("600000，－20％"), a
            # document pasted from has "−" (U+2212): NFKC and the minus make them the ASCII ones read.
            match = SYMBOL_LINE.match(unicodedata.normalize("NFKC", line).replace("\u2212", "-"))
            if match is None:
                errors.append(_("Line %(number)s: expected a symbol and a shock in per cent, e.g. \"600000 -20\".")
                              % {"number": number})
                continue
            symbol = match["symbol"]
            try:
                shock = field.clean(match["shock"])
            except forms.ValidationError as error:
                errors.extend(_("Line %(number)s (%(symbol)s): %(error)s")
                              % {"number": number, "symbol": symbol, "error": message}
                              for message in error.messages)
                continue
            if symbol in shocks:
                errors.append(_("Line %(number)s: %(symbol)s is listed twice.") % {"number": number, "symbol": symbol})
            shocks[symbol] = shock
        if len(shocks) > MAX_SYMBOL_SHOCKS:
            errors.append(_("At most %(max)s securities may have their own shock.") % {"max": MAX_SYMBOL_SHOCKS})
        if errors:
            raise forms.ValidationError(errors)
        return shocks

    def api_data(self) -> dict:
        """The request body the stress-test API would receive for this form."""
        data = self.cleaned_data
        return {
            "market_shock": _fraction(data["market_shock"]),
            "symbol_shocks": {symbol: _fraction(shock) for symbol, shock in data["symbol_shocks"].items()},
            "open_cases": data["open_cases"],
        }

    def add_service_errors(self, errors: dict) -> None:
        """Field errors from the API's serializer or the service (ValidationFailed.extra)."""
        for name, messages in errors.items():
            field = name if name in self.fields else None
            if isinstance(messages, dict):  # symbol_shocks: {symbol: [messages]}
                for symbol, symbol_messages in messages.items():
                    for message in _flatten(symbol_messages):
                        self.add_error(field, f"{symbol}: {message}")
                continue
            for message in _flatten(messages):
                self.add_error(field, str(message))


def _flatten(messages) -> list[str]:
    if isinstance(messages, (list, tuple)):
        return [str(message) for item in messages for message in _flatten(item)]
    if isinstance(messages, dict):
        return [str(message) for item in messages.values() for message in _flatten(item)]
    return [str(messages)]


class StressModeSetForm(RiskForm):
    points = forms.DecimalField(
        label=_("Raise every line by (percentage points)"), max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=_("E.g. 5: the warning line 140 % becomes 145 %. Above 0 and at most 100."))
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    expected = forms.CharField(required=False, widget=forms.HiddenInput)


class StressModeLiftForm(RiskForm):
    expected = forms.CharField(required=False, widget=forms.HiddenInput)


class ForecastForm(RiskForm):
    days = forms.IntegerField(label=_("Horizon (trading days)"), min_value=1, max_value=forecast.MAX_DAYS,
                              required=False, initial=forecast.DEFAULT_DAYS,
                              widget=forms.NumberInput(attrs={"min": 1, "max": forecast.MAX_DAYS}))
    below = forms.IntegerField(
        label=_("Accounts with a ratio below (%)"), min_value=100, max_value=100_000, required=False,
        initial=DEFAULT_FORECAST_BELOW, widget=forms.NumberInput(attrs={"min": 100, "step": 10}),
        help_text=_("By the latest valuation; accounts far above their lines cannot breach soon."))
    include_breached = forms.BooleanField(
        label=_("Include accounts already below the warning line"), required=False,
        help_text=_("Their probability is 1; they are in the margin-call process already."))
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False, widget=forms.HiddenInput)


class LevelForm(RiskForm):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    after = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)


class PageForm(RiskForm):
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)


class ResultPageForm(RiskForm):
    """Which line's accounts a stress test's result page lists, and which page of them."""

    line = forms.ChoiceField(required=False)
    page = forms.IntegerField(min_value=1, max_value=1_000, required=False)

    def __init__(self, *args, lines: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(name, name) for name in lines]
