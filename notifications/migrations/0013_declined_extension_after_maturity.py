"""An extension declined after the contract matured no longer tells the client that it "still matures"
on a day gone by and to repay "by then": it says the contract matured on that day and to repay now
(`matured`, set by cases.services.requests). Rows still holding the former built-in text take the new
one; a text a supervisor edited is left as it is."""

from django.db import migrations

from notifications.default_texts import body_replaced

FORMER = {
    "zh-hans": (
        "{% if request_kind == 'extension' %}很抱歉，您为信用账户 {{ account_no }} 提交的合约展期申请 "
        "{{ case_number }} 未获批准。合约仍于 {{ maturity }} 到期，请在此之前偿还融资负债。"
        "{% else %}很抱歉，您为信用账户 {{ account_no }} 提交的纾困申请 {{ case_number }} 未获批准。"
        "请及时追加担保物或还款，以免被强制平仓。{% endif %}原因请在客户门户中查看该事项，或致电我们。"
        "{% if reasons %}\n\n我们的理由：{{ reasons }}{% endif %}"),
    "en": (
        "{% if request_kind == 'extension' %}We are sorry: your request {{ case_number }} to extend the margin "
        "contract of credit account {{ account_no }} is declined. The contract still matures on "
        "{{ maturity }}; please repay the financing debt by then."
        "{% else %}We are sorry: your relief request {{ case_number }} for credit account {{ account_no }} is "
        "declined. Please add collateral or repay in time to avoid forced liquidation.{% endif %} For the "
        "reasons, see the case in the client portal or call us.{% if reasons %}\n\nOur reasons: "
        "{{ reasons }}{% endif %}"),
}


class Migration(migrations.Migration):
    dependencies = [("notifications", "0012_sla_breach_said_as_such")]
    operations = [body_replaced("request_declined", FORMER)]
