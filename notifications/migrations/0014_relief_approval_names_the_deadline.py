"""An approved relief request tells the client the margin call's new deadline (`deadline`, set by
cases.services.requests when the approval moved one), not only how many trading days it moved: the
client reading an SMS had to open the portal to learn it. Rows still holding the former built-in text
take the new one; a text a supervisor edited is left as it is."""

from django.db import migrations

from notifications.default_texts import body_replaced

FORMER = {
    "zh-hans": (
        "{% if request_kind == 'extension' %}您为信用账户 {{ account_no }} 提交的合约展期申请 "
        "{{ case_number }} 已获批准：合约到期日现为 {{ maturity }}。"
        "{% elif request_kind == 'staged_repayment' %}您为信用账户 {{ account_no }} 提交的分期还款申请 "
        "{{ case_number }} 已获批准。我们会与您联系确认各期还款安排。"
        "{% else %}您为信用账户 {{ account_no }} 提交的纾困申请 {{ case_number }} 已获批准：追保截止时间顺延 "
        "{{ trading_days }} 个交易日。新的截止时间可在客户门户的该事项中查看。{% endif %}"),
    "en": (
        "{% if request_kind == 'extension' %}Your request {{ case_number }} to extend the margin contract of "
        "credit account {{ account_no }} is approved: the contract now matures on {{ maturity }}."
        "{% elif request_kind == 'staged_repayment' %}Your request {{ case_number }} to repay the debt of "
        "credit account {{ account_no }} in stages is approved. We will contact you about the instalments."
        "{% else %}Your relief request {{ case_number }} for credit account {{ account_no }} is approved: the "
        "deadline to top up moves {{ trading_days }} trading day{{ trading_days|pluralize }} later. The new "
        "deadline is shown on the case in the client portal.{% endif %}"),
}


class Migration(migrations.Migration):
    dependencies = [("notifications", "0013_declined_extension_after_maturity")]
    operations = [body_replaced("request_approved", FORMER)]
