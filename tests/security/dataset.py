"""The data set the authorization sweep walks: two clients, each with credit accounts and cases of
every kind (public replies, internal notes, attachments, SLA timers, a margin call with a logged
call, requests waiting for a supervisor), queues with an agent inside and one outside, in-app
notices for everyone, return visits, a stress test, knowledge articles for each audience and a
rating link. Written through the services, like production data.

Every text a user can edit carries the XSS payloads, and everything a client must never see
carries a marker (`SECRET_MARKERS`), so the sweep can look for both in every response."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal as D

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Queue, Tier, User
from accounts.roles import Role
from cases.models import ReturnVisit, SlaPolicy
from cases.services import case_assign, case_create, case_transition, message_create
from cases.services.ratings import rating_token
from cases.services.requests import request_create
from cases.services.visits import return_visit_schedule
from knowledge.models import Article, Category
from notifications.models import Notification
from notifications.services import notification_queue
from risk import stress
from risk.monitoring import monitor_accounts
from risk.services import margin_call_contact_record
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory

#: What an attacker would type into any text field.
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
XSS = f"{SCRIPT}{IMG}"
#: What a page shows when it forgets to escape them (escaped, "<" is "&lt;" and neither matches).
RAW_XSS = ("<script>alert(1)", "<img src=x onerror=alert(1)")

INTERNAL_NOTE = "INTERNAL-NOTE-SECRET"
STAFF_COMMENT = "STAFF-COMMENT-SECRET"
PROPOSAL = "PROPOSAL-SECRET"
CALL_NOTE = "CALL-NOTE-SECRET"
QUEUE_NAME = "QUEUE-SECRET"
SLA_POLICY = "SLA-POLICY-SECRET"
ASSIGNEE = "ASSIGNEE-SECRET"
VISIT = "VISIT-SECRET"
#: Texts only staff may read: they must never reach a client's screen or API response.
SECRET_MARKERS = (INTERNAL_NOTE, STAFF_COMMENT, PROPOSAL, CALL_NOTE, QUEUE_NAME, SLA_POLICY, ASSIGNEE, VISIT)

PASSWORD = "pass-word-123"
ROLES = ("anonymous", "client", "agent", "advisor", "team_lead", "supervisor", "risk_officer", "auditor",
         "agent_outside")  # the last: an agent in no queue, who sees only the case assigned to them


@dataclass
class ClientWorld:
    """One client and everything about them."""

    profile: object
    user: User
    account: object  # healthy, maturing in 10 days (an extension request is about it)
    margin_account: object  # below the close-out line: an open margin call
    ticket: object  # open, assigned to the assignee, with replies, an internal note and attachments
    dispute: object  # a resolution proposed, not yet approved
    extension: object  # under review, a decline proposed (waiting for a supervisor)
    relief: object  # submitted, about the margin call
    margin_call: object
    resolved: object  # a resolved ticket (the rating link is for it)
    public_attachment: object
    internal_attachment: object
    client_attachment: object
    dispute_attachment: object
    notice: Notification  # an in-app notice to the client
    strings: tuple = ()  # what identifies this client: another client must never see any of it


@dataclass
class World:
    a: ClientWorld
    b: ClientWorld
    users: dict  # role → the user walking the sweep as that role (None: anonymous)
    staff: dict  # name → other staff users
    notices: dict  # username → an in-app notice to that user
    visit_unassigned: ReturnVisit
    visit_other_agent: ReturnVisit
    stress_test: object
    article_public: Article
    article_clients: Article
    article_unpublished: Article
    category: Category
    rating_token: str
    extras: dict = field(default_factory=dict)


def _upload(name: str, content: bytes = b"%PDF-1.4\n% sweep\n", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _staff(username: str, roles, queues=(), first_name: str = "", last_name: str = "") -> User:
    user = UserFactory(username=username, roles=roles, first_name=first_name, last_name=last_name)
    for code in queues:
        Queue.objects.get(code=code).members.add(user)
    return user


def _client(tag: str, name: str, advisor=None):
    profile = ClientProfileFactory(
        user=UserFactory(username=f"sweep_client_{tag.lower()}", roles=[Role.CLIENT]),
        client_no=f"SWEEP-CLIENT-{tag}", name=name, id_number=f"1101011980010{tag}777"[:18],
        phone=f"1390000{ord(tag):04d}", email=f"sweep-{tag.lower()}@example.com", tier=Tier.STANDARD,
        advisor=advisor)
    return profile


def _notice(user: User, case=None) -> Notification:
    return notification_queue(event="case_reply", channel=Notification.Channel.IN_APP, recipient_user=user,
                              case=case, subject=f"notice {XSS}", body=f"notice {XSS}")


def _client_world(tag, *, name, advisor, staff, security, margin_security) -> ClientWorld:
    agent, assignee, supervisor, disputes_agent, risk = (
        staff["agent"], staff["assignee"], staff["supervisor"], staff["disputes_agent"], staff["risk_officer"])
    profile = _client(tag, name, advisor=advisor)
    user = profile.user
    today = datetime.date.today()
    account = CreditAccountFactory(client=profile, account_no=f"SWEEPACC-{tag}1", contract_no=f"SWEEP-HT-{tag}1",
                                   financing_debt=D("100000.00"), contract_maturity=today + datetime.timedelta(days=10))
    PositionFactory(account=account, security=security, quantity=10000)
    margin_account = CreditAccountFactory(client=profile, account_no=f"SWEEPACC-{tag}2",
                                          contract_no=f"SWEEP-HT-{tag}2", financing_debt=D("100000.00"))
    PositionFactory(account=margin_account, security=margin_security, quantity=10000)

    # The ticket: opened by the client on the portal, worked by the assignee.
    ticket = case_create(created_by=user, client=profile, kind="ticket", subject=f"{tag} ticket {XSS}",
                         description=f"{tag} description {XSS}", category="account", credit_account=account)
    ticket = case_assign(case=ticket, user=supervisor, assignee=assignee)
    message_create(case=ticket, author=agent, body=f"public staff reply {XSS}",
                   attachments=[_upload(f"reply-{tag}.pdf")])
    message_create(case=ticket, author=assignee, body=f"{INTERNAL_NOTE} {XSS}", internal=True,
                   attachments=[_upload(f"{INTERNAL_NOTE}-{tag}.pdf")])
    message_create(case=ticket, author=user, body=f"client reply {XSS}", attachments=[_upload(f"client-{tag}.pdf")])
    # What the agent asks of the client is written to the client (CLIENT_FACING_COMMENTS): not a staff secret.
    ticket = case_transition(case=ticket, user=assignee, name="wait_on_client", comment=f"please send {XSS}")
    ticket = case_transition(case=ticket, user=None, name="resume", comment="")
    attachments = {m.visibility + m.source: m.attachments.get() for m in ticket.messages.all()}

    # The dispute: to the disputes queue (and the client's advisor, if any), a resolution proposed.
    dispute = case_create(created_by=user, client=profile, kind="dispute", subject=f"{tag} dispute {XSS}",
                          description=f"dispute {XSS}", category="interest_fee", credit_account=account)
    worker = dispute.assignee or disputes_agent
    if dispute.assignee is None:
        dispute = case_assign(case=dispute, user=supervisor, assignee=disputes_agent)
    for name in ("acknowledge", "investigate"):
        dispute = case_transition(case=dispute, user=worker, name=name, comment=f"{STAFF_COMMENT} {XSS}")
    dispute = case_transition(case=dispute, user=worker, name="propose_resolution", comment=f"{PROPOSAL} {XSS}")
    dispute_message = message_create(case=dispute, author=user, body=f"dispute evidence {XSS}",
                                     attachments=[_upload(f"evidence-{tag}.pdf")])

    # The extension request: under review, the agent proposes to decline (a supervisor decides).
    extension = request_create(created_by=user, client=profile, kind="extension", subject=f"{tag} extension {XSS}",
                               description=f"extension {XSS}", credit_account=account)
    extension = case_transition(case=extension, user=agent, name="start_review", comment=f"{STAFF_COMMENT} {XSS}")
    extension = case_transition(case=extension, user=agent, name="propose_decline", comment=f"{PROPOSAL} {XSS}")

    # A resolved ticket: its rating link.
    resolved = case_create(created_by=user, client=profile, kind="ticket", subject=f"{tag} resolved {XSS}",
                           description=f"resolved {XSS}")
    resolved = case_assign(case=resolved, user=supervisor, assignee=assignee)
    resolved = case_transition(case=resolved, user=assignee, name="resolve", comment=f"{STAFF_COMMENT} {XSS}")

    world = ClientWorld(
        profile=profile, user=user, account=account, margin_account=margin_account, ticket=ticket, dispute=dispute,
        extension=extension, relief=None, margin_call=None, resolved=resolved,
        public_attachment=attachments["publicstaff"], internal_attachment=attachments["internalstaff"],
        client_attachment=attachments["publicclient"], dispute_attachment=dispute_message.attachments.get(),
        notice=_notice(user, ticket))
    return world


def _after_margin_calls(world: ClientWorld, staff) -> None:
    from cases.models import Case

    margin_call = Case.objects.get(credit_account=world.margin_account, kind="margin_call").as_workflow()
    margin_call_contact_record(case=margin_call, user=staff["agent"], outcome="no_answer",
                               note=f"{CALL_NOTE} {XSS}")
    world.margin_call = margin_call
    world.relief = request_create(created_by=world.user, client=world.profile, kind="relief",
                                  subject=f"relief {XSS}", description=f"relief {XSS}",
                                  credit_account=world.margin_account, requested_days=2)
    profile = world.profile
    world.strings = tuple(str(value) for value in (
        profile.client_no, profile.id_number, profile.phone, profile.email, world.account.account_no,
        world.margin_account.account_no, world.account.contract_no, world.ticket.number, world.dispute.number,
        world.extension.number, world.relief.number, world.margin_call.number, world.resolved.number,
        world.public_attachment.original_name, world.client_attachment.original_name,
        world.dispute_attachment.original_name))


def build_world() -> World:
    """Create the data set (call inside a test with database access, time frozen on a trading day)."""
    for queue in Queue.objects.all():
        queue.name, queue.name_en = f"{QUEUE_NAME} {queue.code} {XSS}", f"{QUEUE_NAME} {queue.code} {XSS}"
        queue.save()
    SlaPolicy.objects.update(name=f"{SLA_POLICY} {XSS}"[:100], name_en=f"{SLA_POLICY} {XSS}"[:100])

    staff = {
        "agent": _staff("sweep_agent", [Role.AGENT], ["general"], first_name=f"Agent {XSS}"[:150]),
        "assignee": _staff("sweep_assignee", [Role.AGENT], ["general"], first_name=ASSIGNEE, last_name=XSS),
        "disputes_agent": _staff("sweep_disputes_agent", [Role.AGENT], ["disputes"]),
        "outsider": _staff("sweep_outsider", [Role.AGENT]),
        "advisor": _staff("sweep_advisor", [Role.ADVISOR], first_name=f"Advisor {XSS}"),
        "team_lead": _staff("sweep_team_lead", [Role.TEAM_LEAD], ["general"]),
        "supervisor": _staff("sweep_supervisor", [Role.SUPERVISOR]),
        "supervisor2": _staff("sweep_supervisor2", [Role.SUPERVISOR]),
        "risk_officer": _staff("sweep_risk_officer", [Role.RISK_OFFICER]),
        "auditor": _staff("sweep_auditor", [Role.AUDITOR]),
    }
    security = SecurityFactory(symbol="SWEEP01", name=f"security {XSS}"[:100], price=D("20.00"))
    margin_security = SecurityFactory(symbol="SWEEP02", name=f"falling {XSS}"[:100], price=D("20.00"))

    a = _client_world("A", name=f"客户甲 {XSS}", advisor=staff["advisor"], staff=staff, security=security,
                      margin_security=margin_security)
    b = _client_world("B", name=f"BETA-NAME 客户乙 {XSS}", advisor=None, staff=staff, security=security,
                      margin_security=margin_security)

    # The monitoring: at 20.00 every ratio is 200 %; at 12.00 the margin accounts fall to 120 %,
    # below the close-out line: one margin call each, with a deadline.
    monitor_accounts(trigger="sweep")
    margin_security.price = D("12.00")
    margin_security.save()
    monitor_accounts(trigger="sweep")
    for world in (a, b):
        _after_margin_calls(world, staff)
    # The agent works client A's margin call; client B's stays in the risk queue.
    a.margin_call = case_assign(case=a.margin_call, user=staff["supervisor"], assignee=staff["agent"])

    # Return visits: one nobody has taken yet (any agent may), one for the disputes agent.
    visit_unassigned = ReturnVisit.objects.create(client=a.profile, case=None, reason=ReturnVisit.Reason.HNW_QUARTERLY,
                                                  due_date=datetime.date.today(), outcome="")
    visit_other_agent = return_visit_schedule(case=b.dispute, reason=ReturnVisit.Reason.DISPUTE_RESOLVED)
    ReturnVisit.objects.filter(pk=visit_other_agent.pk).update(assigned_to=staff["disputes_agent"],
                                                               outcome=f"{VISIT} {XSS}")

    stress_test = stress.stress_test_run(user=staff["risk_officer"], market_shock=D("-0.10"))

    category = Category.objects.create(code="sweep", name=f"分类 {XSS}", name_en=f"category {XSS}",
                                       case_categories="account")
    article_public = Article.objects.create(
        slug="sweep-public", category=category, title_zh=f"公开 {XSS}", body_zh=f"正文 {XSS}",
        title_en=f"public {XSS}", body_en=f"body {XSS}", keywords="sweep", audience=Article.Audience.PUBLIC)
    article_clients = Article.objects.create(
        slug="sweep-clients", category=category, title_zh=f"客户 {XSS}", body_zh=f"正文 {XSS}",
        title_en=f"clients {XSS}", body_en=f"body {XSS}", audience=Article.Audience.CLIENTS)
    article_unpublished = Article.objects.create(
        slug="sweep-draft", category=category, title_zh=f"草稿 {XSS}", body_zh=f"正文 {XSS}",
        title_en=f"draft {XSS}", body_en=f"body {XSS}", is_published=False)

    # The agent outside every queue works one ticket of client B's, assigned to them.
    outside = case_create(created_by=b.user, client=b.profile, kind="ticket", subject=f"assigned {XSS}",
                          description=f"assigned {XSS}")
    outside = case_assign(case=outside, user=staff["supervisor"], assignee=staff["outsider"])
    outside_message = message_create(case=outside, author=b.user, body=f"to the outsider {XSS}",
                                     attachments=[_upload("outsider.pdf")])

    users = {"anonymous": None, "client": a.user, "agent_outside": staff["outsider"]}
    users.update({role: staff[role] for role in ROLES[2:-1]})
    notices = {user.username: _notice(user, a.ticket) for user in staff.values()}
    notices[a.user.username], notices[b.user.username] = a.notice, b.notice
    return World(a=a, b=b, users=users, staff=staff, notices=notices, visit_unassigned=visit_unassigned,
                 visit_other_agent=visit_other_agent, stress_test=stress_test, article_public=article_public,
                 article_clients=article_clients, article_unpublished=article_unpublished, category=category,
                 rating_token=rating_token(a.resolved),
                 extras={"outside_ticket": outside, "outside_attachment": outside_message.attachments.get()})
