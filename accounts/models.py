"""People (users, roles, client profiles, queues) and credit accounts with their positions."""

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import ratio
from accounts.names import full_name
from accounts.roles import CASE_WORKERS, Role
from servicedesk.i18n import BilingualNameMixin

MONEY = {"max_digits": 20, "decimal_places": 2}
LINE = {"max_digits": 6, "decimal_places": 4, "null": True, "blank": True}
#: A share's price and a position's size beyond any real one (the dearest A-share has cost a few
#: thousand yuan; the largest listed company has about 4 × 10¹¹ shares). A feed's price or a
#: position past them is a slip, refused where it enters: kept, a product of the two could
#: overflow an account's total assets and stop the monitoring of every account.
PRICE_MAX = Decimal("100000")
#: Rates are fractions: an annual rate of 8.35 % is 0.0835, a daily penalty rate of 0.05 % is 0.0005.
#: Above these (100 % a year, 1 % a day) a rate is a slip, "8.35" typed for 8.35 %, refused where it
#: is entered (the admin, credit_accounts.csv): kept, every day's interest would be a hundred times too much.
ANNUAL_RATE_MAX = Decimal("1")
PENALTY_RATE_MAX = Decimal("0.01")
ANNUAL_RATE_ABOVE_MAX = _('"%(value)s" is above 1: an annual rate is a fraction, 0.0835 for 8.35%%.')
PENALTY_RATE_ABOVE_MAX = _('"%(value)s" is above 0.01: a daily penalty rate is a fraction, 0.0005 for 0.05%% a day.')
ANNUAL_RATE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(ANNUAL_RATE_MAX, message=ANNUAL_RATE_ABOVE_MAX)]
QUANTITY_MAX = 10**10
#: An account number's characters: those the addresses of the account's pages and API allow
#: (accounts.apis, cases/web/console_urls.py, cases/web/portal_urls.py). Checked where numbers
#: enter (import_accounts, the admin): an account with any other could not be opened, and the
#: pages linking to it would fail.
ACCOUNT_NO_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")


class User(AbstractUser):
    """A person who logs in: a client or a member of staff. Roles are Django groups."""

    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    #: set_unusable_password() was called since the last save (password login switched off).
    _password_disabled = False

    def save(self, *args, **kwargs):
        """A new password (web, admin, add_user) also ends the API token issued under the old one,
        as it ends the other browser sessions: whoever held the old password may hold the token."""
        password_changed = self.pk is not None and (self._password is not None or self._password_disabled)
        super().save(*args, **kwargs)
        self._password_disabled = False
        if password_changed:
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user=self).delete()

    def set_unusable_password(self):
        """Password login switched off (the admin's "disable password-based authentication", someone
        leaving): the API token issued under the old password ends too, as the browser sessions do."""
        super().set_unusable_password()
        self._password_disabled = True

    @property
    def role_codes(self) -> frozenset[str]:
        if not hasattr(self, "_role_codes"):
            if not self.is_authenticated:
                self._role_codes = frozenset()
            else:
                self._role_codes = frozenset(self.groups.values_list("name", flat=True))
        return self._role_codes

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_codes.intersection(roles))

    def get_full_name(self) -> str:
        """Family name first for Chinese names ("张伟"), "first last" otherwise (accounts.names)."""
        return full_name(self.first_name, self.last_name)

    @property
    def display_name(self) -> str:
        """The name shown for this person on the pages: the full name, else the username."""
        return self.get_full_name() or self.username

    @property
    def works_cases(self) -> bool:
        """Agents, advisors, team leads, supervisors and risk officers (and superusers)."""
        return self.is_superuser or self.has_role(*CASE_WORKERS)


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    VIP = "vip", _("VIP")
    HNW = "hnw", _("High net worth")


class ClientProfile(models.Model):
    """A margin-trading client as the firm's core system knows them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="client_profile", verbose_name=_("login"),
    )
    client_no = models.CharField(_("client number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=32)
    phone = models.CharField(_("phone"), max_length=32)
    email = models.EmailField(_("e-mail"), blank=True)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    risk_rating = models.CharField(_("risk rating"), max_length=16, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="advised_clients", verbose_name=_("advisor"),
    )
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="zh-hans"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["client_no"]
        indexes = [models.Index(fields=["advisor"]), models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.client_no} {self.name}"


class Queue(BilingualNameMixin, models.Model):
    """A work queue; cases are routed to one and worked by its members."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="queues", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["code"]


class RoutingRule(models.Model):
    """Sends a new case to a queue by kind, category and client tier; the first match wins."""

    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=100)
    kind = models.CharField(_("case kind"), max_length=16, blank=True, help_text=_("Empty: any kind."))
    category = models.CharField(_("category"), max_length=32, blank=True, help_text=_("Empty: any category."))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True,
                            help_text=_("Empty: any tier."))
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, verbose_name=_("queue"))
    assign_to_advisor = models.BooleanField(
        _("assign to the client's advisor"), default=False,
        help_text=_("When the client has an advisor, the case is assigned to them first."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        parts = [self.kind or "*", self.category or "*", self.tier or "*"]
        return f"{self.position}: {'/'.join(parts)} → {self.queue.code}"

    def unknown_category(self) -> str:
        """Why the rule's category is none a case of its kind is filed under through the portal (a
        typo, another kind's category, a category's name), or "": such a rule routes only the cases
        given that category through the API (which takes any), so the admin warns, not refuses."""
        from cases.categories import category_codes

        known = category_codes(self.kind)
        if not self.category or self.category in known:
            return ""
        return _("No case of this kind is filed under category %(category)s on the portal (its categories: "
                 "%(known)s): the rule routes only cases given it through the API.") % {
            "category": self.category, "known": ", ".join(known)}

    def matches(self, *, kind: str, category: str, tier: str) -> bool:
        return (
            self.is_active
            and self.kind in ("", kind)
            and self.category in ("", category)
            and self.tier in ("", tier)
        )


class CreditAccount(models.Model):
    """A margin contract's credit account: debts, cash and the lines its ratio is watched against."""

    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    client = models.ForeignKey(ClientProfile, on_delete=models.PROTECT, related_name="credit_accounts",
                               verbose_name=_("client"))
    contract_no = models.CharField(_("contract number"), max_length=32)
    credit_limit = models.DecimalField(_("credit limit"), **MONEY, validators=[MinValueValidator(0)])
    cash = models.DecimalField(_("cash"), **MONEY, default=Decimal("0"))
    other_collateral = models.DecimalField(_("other collateral"), **MONEY, default=Decimal("0"))
    financing_debt = models.DecimalField(_("financing debt"), **MONEY, default=Decimal("0"),
                                         validators=[MinValueValidator(0)])
    interest_fees = models.DecimalField(_("interest and fees"), **MONEY, default=Decimal("0"),
                                        validators=[MinValueValidator(0)])
    annual_rate = models.DecimalField(_("annual rate"), max_digits=7, decimal_places=5,
                                      validators=ANNUAL_RATE_VALIDATORS)
    penalty_rate = models.DecimalField(
        _("penalty rate (daily)"), max_digits=8, decimal_places=6, default=Decimal("0.0005"),
        validators=[MinValueValidator(0), MaxValueValidator(PENALTY_RATE_MAX, message=PENALTY_RATE_ABOVE_MAX)],
        help_text=_("Charged per calendar day on financing debt not repaid by the contract's maturity, "
                    "on top of the interest (0.0005 = 0.05% a day)."),
    )
    contract_start = models.DateField(_("contract start"))
    contract_maturity = models.DateField(_("contract maturity"))
    attention_line = models.DecimalField(_("attention line"), **LINE)
    warning_line = models.DecimalField(_("warning line"), **LINE)
    close_out_line = models.DecimalField(_("close-out line"), **LINE)
    restore_to_line = models.DecimalField(_("restore-to line"), **LINE)
    withdrawal_line = models.DecimalField(_("withdrawal line"), **LINE)
    immediate_line = models.DecimalField(_("immediate close-out line"), **LINE)
    extension_line = models.DecimalField(
        _("extension line"), **LINE,
        help_text=_("The ratio must be above it for the contract to be extended; empty: the firm's default."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        ordering = ["account_no"]

    def __str__(self) -> str:
        return self.account_no

    def clean(self):
        super().clean()
        problems = ratio.line_problems({name: getattr(self, f"{name}_line") for name in ratio.LINE_NAMES},
                                       settings.MARGIN_DEFAULT_LINES)
        if problems:
            raise ValidationError({f"{name}_line": message for name, message in problems.items()})

    def line(self, name: str) -> Decimal | None:
        """The account's own line, or the firm's default (PRODUCT.md)."""
        own = getattr(self, f"{name}_line")
        if own is not None:
            return own
        default = settings.MARGIN_DEFAULT_LINES.get(name)
        return Decimal(default) if default is not None else None

    @property
    def lines(self) -> dict[str, Decimal | None]:
        return {name: self.line(name) for name in ratio.LINE_NAMES}

    def _position_values(self) -> tuple[Decimal, Decimal]:
        long_value = short_value = Decimal("0")
        for position in self.positions.all():
            value = ratio.market_value(position.quantity, position.security.price)
            if position.kind == Position.Kind.LONG:
                long_value += value
            else:
                short_value += value
        return long_value, short_value

    @property
    def total_assets(self) -> Decimal:
        long_value, _short = self._position_values()
        return ratio.total_assets(cash=self.cash, other_collateral=self.other_collateral,
                                  long_value=long_value)

    @property
    def total_liabilities(self) -> Decimal:
        _long, short_value = self._position_values()
        return ratio.total_liabilities(financing_debt=self.financing_debt, short_value=short_value,
                                       interest_fees=self.interest_fees)

    @property
    def maintenance_ratio(self) -> Decimal | None:
        return ratio.maintenance_ratio(self.total_assets, self.total_liabilities)

    def top_up(self, target: Decimal | None = None) -> ratio.TopUp:
        """Cash to add, or securities to sell and repay with, to bring the ratio up to target."""
        target = target if target is not None else self.line("restore_to")
        return ratio.top_up(self.total_assets, self.total_liabilities, target)


class Security(models.Model):
    """A listed security with its latest price; haircuts only matter for available margin."""

    class Exchange(models.TextChoices):
        SSE = "SSE", _("Shanghai Stock Exchange")
        SZSE = "SZSE", _("Shenzhen Stock Exchange")
        BSE = "BSE", _("Beijing Stock Exchange")

    symbol = models.CharField(_("symbol"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    exchange = models.CharField(_("exchange"), max_length=8, choices=Exchange.choices)
    haircut = models.DecimalField(_("haircut"), max_digits=5, decimal_places=4,
                                  validators=[MinValueValidator(0)])
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=4,
                                validators=[MinValueValidator(0), MaxValueValidator(PRICE_MAX)])
    price_as_of = models.DateTimeField(_("price as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("security")
        verbose_name_plural = _("securities")
        ordering = ["symbol"]

    def __str__(self) -> str:
        return f"{self.symbol} {self.name}"


class Position(models.Model):
    """Shares held (long) or borrowed and sold (short) in a credit account."""

    class Kind(models.TextChoices):
        LONG = "long", _("Long (held as collateral)")
        SHORT = "short", _("Short (borrowed and sold)")

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="positions",
                                verbose_name=_("credit account"))
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="positions",
                                 verbose_name=_("security"))
    quantity = models.BigIntegerField(_("quantity"), validators=[MinValueValidator(0), MaxValueValidator(QUANTITY_MAX)])
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.LONG)

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(fields=["account", "security", "kind"], name="position_unique_per_kind"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="position_quantity_not_negative"),
        ]
        indexes = [models.Index(fields=["security"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.security_id} {self.get_kind_display()} {self.quantity}"

    @property
    def market_value(self) -> Decimal:
        return ratio.market_value(self.quantity, self.security.price)


class SecurityPrice(models.Model):
    """A security's price on one trading day (the latest price of that day, Asia/Shanghai);
    volatility is estimated from this history."""

    # No index of its own: security_price_one_per_day (security, trade_date) starts with it.
    security = models.ForeignKey(Security, on_delete=models.CASCADE, related_name="price_history",
                                 verbose_name=_("security"), db_index=False)
    trade_date = models.DateField(_("trade date"))
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=4,
                                validators=[MinValueValidator(0)])
    as_of = models.DateTimeField(_("price as of"))

    class Meta:
        verbose_name = _("security price")
        verbose_name_plural = _("security prices")
        ordering = ["security", "trade_date"]
        constraints = [
            models.UniqueConstraint(fields=["security", "trade_date"], name="security_price_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.security_id} {self.trade_date} {self.price}"


__all__ = ["User", "Role", "Tier", "ClientProfile", "Queue", "RoutingRule", "CreditAccount", "Security",
           "Position"]


# --- interest: rate history, daily accruals, reminders (accounts/interest.py) --------------------

class RateChange(models.Model):
    """A contract's annual interest rate from `effective_date` on. The rate in force on a day is
    the latest change on or before it, else the account's `annual_rate`."""

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="rate_changes",
                                verbose_name=_("credit account"))
    effective_date = models.DateField(_("effective date"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=7, decimal_places=5,
                                      validators=ANNUAL_RATE_VALIDATORS)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rate change")
        verbose_name_plural = _("rate changes")
        ordering = ["account", "effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["account", "effective_date"], name="rate_change_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.effective_date} {self.annual_rate}"

    def clean(self):
        """Days already accrued keep the rate they were charged at: a change takes effect after the
        last accrued day, and a change in force on an accrued day is not moved or altered. One left
        as it was is not checked again: the account's admin page validates every inline row, and
        saving the account (its cash, its lines) was refused once a change had been accrued."""
        super().clean()
        last = InterestAccrualRun.objects.order_by("-day").values_list("day", flat=True).first()
        if self.effective_date is None or last is None:
            return
        stored = (RateChange.objects.filter(pk=self.pk).values_list("effective_date", "annual_rate").first()
                  if self.pk else None)
        if stored is not None and stored == (self.effective_date, self.annual_rate):
            return
        if self.effective_date <= last or (stored is not None and stored[0] <= last):
            raise ValidationError({"effective_date": _(
                "Interest is accrued up to %(day)s already: a rate change takes effect on %(next)s at the earliest.")
                % {"day": last.isoformat(), "next": (last + datetime.timedelta(days=1)).isoformat()}})


class InterestAccrualRun(models.Model):
    """One calendar day's accrual, done once for every account (the day's claim: a second run of
    the same day finds it and adds nothing)."""

    day = models.DateField(_("day"), unique=True)
    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True)
    lines = models.PositiveIntegerField(_("lines"), default=0)

    class Meta:
        verbose_name = _("interest accrual run")
        verbose_name_plural = _("interest accrual runs")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} ({self.lines})"


class InterestAccrual(models.Model):
    """One day's interest (or penalty interest) on one account: amount = principal × annual_rate
    × days / 360, kept to 4 decimals. `posted` is what that line added to the account's interest
    and fees in cents (the running total of the settlement period rounded to cents, less the same
    before this line), so a settlement period's lines post exactly their total rounded once."""

    class Kind(models.TextChoices):
        INTEREST = "interest", _("Interest")
        PENALTY = "penalty", _("Penalty interest")

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="interest_accruals",
                                verbose_name=_("credit account"))
    run = models.ForeignKey(InterestAccrualRun, on_delete=models.PROTECT, related_name="accruals",
                            verbose_name=_("run"))
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.INTEREST)
    principal = models.DecimalField(_("principal"), **MONEY)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=12, decimal_places=6,
                                      help_text=_("Penalty lines show the daily penalty rate × 360."))
    days = models.PositiveSmallIntegerField(_("days"), default=1)
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=4)
    posted = models.DecimalField(_("posted"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("interest accrual")
        verbose_name_plural = _("interest accruals")
        ordering = ["account", "day", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "kind"], name="interest_accrual_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.kind} {self.amount}"


class Reminder(models.Model):
    """A reminder sent (its notifications written) 14, 7 or 1 days before a due date; unique, so
    each is sent once however often the task runs."""

    class Kind(models.TextChoices):
        MATURITY = "maturity", _("Contract maturity")
        INTEREST_SETTLEMENT = "interest_settlement", _("Interest settlement")

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="reminders",
                                verbose_name=_("credit account"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_date = models.DateField(_("due date"))
    days_before = models.PositiveSmallIntegerField(_("days before"))
    sent_at = models.DateTimeField(_("sent at"))
    run = models.CharField(_("run"), max_length=32, editable=False,
                           help_text=_("The task run that sent it (tells a run its own rows)."))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_date", "account", "kind", "-days_before"]
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "due_date", "days_before"], name="reminder_sent_once"),
        ]
        indexes = [models.Index(fields=["run"], name="reminder_run_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.due_date} -{self.days_before}"


__all__ += ["RateChange", "InterestAccrualRun", "InterestAccrual", "Reminder"]
