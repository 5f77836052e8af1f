"""Notice texts from templates (NotificationTemplate, else the built-in defaults) in the
recipient's language.

Templates are Django template syntax rendered by a separate engine with no template loaders
and no tag libraries beyond the built-in ones, over a context of plain strings built here from
THIS case and THIS client only: no model instances (nothing to walk from a case to another
client), never an internal note, a transition's comment only where it is written to the client
(cases.models.workflows.CLIENT_FACING_COMMENTS: a step's comment, a decline's reasons), never a
proposal that has not been approved."""

import datetime
import logging

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, TextNode, Variable
from django.template.defaulttags import DebugNode, TemplateLiteral, URLNode
from django.template.loader_tags import ExtendsNode, IncludeNode
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from notifications.defaults import DEFAULT_TEMPLATES, FALLBACK_TEMPLATE
from servicedesk.formats import money

logger = logging.getLogger(__name__)

#: Text templates: no autoescaping (HTML e-mails escape the whole text when they wrap it).
ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, debug=False)

#: What a template may use (shown in the admin next to the editor).
CONTEXT_HELP = {
    "case_number": _("case number (CS-2026-000123)"),
    "case_subject": _("the case's subject"),
    "case_kind": _("kind of case"),
    "case_state": _("the case's state now"),
    "previous_state": _("the state before a state change"),
    "transition": _("the step taken (state changes)"),
    "comment": _("what we wrote to the client with the step (state changes)"),
    "message": _("the public reply (replies only)"),
    "client_name": _("the client's name"),
    "client_no": _("the client's number"),
    "account_no": _("credit account number"),
    "ratio": _("maintenance collateral ratio, %"),
    "level": _("the line crossed (alerts; margin calls: only below the immediate close-out line)"),
    "line": _("the value of the line crossed, % (alerts; raised by a stress mode while one is set)"),
    "cash": _("cash to add"),
    "sell": _("securities to sell and repay (empty when no sale restores the line)"),
    "deadline": _("margin-call deadline (margin calls; relief requests approved: the new deadline)"),
    "due_date": _("due date (reminders)"),
    "days": _("days until the due date (reminders); days the rating link is valid (rating requests)"),
    "metric": _("SLA metric (staff notices)"),
    "request_kind": _("extension, relief or staged_repayment (decisions on requests)"),
    "maturity": _("the contract's maturity after the decision (extension requests)"),
    "matured": _("set when that maturity had passed already (extension requests declined)"),
    "trading_days": _("trading days the top-up deadline moves (relief requests approved)"),
    "reasons": _("our reasons, as the supervisor wrote them to the client (requests declined)"),
    "link": _("the link to rate the case (rating requests)"),
    "notice": _("the notice whose e-mail bounced (bounces, to staff)"),
    "address": _("the e-mail address it was sent to (bounces, to staff)"),
    "bounce_reason": _("what the client's mail system answered (bounces, to staff)"),
}
#: The lines of a margin alert, as the monitoring's own notices name them.
LEVEL_LABELS = {"attention": _("attention"), "warning": _("warning"), "close_out": _("close-out"),
                "immediate": _("immediate close-out")}
#: Tags a notice's text may not use: no template to include or extend (the engine has no loaders),
#: no dump of the server's context and modules, no path of the site's own (a notice's links are its
#: `link`, made for the reader: `{% url 'admin:index' %}` wrote an internal path to clients).
REFUSED_TAGS = {IncludeNode: "include", ExtendsNode: "extends", DebugNode: "debug", URLNode: "url"}
#: What Django leaves as plain text when a tag is not closed (or not opened): sent as typed.
TAG_MARKS = ("{{", "}}", "{%", "%}", "{#", "#}")
#: Keys of a notification's data that may reach the text, as they are.
DATA_KEYS = ("account_no", "ratio", "level", "line", "cash", "sell", "deadline", "due_date", "days", "metric",
             "comment", "request_kind", "trading_days", "reasons", "link", "matured", "address", "bounce_reason")


def compile_errors(subject: str, body: str) -> dict[str, str]:
    """{"subject"|"body": error} for the texts that are not valid templates, or that use a name
    no notice has (a typo, `{{ reason }}`, printed nothing in every notice sent)."""
    errors = {}
    for name, text in (("subject", subject), ("body", body)):
        try:
            template = ENGINE.from_string(text or "")
        except TemplateSyntaxError as error:
            errors[name] = _("Not a valid template: %(error)s") % {"error": error}
            continue
        if broken := sorted({mark for node in template.nodelist.get_nodes_by_type(TextNode)
                             for mark in TAG_MARKS if mark in node.s}, key=TAG_MARKS.index):
            # "{{ case_number" or "{ case_number }}" compiles as plain text: every notice sent would show it
            errors[name] = _("A placeholder or tag is not closed or not opened (%(marks)s): the text would be sent "
                             "as typed. Write {{ name }} or {%% tag %%}.") % {"marks": " ".join(broken)}
            continue
        if refused := sorted({tag for node_type, tag in REFUSED_TAGS.items()
                              if template.nodelist.get_nodes_by_type(node_type)}):
            # compiled, but always failed when sent (the built-in text went instead) or printed
            # the server's modules to the client
            errors[name] = _("A notice's text cannot use {%% %(tags)s %%}.") % {"tags": " %}, {% ".join(refused)}
            continue
        if unknown := sorted(used_names(template) - set(CONTEXT_HELP)):
            errors[name] = _("Unknown placeholder(s): %(names)s. A notice has: %(known)s.") % {
                "names": ", ".join(unknown), "known": ", ".join(CONTEXT_HELP)}
    return errors


def used_names(template) -> set[str]:
    """The context names a compiled template reads (in every branch), less those it binds itself
    ({% for %}, {% with %})."""
    used, bound = set(), {"forloop"}

    def expression(filter_expression) -> None:
        if filter_expression is None:
            return
        variable(filter_expression.var)
        for _function, arguments in filter_expression.filters:
            for is_variable, argument in arguments:
                if is_variable:
                    variable(argument)

    def variable(value) -> None:
        if isinstance(value, Variable) and value.lookups:
            used.add(value.lookups[0])

    def condition(node) -> None:  # an {% if %} condition: operators over literals
        if node is None:
            return
        if isinstance(node, TemplateLiteral):
            expression(node.value)
        condition(getattr(node, "first", None))
        condition(getattr(node, "second", None))

    for node in template.nodelist.get_nodes_by_type(Node):
        expression(getattr(node, "filter_expression", None))
        expression(getattr(node, "sequence", None))
        for test, _nodelist in getattr(node, "conditions_nodelists", ()):
            condition(test)
        for name, value in (getattr(node, "extra_context", None) or {}).items():
            bound.add(name)
            expression(value)
        bound.update(getattr(node, "loopvars", ()))
        # {% firstof %}, {% cycle %}, {% ifchanged %}, {% url %}, {% widthratio %}, {% regroup %}
        for attribute in ("vars", "cyclevars", "_varlist", "args"):
            for value in getattr(node, attribute, None) or ():
                expression(value)
        for attribute in ("val_expr", "max_expr", "max_width", "target", "view_name"):
            expression(getattr(node, attribute, None))
        for attribute in ("variable_name", "var_name", "asvar"):
            if isinstance(getattr(node, attribute, None), str):
                bound.add(getattr(node, attribute))
    return used - bound


def _money(value) -> str:
    try:
        return money(value)  # "¥314,287.02", as the pages write it
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def _ratio(value) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number * 100:.2f}" if number < 20 else f"{number:.2f}"  # a fraction (1.35) or a percent


def _date(value) -> str:
    """An ISO date ("2026-08-22") as the active language writes it ("Aug. 22, 2026")."""
    try:
        return formats.date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value)


def _moment(value) -> str:
    """A moment (a datetime, or one in ISO form) in Asia/Shanghai as the active language writes date and
    time ("Dec. 3, 2026, 3 p.m.", "2026年12月3日 15:00"): a margin call's deadline in every notice."""
    try:
        moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    except ValueError:  # not a moment, or one without its offset: as it is
        return str(value)


def build_context(*, event: str, case=None, client=None, data: dict | None = None) -> dict[str, str]:
    """The template context, in the active language. `client` defaults to the case's client."""
    from cases.models import CaseMessage
    from cases.models.workflows import state_label

    data = data or {}
    context: dict[str, str] = {key: "" for key in CONTEXT_HELP}
    client = client if client is not None else (case.client if case is not None else None)
    if client is not None:
        context.update(client_name=client.name, client_no=client.client_no)
    if case is not None:
        context.update(case_number=case.number, case_subject=case.subject,
                       case_kind=str(case.get_kind_display()),
                       case_state=str(state_label(case.kind, data.get("to") or case.state)))
        if event == "case_state_changed" and data.get("to") == case.state:
            from cases.web.portal.plain import case_status

            context["case_state"] = str(case_status(case).label)  # the client's words, as the portal says it
        if data.get("from"):
            context["previous_state"] = str(state_label(case.kind, data["from"]))
        if data.get("transition_label"):
            context["transition"] = str(data["transition_label"])
        if case.credit_account_id:
            context["account_no"] = case.credit_account.account_no
        margin_call = _margin_call(case)
        if margin_call is not None:
            context["cash"] = _money(margin_call.top_up_cash)
            # empty when no sale restores the line: the margin-call text then asks for cash alone
            context["sell"] = _money(margin_call.top_up_sell) if margin_call.top_up_sell else ""
            if margin_call.deadline:
                context["deadline"] = _moment(margin_call.deadline)
        message_id = data.get("message_id")
        if message_id and event == "case_reply":
            message = CaseMessage.objects.filter(pk=message_id, case=case,
                                                 visibility=CaseMessage.Visibility.PUBLIC).first()
            context["message"] = message.body if message is not None else ""
    if data.get("deadline") and not context["deadline"]:  # the deadline a relief's approval moved to
        context["deadline"] = _moment(data["deadline"])
    for key in DATA_KEYS:
        if data.get(key) not in (None, "") and not context.get(key):
            context[key] = str(data[key])
    if not context["account_no"] and data.get("account"):
        context["account_no"] = str(data["account"])
    if not context["days"] and data.get("days_before") not in (None, ""):
        context["days"] = str(data["days_before"])
    if context["level"] in LEVEL_LABELS:
        context["level"] = str(LEVEL_LABELS[context["level"]])
    if context["metric"]:
        from cases.models import Metric

        context["metric"] = str(dict(Metric.choices).get(context["metric"], context["metric"]))
    for key in ("ratio", "line"):
        if context[key]:
            context[key] = _ratio(context[key])
    if data.get("maturity"):
        context["maturity"] = _date(data["maturity"])
    if data.get("notice_event"):  # a bounce: the notice that did not arrive, named in the reader's language
        from notifications.events import event_label

        context["notice"] = event_label(data["notice_event"])
    return context


def _margin_call(case):
    if case.kind != "margin_call":
        return None
    try:
        return case.margin_call
    except Exception:  # no details row (yet)
        return None


def find_template(event: str, language: str, channel: str, templates: dict | None = None) -> tuple[str, str]:
    """(subject, body) template source: the best active NotificationTemplate (this language
    before the default one, this channel before "all"), else the built-in default. `templates`:
    a dict to remember the answers in (for one response rendering many rows)."""
    if templates is not None:
        key = (event, language, channel)
        if key not in templates:
            templates[key] = find_template(event, language, channel)
        return templates[key]
    from notifications.models import NotificationTemplate

    languages = [language, settings.LANGUAGE_CODE]
    rows = list(NotificationTemplate.objects.filter(event=event, is_active=True, language__in=languages,
                                                    channel__in=[channel, ""]))
    if rows:
        rows.sort(key=lambda row: (languages.index(row.language), row.channel != channel))
        return rows[0].subject, rows[0].body
    built_in = DEFAULT_TEMPLATES.get(event, {})
    return built_in.get(language) or built_in.get(settings.LANGUAGE_CODE) or FALLBACK_TEMPLATE[
        language if language in FALLBACK_TEMPLATE else "en"]


def render_source(subject: str, body: str, context: dict) -> tuple[str, str]:
    rendered_subject = ENGINE.from_string(subject or "").render(Context(context, autoescape=False))
    rendered_body = ENGINE.from_string(body or "").render(Context(context, autoescape=False))
    return " ".join(rendered_subject.split())[:200], rendered_body.strip()


def _rendered(event: str, language: str, channel: str, context: dict, templates: dict | None = None):
    subject, body = find_template(event, language, channel, templates)
    try:
        return render_source(subject, body, context)
    except Exception:  # valid when saved, so only a bug would do that: the built-in text instead
        logger.exception("Notification template %s/%s/%s failed; using the built-in text", event, language, channel)
        built_in = DEFAULT_TEMPLATES.get(event, {}).get(language) or FALLBACK_TEMPLATE["en"]
        return render_source(*built_in, context)


def render_for_rows(*, event: str, language: str, channel: str, values: dict[str, str]) -> tuple[str, str]:
    """Subject and text of a notice written set-based (one INSERT … SELECT for many clients), from
    the event's template in `language` like any other notice: `values` are what every row shares
    and, for what differs per row (an account number), markers the writer's SQL replaces."""
    with translation.override(language):
        context = {key: "" for key in CONTEXT_HELP}
        context.update({key: str(value) for key, value in values.items()})
        if context["level"] in LEVEL_LABELS:
            context["level"] = str(LEVEL_LABELS[context["level"]])
        return _rendered(event, language, channel, context)


def render(*, event: str, language: str, channel: str, case=None, client=None, data=None,
           templates: dict | None = None) -> tuple[str, str]:
    """Subject and text of a notice, in `language`. A template that fails to render (it was
    valid when saved, so only a bug would do that) falls back to the built-in text."""
    with translation.override(language):
        context = build_context(event=event, case=case, client=client, data=data)
        return _rendered(event, language, channel, context, templates)
