"""Demo cases: 200 tickets, disputes, extension and relief requests, each driven through the
real services (case_create, case_transition, case_assign, message_create) on the demo clock,
so numbers, routing, the audit trail and SLA timers are what real use would have produced.
Margin calls are left to the monitoring."""

import datetime
import random
from dataclasses import dataclass, field

from accounts.models import ClientProfile, CreditAccount, Tier, User
from cases.demo import data
from cases.demo.clock import DemoClock
from cases.demo.portfolios import DemoAccount
from cases.models import Case, CaseKind, Channel, Priority
from cases.services import case_assign, case_create, case_transition, message_create

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

#: kind → [(outcome, how many)]; every state of every workflow (but margin calls) appears.
PLAN = {
    CaseKind.TICKET: [("new", 16), ("open", 18), ("open_after_wait", 8), ("reopened", 4), ("waiting", 14),
                      ("resolved", 16), ("closed", 28), ("cancelled", 6)],
    CaseKind.DISPUTE: [("received", 4), ("acknowledged", 4), ("investigating", 5), ("proposed", 4),
                       ("returned", 1), ("approved", 3), ("accepted", 4), ("rejected", 4), ("mediation", 3),
                       ("closed_accepted", 5), ("closed_mediation", 3)],
    CaseKind.EXTENSION: [("submitted", 4), ("under_review", 4), ("proposed", 4), ("approved", 6), ("declined", 4)],
    CaseKind.RELIEF: [("submitted", 5), ("under_review", 5), ("proposed", 5), ("approved", 8), ("declined", 5)],
}
#: The demo login's own cases (kind, outcome), so the portal has something to show.
CLIENT_LOGIN_CASES = [
    (CaseKind.TICKET, "new"), (CaseKind.TICKET, "waiting"), (CaseKind.TICKET, "resolved"),
    (CaseKind.TICKET, "closed"), (CaseKind.TICKET, "open"), (CaseKind.DISPUTE, "approved"),
    (CaseKind.EXTENSION, "submitted"), (CaseKind.RELIEF, "approved"),
]
EARLY = {"new", "received", "submitted", "acknowledged", "under_review", "open"}
#: Outcome → how many days ago the case was opened (low, high).
AGES = {"resolved": (1, 6), "waiting": (1, 12), "reopened": (2, 8), "proposed": (1, 10), "approved": (3, 40)}


@dataclass
class Cast:
    """Who plays which part."""

    rng: random.Random
    users: dict[str, User]

    def worker_for(self, case: Case) -> User:
        if case.assignee_id is not None:
            return case.assignee
        code = case.queue.code if case.queue else "general"
        if code == "hnw":
            return self.users["advisor"]
        if code == "risk":
            return self.users["risk_officer"]
        return self.rng.choice([self.users["agent"], self.users["agent"], self.users["team_lead"]])

    def checker_for(self, proposer: User) -> User:
        supervisors = [self.users["supervisor"], self.users["supervisor2"]]
        return self.rng.choice([user for user in supervisors if user.pk != proposer.pk])


@dataclass
class Spec:
    kind: str
    outcome: str
    client: ClientProfile
    opened_at: datetime.datetime
    account: CreditAccount | None = None
    steps: list = field(default_factory=list)


def _text(client: ClientProfile, pair) -> str:
    return pair[1] if client.language == "en" else pair[0]


def _drawn(options: list, draw: int):
    """The option a draw among the demo's usual number of them falls on."""
    return options[draw % len(options)]


class Story:
    """One case's history: each step a little later than the one before, none in the future."""

    def __init__(self, *, cast: Cast, clock: DemoClock, case: Case, start: datetime.datetime, steps: int):
        self.cast, self.clock, self.case = cast, clock, case
        rng = cast.rng
        room = max((clock.real_now - start) * 0.9, HOUR)
        gaps = [rng.uniform(0.3, 1.0) for _ in range(max(steps, 1))]
        wanted = [gap * rng.choice([2, 6, 20]) * HOUR for gap in gaps]
        scale = min(1.0, room / sum(wanted, datetime.timedelta()))
        self.times = []
        moment = start
        for gap in wanted:
            moment += gap * scale
            self.times.append(moment)

    @property
    def client(self) -> ClientProfile:
        return self.case.client

    def _tick(self) -> None:
        self.clock.set(self.times.pop(0) if self.times else self.clock.now() + datetime.timedelta(minutes=5))

    def move(self, name: str, user: User | None, comment: str = "") -> None:
        self._tick()
        self.case = case_transition(case=self.case, user=user, name=name, comment=comment)

    def assign(self, user: User, assignee: User) -> None:
        self._tick()
        self.case = case_assign(case=self.case, user=user, assignee=assignee)

    def reply(self, author: User, pair) -> None:
        self._tick()
        message_create(case=self.case, author=author, body=_text(self.client, pair))

    def note(self, author: User) -> None:
        self._tick()
        message_create(case=self.case, author=author, body=self.cast.rng.choice(data.INTERNAL_NOTES), internal=True)

    def client_says(self, pair) -> None:
        """From the client: through the portal when they have a login, else by e-mail."""
        self._tick()
        login = self.client.user if self.client.user_id else None
        message_create(case=self.case, author=login, body=_text(self.client, pair),
                       source=None if login else "client")
        self.case = Case.objects.get(pk=self.case.pk).as_workflow()  # a reply may have resumed it

    def for_client(self, worker: User) -> User:
        """Who records the client's decision: the client in the portal, else the worker on the phone."""
        return self.client.user if self.client.user_id else worker


# --- what happens to each kind of case, up to the outcome planned for it ------------------------


def ticket_story(story: Story, outcome: str) -> None:
    rng, cast = story.cast.rng, story.cast
    worker = cast.worker_for(story.case)
    if outcome == "new":
        return
    if outcome == "cancelled":
        story.move("cancel", story.for_client(worker), _text(story.client, rng.choice(data.CANCEL_REASONS)))
        return
    if story.case.assignee_id is None and rng.random() < 0.3 and worker.pk != cast.users["team_lead"].pk:
        story.assign(cast.users["team_lead"], worker)  # assigning a new ticket opens it
    else:
        story.move("open", worker)
    if outcome in ("waiting", "open_after_wait"):
        ask = rng.choice(data.ASK_FOR_INFO)
        story.reply(worker, ask)
        story.move("wait_on_client", worker, _text(story.client, ask))
        if outcome == "open_after_wait":
            story.client_says(data.CLIENT_REPLIES[rng.randint(0, 1)])  # resumes the ticket
            story.note(worker)
        return
    story.reply(worker, rng.choice(data.REPLIES))
    if rng.random() < 0.35:
        story.note(worker)
    if outcome == "open":
        return
    story.move("resolve", worker, _text(story.client, rng.choice(data.RESOLUTIONS)))
    if outcome == "reopened":
        story.client_says(("问题还没有解决，请再看一下。", "The problem is back, please look again."))
        story.move("reopen", story.for_client(worker), _text(story.client, ("客户反馈问题仍存在。",
                                                                               "The client says it is not fixed.")))
        story.reply(worker, data.REPLIES[0])
    elif outcome == "closed":
        if rng.random() < 0.4:
            story.client_says(data.CLIENT_REPLIES[2])
        story.move("close", rng.choice([story.for_client(worker), None]))


def dispute_story(story: Story, outcome: str) -> None:
    rng, cast = story.cast.rng, story.cast
    if outcome == "received":
        return
    worker = cast.worker_for(story.case)
    story.move("acknowledge", worker)
    story.reply(worker, ("您好，您的投诉已受理，我们将在15个工作日内给出处理意见。",
                         "Hello, we have registered your complaint and will respond within 15 working days."))
    if outcome == "acknowledged":
        return
    story.move("investigate", worker)
    story.note(worker)
    if outcome == "investigating":
        return
    proposal = _drawn(data.DISPUTE_PROPOSALS[story.case.category], rng.randrange(data.DISPUTE_PROPOSAL_DRAWS))
    story.move("propose_resolution", worker, _text(story.client, proposal))
    if outcome == "proposed":
        return
    checker = cast.checker_for(worker)
    if outcome == "returned":
        story.move("return_for_rework", checker, "请补充平仓时点的行情数据后再提交。")
        return
    story.move("approve_resolution", checker)
    story.reply(worker, ("您好，经调查，处理方案如下：" + proposal[0], "Hello, after investigation we propose: " + proposal[1]))
    if outcome == "approved":
        return
    if outcome in ("accepted", "closed_accepted"):
        story.move("accept", story.for_client(worker))
        if outcome == "closed_accepted":
            story.move("close", worker)
        return
    story.client_says(data.REJECTIONS[0])
    story.move("reject", story.for_client(worker), _text(story.client, data.REJECTIONS[0]))
    if outcome == "rejected":
        return
    story.move("refer_to_mediation", worker, rng.choice(data.MEDIATION_NOTES))
    if outcome == "closed_mediation":
        story.move("close", worker)


def request_story(story: Story, outcome: str) -> None:
    rng, cast = story.cast.rng, story.cast
    if outcome == "submitted":
        return
    worker = cast.worker_for(story.case)
    story.move("start_review", worker)
    if outcome == "under_review":
        story.note(worker)
        return
    approve = outcome == "approved" or (outcome == "proposed" and rng.random() < 0.6)
    if outcome == "approved" and rng.random() < 0.25:
        worker = cast.users["supervisor"]  # a supervisor's own proposal needs the other supervisor
    proposals = data.REQUEST_PROPOSALS_APPROVE if approve else data.REQUEST_PROPOSALS_DECLINE
    story.move("propose_approval" if approve else "propose_decline", worker,
               _text(story.client, _drawn(proposals[story.case.kind], rng.randrange(data.REQUEST_PROPOSAL_DRAWS))))
    if outcome == "proposed":
        return
    checker = cast.checker_for(worker)
    if approve:
        story.move("approve", checker)
        story.reply(cast.worker_for(story.case), ("您好，您的申请已获批准。", "Hello, your request has been approved."))
    else:
        story.move("decline", checker, _text(story.client, _drawn(data.DECLINE_REASONS[story.case.kind],
                                                                  rng.randrange(data.DECLINE_REASON_DRAWS))))
        story.reply(cast.worker_for(story.case), ("您好，很遗憾，您的申请未获批准，详情请见说明。",
                                                  "Hello, we are sorry: your request was not approved."))


STORIES = {CaseKind.TICKET: ticket_story, CaseKind.DISPUTE: dispute_story, CaseKind.EXTENSION: request_story,
           CaseKind.RELIEF: request_story}
STEPS = {CaseKind.TICKET: 7, CaseKind.DISPUTE: 11, CaseKind.EXTENSION: 5, CaseKind.RELIEF: 5}


# --- choosing clients, accounts, words -----------------------------------------------------------


def _opened_at(rng: random.Random, now: datetime.datetime, outcome: str) -> datetime.datetime:
    low, high = AGES.get(outcome, (0.05, 6) if outcome in EARLY else (3, 60))
    moment = now - rng.uniform(low, high) * DAY
    # Clients write in the daytime (Asia/Shanghai is UTC+8: 00:30-14:00 UTC is 08:30-22:00).
    hour = rng.uniform(0.5, 14)
    moment = moment.replace(hour=int(hour), minute=int(hour % 1 * 60), second=rng.randint(0, 59))
    return min(moment, now - rng.uniform(0.2, 2) * HOUR)


def _pick_account(rng, kind: str, outcome: str, client: ClientProfile, accounts: list[DemoAccount]):
    own = [item for item in accounts if item.account.client_id == client.pk]
    if kind == CaseKind.EXTENSION:
        near = [item for item in own if item.near_maturity]
        return (near or own)[0].account
    if kind == CaseKind.RELIEF:
        stressed = [item for item in own if item.band in ("close_out", "warning", "attention")]
        return (stressed or own)[0].account
    if own and rng.random() < 0.4:
        return rng.choice(own).account
    return None


def _clients_for(rng, kind: str, outcome: str, clients: list[ClientProfile], accounts: list[DemoAccount]):
    """Requests about stressed or maturing accounts come from their owners."""
    if kind == CaseKind.EXTENSION and outcome in ("submitted", "under_review", "proposed"):
        pool = [item.account.client for item in accounts if item.near_maturity]
    elif kind == CaseKind.RELIEF:
        pool = [item.account.client for item in accounts if item.band in ("close_out", "warning", "attention")]
    else:
        weights = {Tier.HNW: 3, Tier.VIP: 2, Tier.STANDARD: 1}
        pool = [client for client in clients[1:] for _ in range(weights[client.tier])]
    return rng.choice(pool)


def plan(rng: random.Random, now: datetime.datetime, clients: list[ClientProfile],
         accounts: list[DemoAccount]) -> list[Spec]:
    outcomes = [(kind, outcome) for kind, rows in PLAN.items() for outcome, count in rows for _ in range(count)]
    for mine in CLIENT_LOGIN_CASES:  # these of the plan belong to the demo login
        outcomes.remove(mine)
    specs = [Spec(kind, outcome, clients[0], _opened_at(rng, now, outcome)) for kind, outcome in CLIENT_LOGIN_CASES]
    for kind, outcome in outcomes:
        client = _clients_for(rng, kind, outcome, clients, accounts)
        specs.append(Spec(kind, outcome, client, _opened_at(rng, now, outcome)))
    for spec in specs:
        spec.account = _pick_account(rng, spec.kind, spec.outcome, spec.client, accounts)
    specs.sort(key=lambda spec: spec.opened_at)
    return specs


def _words(rng, spec: Spec) -> tuple[str, str, str]:
    """(category, subject, description) in the client's language."""
    if spec.kind == CaseKind.TICKET:
        category = rng.choice(list(data.TICKETS))
        row = rng.choice(data.TICKETS[category])
    elif spec.kind == CaseKind.DISPUTE:
        category = rng.choice(list(data.DISPUTES))
        row = rng.choice(data.DISPUTES[category])
    elif spec.kind == CaseKind.EXTENSION:
        category, row = "extension", rng.choice(data.EXTENSIONS)
    else:
        category = rng.choice(list(data.RELIEFS))
        row = rng.choice(data.RELIEFS[category])
    if spec.client.language == "en":
        return category, row[2], row[3]
    return category, row[0], row[1]


def _priority(rng, kind: str, channel: str) -> str:
    if channel == Channel.CSRC_12386:
        return Priority.HIGH
    choices = {
        CaseKind.TICKET: [Priority.LOW] * 3 + [Priority.NORMAL] * 13 + [Priority.HIGH] * 4,
        CaseKind.DISPUTE: [Priority.NORMAL] * 5 + [Priority.HIGH] * 4 + [Priority.URGENT],
        CaseKind.EXTENSION: [Priority.NORMAL] * 4 + [Priority.HIGH],
        CaseKind.RELIEF: [Priority.HIGH] * 3 + [Priority.URGENT] * 2,
    }
    return rng.choice(choices[kind])


def _opener(rng, cast: Cast, spec: Spec) -> tuple[User | None, str]:
    """(created_by, channel): the demo login opens its own in the portal; other clients call,
    write, or come through the 12386 hotline (disputes), and staff open the case for them."""
    if spec.client.user_id is not None:
        return spec.client.user, Channel.PORTAL
    if spec.kind == CaseKind.TICKET and rng.random() < 0.15:
        return None, Channel.EMAIL
    if spec.kind == CaseKind.DISPUTE and rng.random() < 0.3:
        return cast.users["team_lead"], Channel.CSRC_12386
    staff = cast.users["advisor"] if spec.client.advisor_id else rng.choice([cast.users["agent"],
                                                                              cast.users["team_lead"]])
    return staff, rng.choice([Channel.PHONE, Channel.PHONE, Channel.EMAIL])


def cases_create(*, rng: random.Random, clock: DemoClock, cast: Cast, clients: list[ClientProfile],
                 accounts: list[DemoAccount]) -> list[Case]:
    created = []
    for spec in plan(rng, clock.real_now, clients, accounts):
        clock.set(spec.opened_at)
        category, subject, description = _words(rng, spec)
        created_by, channel = _opener(rng, cast, spec)
        case = case_create(created_by=created_by, client=spec.client, kind=spec.kind, subject=subject,
                           description=description, category=category, credit_account=spec.account,
                           channel=channel, priority=_priority(rng, spec.kind, channel))
        story = Story(cast=cast, clock=clock, case=case, start=spec.opened_at, steps=STEPS[spec.kind])
        STORIES[spec.kind](story, spec.outcome)
        created.append(story.case)
    return created
