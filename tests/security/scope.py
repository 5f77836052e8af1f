"""What the sweep fills path parameters with: for each role, an object inside its scope and objects
outside it, and a value that names nothing.

A route whose parameter is not in PARAM_KINDS (by name) or ROUTE_PARAM_KINDS (by route name and
parameter, where the name alone does not say what the value is) fails the sweep: add it here,
with in-scope and out-of-scope values for every role."""

from dataclasses import dataclass

from accounts.roles import Role
from tests.security.dataset import World

#: path parameter → the kind of object it names.
PARAM_KINDS = {
    "number": "case",
    "account_no": "account",
    "token": "rating_token",
    "slug": "article",
    "name": "transition",
    "kind": "case_kind",
    "code": "calendar",
    "year": "calendar_year",
}
#: (URL name, parameter) → kind, where the parameter's name is not enough (`pk` of what?).
ROUTE_PARAM_KINDS = {
    ("notification-read", "pk"): "notification",
    ("open", "pk"): "notification",  # notifications_web:open, the web bell's
    ("return-visit-complete", "pk"): "return_visit",
    ("visit_record", "pk"): "return_visit",  # console:visit_record
    ("risk-stress-test", "pk"): "stress_test",
    ("attachment-download", "pk"): "attachment",
    ("case-calls", "number"): "margin_call",
    ("stress_test", "pk"): "stress_test",
    ("stress_test_outreach", "pk"): "stress_test",
    # an attachment in the URL of a case (/cases/<number>/attachments/<pk>/): of that case, or 404
    ("case_attachment", "pk"): "case_attachment",
    ("attachment", "pk"): "case_attachment",
    ("case_part", "part"): "case_part",
    ("export", "table"): "dashboard_table",
}
#: Values that name nothing (what an object outside one's scope must look like).
MISSING = {
    "case": "CS-1999-999999",
    "margin_call": "CS-1999-999998",
    "account": "SWEEPACC-NONE",
    "rating_token": "1:1tampered:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "article": "sweep-no-such-article",
    "notification": 987654321,
    "return_visit": 987654321,
    "stress_test": 987654321,
    "attachment": 987654321,
    "case_attachment": 987654321,
}


def _case_parts():
    from cases.web.case_page.views import PARTS

    return PARTS


def _dashboard_tables():
    from cases.web.supervisor.dashboard_tables import TABLES

    return tuple(TABLES)


#: Not a scope: the values that fit everyone, each walked (a transition that exists in the case's
#: current state, every part of the case page, every table of the dashboard...).
UNSCOPED = {
    "transition": lambda: ("cancel",),
    "case_kind": lambda: ("ticket", "dispute", "extension", "relief"),
    "calendar": lambda: ("working", "trading"),
    "calendar_year": lambda: (2026,),
    "case_part": _case_parts,
    "dashboard_table": _dashboard_tables,
}

SEE_EVERYTHING = {Role.SUPERVISOR, Role.RISK_OFFICER, Role.AUDITOR}


@dataclass(frozen=True)
class Values:
    inside: tuple  # values inside the role's scope (several for a parameter that is not a scope)
    outside: tuple  # values outside it (empty: the role sees every such object)
    missing: object  # a value naming nothing (None: not a scope)


def kind_of(route, param: str) -> str | None:
    base = route.name.rsplit(":", 1)[-1]
    return ROUTE_PARAM_KINDS.get((route.name, param)) or ROUTE_PARAM_KINDS.get((base, param)) or PARAM_KINDS.get(param)


def values_for(world: World, role: str, kind: str) -> Values:
    a, b = world.a, world.b
    if kind in UNSCOPED:
        return Values(tuple(UNSCOPED[kind]()), (), None)
    user = world.users[role]
    sees_all = role in SEE_EVERYTHING or role == "anonymous"
    pick = {
        # Agents and team leads: the general queue (client A's ticket is there; client B's dispute is in
        # the disputes queue, assigned to another agent). The advisor: client A's cases.
        "case": (a.ticket.number, {
            "client": [b.ticket.number, b.dispute.number], "agent": [b.dispute.number],
            "team_lead": [b.dispute.number], "advisor": [b.ticket.number, b.dispute.number]}),
        # Client A's margin call is assigned to the agent; client B's waits in the risk queue.
        "margin_call": (a.margin_call.number, {
            "client": [b.margin_call.number], "agent": [b.margin_call.number], "advisor": [b.margin_call.number],
            "team_lead": [b.margin_call.number]}),
        "account": (a.account.account_no, {
            "client": [b.account.account_no, b.margin_account.account_no], "advisor": [b.account.account_no]}),
        "rating_token": (world.rating_token, {}),
        "article": (world.article_public.slug, {"anonymous": [world.article_clients.slug]}),
        "notification": (world.notices[user.username].pk if user else a.notice.pk, {
            role: [b.notice.pk, world.notices["sweep_supervisor2"].pk] for role in world.users}),
        "return_visit": (world.visit_unassigned.pk, {
            "agent": [world.visit_other_agent.pk], "advisor": [world.visit_other_agent.pk]}),
        "stress_test": (world.stress_test.pk, {}),
        "attachment": (a.public_attachment.pk, {
            "client": [a.internal_attachment.pk, b.public_attachment.pk, b.dispute_attachment.pk],
            "agent": [b.dispute_attachment.pk], "team_lead": [b.dispute_attachment.pk],
            "advisor": [b.public_attachment.pk, b.dispute_attachment.pk]}),
        # In the URL of client A's ticket: another case's attachment is not there for anyone.
        "case_attachment": (a.public_attachment.pk, {
            "client": [a.internal_attachment.pk, b.public_attachment.pk, a.dispute_attachment.pk],
            **{role: [b.dispute_attachment.pk, a.dispute_attachment.pk] for role in world.users if role != "client"}}),
    }
    if role == "agent_outside":  # in no queue: only the ticket assigned to them
        ticket, attachment = world.extras["outside_ticket"], world.extras["outside_attachment"]
        pick.update({
            "case": (ticket.number, {role: [a.ticket.number, b.dispute.number, b.ticket.number]}),
            "margin_call": (ticket.number, {role: [a.margin_call.number, b.margin_call.number]}),
            "attachment": (attachment.pk, {role: [a.public_attachment.pk, b.dispute_attachment.pk]}),
            "case_attachment": (attachment.pk, {role: [a.public_attachment.pk, b.public_attachment.pk]}),
            "return_visit": (world.visit_unassigned.pk, {role: [world.visit_other_agent.pk]}),
        })
    inside, outside = pick[kind]
    out = list(outside.get(role, []))
    if kind == "article":
        out.append(world.article_unpublished.slug)
    if kind == "notification" and role == "anonymous":
        out = []
    if sees_all and kind not in ("article", "notification", "case_attachment"):
        out = []
    return Values((inside,), tuple(out), MISSING[kind])
