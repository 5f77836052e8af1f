"""The notice texts shipped by default, per event and language (zh-hans, en): written into
NotificationTemplate after every migrate when missing, where supervisors edit them; also the
fallback when no active template matches. To stop using a text, edit it or deactivate it and
add a better one: a deleted default comes back on the next migrate.

Events: case_created (acknowledgement), case_reply (a public reply from staff),
case_state_changed (steps the client cares about), case_client_reply, sla_warning and
liquidation_decision_due (in-app, to staff: a margin call past its deadline, for the risk
officers), margin_alert, margin_call, margin_call_restored, margin_call_deadline_passed (the
client of a call past its deadline: liquidation may follow), margin_call_deadline_moved (the
trading calendar closed a day counted to a call's deadline: it moves later), contract_maturity_reminder,
interest_settlement_reminder, request_approved and request_declined (the decision on an extension
or relief request: one text per language, its branches chosen by request_kind), rating_request
(the link to rate a resolved case), notice_bounced (in-app, to the staff who must call a client
whose e-mail notice bounced: notifications.bounces). The e-mail channel adds [case number] to the subject of every
case e-mail that lacks it (inbound threading relies on it)."""

# {event: {language: (subject, body)}}; Django template syntax, context in rendering.CONTEXT_HELP.
DEFAULT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "case_created": {
        "zh-hans": ("[{{ case_number }}] 我们已收到您的{{ case_kind }}",
                    "尊敬的{{ client_name }}：\n\n我们已收到您的{{ case_kind }}“{{ case_subject }}”，编号 "
                    "{{ case_number }}。我们会尽快处理并答复您。\n\n如需补充，请在回复中保留编号 {{ case_number }}。"),
        "en": ("[{{ case_number }}] We have received your request",
               "Dear {{ client_name }},\n\nWe have received your request “{{ case_subject }}” "
               "({{ case_kind }}) and registered it as {{ case_number }}. We will get back to you as soon as "
               "we can.\n\nPlease keep {{ case_number }} in the subject of any reply."),
    },
    "case_reply": {
        "zh-hans": ("[{{ case_number }}] 新回复：{{ case_subject }}",
                    "尊敬的{{ client_name }}：\n\n您的事项 {{ case_number }}“{{ case_subject }}”有新的回复：\n\n"
                    "{{ message }}\n\n您可以登录客户门户查看和回复。"),
        "en": ("[{{ case_number }}] New reply: {{ case_subject }}",
               "Dear {{ client_name }},\n\nThere is a new reply on your case {{ case_number }} "
               "“{{ case_subject }}”:\n\n{{ message }}\n\nYou can read it and answer in the client portal."),
    },
    "case_state_changed": {
        "zh-hans": ("[{{ case_number }}] {{ case_subject }}：{{ case_state }}",
                    "尊敬的{{ client_name }}：\n\n您的事项 {{ case_number }}“{{ case_subject }}”当前状态："
                    "{{ case_state }}。{% if comment %}\n\n{{ comment }}{% endif %}\n\n详情请登录客户门户查看。"),
        "en": ("[{{ case_number }}] {{ case_subject }}: {{ case_state }}",
               "Dear {{ client_name }},\n\nYour case {{ case_number }} “{{ case_subject }}” is now: "
               "{{ case_state }}.{% if comment %}\n\n{{ comment }}{% endif %}\n\nSee the client portal for the "
               "details."),
    },
    "case_client_reply": {
        "zh-hans": ("{{ case_number }}：客户已回复", "{{ client_name }} 回复了 {{ case_number }}“{{ case_subject }}”。"),
        "en": ("{{ case_number }}: the client replied",
               "{{ client_name }} replied on {{ case_number }} “{{ case_subject }}”."),
    },
    # At 100 % the target is breached and the case escalated: said as such, not as "100 % used".
    "sla_warning": {
        "zh-hans": ("{{ case_number }}：{{ metric }} {% if level == '100' %}已超时{% else %}已用 {{ level }}%{% endif %}",
                    "{{ case_number }}“{{ case_subject }}”：{% if level == '100' %}{{ metric }} 已超过目标时限，案件已升级。"
                    "{% else %}{{ metric }} 已用去目标时限的 {{ level }}%。{% endif %}"),
        "en": ("{{ case_number }}: {{ metric }} {% if level == '100' %}breached{% else %}at {{ level }}%{% endif %}",
               "{{ case_number }} “{{ case_subject }}”: {% if level == '100' %}{{ metric }} has passed its target; "
               "the case is escalated.{% else %}{{ metric }} has used {{ level }}% of its target.{% endif %}"),
    },
    "liquidation_decision_due": {
        "zh-hans": ("{{ case_number }}：追保已过截止时间，待决定强制平仓",
                    "信用账户 {{ account_no }} 的追保 {{ case_number }} 已过截止时间 {{ deadline }}，维持担保比例仍未"
                    "恢复。请一名风控人员决定是否强制平仓，并由另一名风控人员复核。"),
        "en": ("{{ case_number }}: margin call past its deadline, liquidation to decide",
               "The margin call {{ case_number }} on credit account {{ account_no }} passed its deadline "
               "{{ deadline }} without the ratio restored. One risk officer decides on forced liquidation; "
               "another approves or declines it."),
    },
    "margin_alert": {  # line: the line's value now (a stress mode raises it above the contract's)
        "zh-hans": ("信用账户 {{ account_no }} 维持担保比例预警",
                    "您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于{{ level }}线"
                    "{% if line %}（{{ line }}%）{% endif %}。请及时追加担保物或还款，使比例回到该线以上。"),
        "en": ("Margin alert on credit account {{ account_no }}",
               "The maintenance collateral ratio of your credit account {{ account_no }} is {{ ratio }}%, below "
               "the {{ level }} line{% if line %} ({{ line }}%){% endif %}. Please add collateral or repay to bring "
               "the ratio back above it."),
    },
    "margin_call": {  # level: set only below the immediate close-out line (no time given); sell: empty
        # when no sale restores the line (assets below the liabilities, or a restore-to line at or below 100 %)
        "zh-hans": ("信用账户 {{ account_no }} {% if level %}紧急{% endif %}追保通知",
                    "{% if level %}您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于{{ level }}线，"
                    "您的持仓可能于今日被强制平仓。请立即追加现金 {{ cash }}{% if sell %}，或卖出价值 {{ sell }} "
                    "的证券并还款{% endif %}。{% else %}您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，"
                    "已低于平仓线。请于 {{ deadline }} 前追加现金 {{ cash }}{% if sell %}，或卖出价值 {{ sell }} "
                    "的证券并还款{% endif %}；否则您的持仓可能被强制平仓。{% endif %}"),
        "en": ("{% if level %}Urgent margin call{% else %}Margin call{% endif %} on credit account {{ account_no }}",
               "{% if level %}The maintenance collateral ratio of your credit account {{ account_no }} is "
               "{{ ratio }}%, below the {{ level }} line: the position may be liquidated today. Please add "
               "{{ cash }} in cash{% if sell %}, or sell {{ sell }} of securities and repay,{% endif %} at once."
               "{% else %}The maintenance collateral ratio of your credit account {{ account_no }} is {{ ratio }}%, "
               "below the close-out line. Please add {{ cash }} in cash{% if sell %}, or sell {{ sell }} of "
               "securities and repay,{% endif %} by {{ deadline }}; otherwise the position may be liquidated."
               "{% endif %}"),
    },
    "margin_call_restored": {  # no ratio: the client repaid every liability
        "zh-hans": ("信用账户 {{ account_no }} 追保已解除",
                    "{% if ratio %}您的信用账户 {{ account_no }} 维持担保比例已恢复至 {{ ratio }}%，追保已解除。"
                    "{% else %}您的信用账户 {{ account_no }} 已无负债，追保已解除。{% endif %}"),
        "en": ("Margin call on credit account {{ account_no }} closed",
               "{% if ratio %}The maintenance collateral ratio of your credit account {{ account_no }} is back to "
               "{{ ratio }}%. The margin call is closed.{% else %}Your credit account {{ account_no }} has no "
               "liability left. The margin call is closed.{% endif %}"),
    },
    "margin_call_deadline_passed": {  # no ratio: the account was never valued
        "zh-hans": ("信用账户 {{ account_no }} 追保已过截止时间",
                    "您的信用账户 {{ account_no }} 追保截止时间已过{% if ratio %}，维持担保比例为 {{ ratio }}%{% endif %}，"
                    "仍未恢复。我们可能随时对您的持仓进行强制平仓。如您已追加担保物或还款，请立即与我们联系。"),
        "en": ("Margin call on credit account {{ account_no }} past its deadline",
               "The deadline of the margin call on your credit account {{ account_no }} has passed"
               "{% if ratio %} with the maintenance collateral ratio at {{ ratio }}%{% endif %}, not restored. "
               "Your positions may now be liquidated at any time. If you have added collateral or repaid, please "
               "contact us at once."),
    },
    "margin_call_deadline_moved": {  # the trading calendar changed: a day counted to the deadline is closed
        "zh-hans": ("信用账户 {{ account_no }} 追保截止时间已顺延",
                    "交易日历调整：您的信用账户 {{ account_no }} 追保截止时间顺延至 {{ deadline }}，交易日天数不变。"
                    "请在截止时间前追加担保物或还款。"),
        "en": ("Margin call on credit account {{ account_no }}: deadline moved later",
               "The trading calendar changed: the deadline of the margin call on your credit account "
               "{{ account_no }} moves to {{ deadline }}, the same number of trading days as before. Please add "
               "collateral or repay by then."),
    },
    "contract_maturity_reminder": {
        "zh-hans": ("您的融资融券合约将于 {{ due_date }} 到期",
                    "信用账户 {{ account_no }}：您的融资融券合约将于 {{ due_date }} 到期，还有 {{ days }} 天。"
                    "请在此之前偿还融资负债或申请展期；到期未偿还的负债将逾期并计收罚息。"),
        "en": ("Your margin contract matures on {{ due_date }}",
               "Credit account {{ account_no }}: your margin contract matures on {{ due_date }}, in {{ days }} "
               "day{{ days|pluralize }}. Repay the financing debt or apply for an extension before then; debt "
               "not repaid at maturity is overdue and bears penalty interest."),
    },
    "interest_settlement_reminder": {
        "zh-hans": ("{{ due_date }} 结息提醒",
                    "信用账户 {{ account_no }}：将于 {{ due_date }} 结息，还有 {{ days }} 天。"
                    "请在账户中保留足够现金支付应计利息。"),
        "en": ("Interest settlement on {{ due_date }}",
               "Credit account {{ account_no }}: interest is settled on {{ due_date }}, in {{ days }} "
               "day{{ days|pluralize }}. Please keep enough cash in the account to pay the interest accrued."),
    },
    "request_approved": {
        "zh-hans": ("{% if request_kind == 'extension' %}您的展期申请 {{ case_number }} 已获批准"
                    "{% else %}您的纾困申请 {{ case_number }} 已获批准{% endif %}",
                    "{% if request_kind == 'extension' %}您为信用账户 {{ account_no }} 提交的合约展期申请 "
                    "{{ case_number }} 已获批准：合约到期日现为 {{ maturity }}。"
                    "{% elif request_kind == 'staged_repayment' %}您为信用账户 {{ account_no }} 提交的分期还款申请 "
                    "{{ case_number }} 已获批准。我们会与您联系确认各期还款安排。"
                    "{% else %}您为信用账户 {{ account_no }} 提交的纾困申请 {{ case_number }} 已获批准：追保截止时间顺延 "
                    "{{ trading_days }} 个交易日{% if deadline %}，新的截止时间为 {{ deadline }}，请在此之前追加担保物或还款。"
                    "{% else %}。新的截止时间可在客户门户的该事项中查看。{% endif %}{% endif %}"),
        "en": ("{% if request_kind == 'extension' %}Your extension request {{ case_number }} is approved"
               "{% else %}Your relief request {{ case_number }} is approved{% endif %}",
               "{% if request_kind == 'extension' %}Your request {{ case_number }} to extend the margin contract of "
               "credit account {{ account_no }} is approved: the contract now matures on {{ maturity }}."
               "{% elif request_kind == 'staged_repayment' %}Your request {{ case_number }} to repay the debt of "
               "credit account {{ account_no }} in stages is approved. We will contact you about the instalments."
               "{% else %}Your relief request {{ case_number }} for credit account {{ account_no }} is approved: the "
               "deadline to top up moves {{ trading_days }} trading day{{ trading_days|pluralize }} later"
               "{% if deadline %}, to {{ deadline }}; please add collateral or repay by then.{% else %}. The new "
               "deadline is shown on the case in the client portal.{% endif %}{% endif %}"),
    },
    "request_declined": {
        "zh-hans": ("{% if request_kind == 'extension' %}您的展期申请 {{ case_number }} 未获批准"
                    "{% else %}您的纾困申请 {{ case_number }} 未获批准{% endif %}",
                    "{% if request_kind == 'extension' %}很抱歉，您为信用账户 {{ account_no }} 提交的合约展期申请 "
                    "{{ case_number }} 未获批准。{% if matured %}合约已于 {{ maturity }} 到期，请尽快偿还融资负债："
                    "逾期负债将计收罚息。{% else %}合约仍于 {{ maturity }} 到期，请在此之前偿还融资负债。{% endif %}"
                    "{% else %}很抱歉，您为信用账户 {{ account_no }} 提交的纾困申请 {{ case_number }} 未获批准。"
                    "请及时追加担保物或还款，以免被强制平仓。{% endif %}原因请在客户门户中查看该事项，或致电我们。"
                    "{% if reasons %}\n\n我们的理由：{{ reasons }}{% endif %}"),
        "en": ("{% if request_kind == 'extension' %}Your extension request {{ case_number }} is declined"
               "{% else %}Your relief request {{ case_number }} is declined{% endif %}",
               "{% if request_kind == 'extension' %}We are sorry: your request {{ case_number }} to extend the margin "
               "contract of credit account {{ account_no }} is declined. {% if matured %}The contract matured on "
               "{{ maturity }}; please repay the financing debt now: penalty interest is charged on overdue debt."
               "{% else %}The contract still matures on {{ maturity }}; please repay the financing debt by then."
               "{% endif %}"
               "{% else %}We are sorry: your relief request {{ case_number }} for credit account {{ account_no }} is "
               "declined. Please add collateral or repay in time to avoid forced liquidation.{% endif %} For the "
               "reasons, see the case in the client portal or call us.{% if reasons %}\n\nOur reasons: "
               "{{ reasons }}{% endif %}"),
    },
    "rating_request": {
        "zh-hans": ("请为事项 {{ case_number }} 的服务评分",
                    "您的事项 {{ case_number }}（{{ case_subject }}）已办结。请在 {{ days }} 天内为我们的服务打分"
                    "（1 至 5 分）：{{ link }}"),
        "en": ("How did we do? Rate case {{ case_number }}",
               "Your case {{ case_number }} ({{ case_subject }}) is resolved. Please tell us how satisfied you are, "
               "from 1 to 5, within {{ days }} day{{ days|pluralize }}: {{ link }}"),
    },
    # In-app, to the staff who must call the client (notifications.bounces); notice: the bounced
    # notice's event, named in the reader's language.
    "notice_bounced": {
        "zh-hans": ("{% if case_number %}{{ case_number }}：{% endif %}发给{{ client_name }}的邮件被退回，请致电客户",
                    "发给客户 {{ client_name }}（{{ client_no }}，{{ address }}）的邮件“{{ notice }}”被对方邮件系统退回，"
                    "客户没有收到{% if case_number %}（事项 {{ case_number }}“{{ case_subject }}”）{% endif %}。"
                    "请致电客户告知通知内容，并核实其电子邮箱地址。{% if bounce_reason %}\n\n对方邮件系统的答复："
                    "{{ bounce_reason }}{% endif %}"),
        "en": ("{% if case_number %}{{ case_number }}: {% endif %}e-mail to {{ client_name }} bounced, call the client",
               "The e-mail “{{ notice }}” to {{ client_name }} ({{ client_no }}) at {{ address }} came back "
               "undelivered: the client did not get it{% if case_number %} (case {{ case_number }} "
               "“{{ case_subject }}”){% endif %}. Please call the client to tell them what it said, and check their "
               "e-mail address.{% if bounce_reason %}\n\nTheir mail system said: {{ bounce_reason }}{% endif %}"),
    },
}

FALLBACK_TEMPLATE = {
    "zh-hans": ("{% if case_number %}[{{ case_number }}] {% endif %}服务通知",
                "{% if case_number %}您的事项 {{ case_number }} 有新的进展，{% endif %}详情请登录客户门户查看。"),
    "en": ("{% if case_number %}[{{ case_number }}] {% endif %}Notice from the service desk",
           "{% if case_number %}There is news on your case {{ case_number }}. {% endif %}"
           "See the client portal for the details."),
}


def create_default_templates() -> int:
    """Write the built-in texts that have no row yet (idempotent; edits are kept)."""
    from notifications.models import NotificationTemplate

    rows = [NotificationTemplate(event=event, language=language, channel="", subject=subject, body=body)
            for event, texts in DEFAULT_TEMPLATES.items() for language, (subject, body) in texts.items()]
    existing = set(NotificationTemplate.objects.filter(channel="").values_list("event", "language"))
    missing = [row for row in rows if (row.event, row.language) not in existing]
    NotificationTemplate.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
