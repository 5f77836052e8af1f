"""factory-boy factories for the whole suite."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import ClientProfile, CreditAccount, Position, Queue, Security, Tier, User
from accounts.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=str(role))[0])
        self.save()
        if hasattr(self, "_role_codes"):
            del self._role_codes


class ClientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientProfile

    user = factory.SubFactory(UserFactory, roles=[Role.CLIENT])
    client_no = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    id_number = factory.Sequence(lambda n: f"11010119800101{n:04d}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.LazyAttribute(lambda c: f"{c.client_no.lower()}@example.com")
    tier = Tier.STANDARD


class SecurityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Security
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"{600000 + n}")
    name = factory.Sequence(lambda n: f"证券{n}")
    exchange = Security.Exchange.SSE
    haircut = Decimal("0.65")
    price = Decimal("10.00")
    # the last price an hour ago: a feed's next prices (minutes after it) are not in the future
    price_as_of = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))


class CreditAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditAccount

    account_no = factory.Sequence(lambda n: f"A{n:08d}")
    client = factory.SubFactory(ClientProfileFactory)
    contract_no = factory.Sequence(lambda n: f"HT{n:08d}")
    credit_limit = Decimal("1000000.00")
    cash = Decimal("0.00")
    financing_debt = Decimal("0.00")
    interest_fees = Decimal("0.00")
    annual_rate = Decimal("0.08350")
    contract_start = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    contract_maturity = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=150))


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    account = factory.SubFactory(CreditAccountFactory)
    security = factory.SubFactory(SecurityFactory)
    quantity = 1000
    kind = Position.Kind.LONG


def queue(code: str) -> Queue:
    return Queue.objects.get(code=code)


def without_quiet_hours(*profiles: ClientProfile) -> None:
    """These clients chose no quiet hours (start == end means none): a test that waits for their
    e-mail or SMS passes at whatever hour the suite runs. With the default 22:00–08:00 (Asia/
    Shanghai) a suite started at 22:02 found their notices held till the morning."""
    from notifications.models import ClientPreference

    for profile in profiles:
        ClientPreference.objects.update_or_create(
            client=profile, defaults={"quiet_hours_start": datetime.time(0), "quiet_hours_end": datetime.time(0)})
