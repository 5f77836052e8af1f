"""Below the immediate close-out line a margin call is due at once (no T+2): its notice says the
position may be liquidated today, in a branch of the margin-call text (`level` is set only then).
Rows still holding the former built-in text take the new one; a text a supervisor edited is left
as it is (it reads the deadline, which is then the moment of the run)."""

from django.db import migrations

FORMER = {
    ("zh-hans", "subject"): "信用账户 {{ account_no }} 追保通知",
    ("zh-hans", "body"): (
        "您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于平仓线。请于 {{ deadline }} "
        "前追加现金 {{ cash }}，或卖出价值 {{ sell }} 的证券并还款；否则您的持仓可能被强制平仓。"),
    ("en", "subject"): "Margin call on credit account {{ account_no }}",
    ("en", "body"): (
        "The maintenance collateral ratio of your credit account {{ account_no }} is {{ ratio }}%, below "
        "the close-out line. Please add {{ cash }} in cash, or sell {{ sell }} of securities and repay, "
        "by {{ deadline }}; otherwise the position may be liquidated."),
}


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for (language, field), former in FORMER.items():
        subject, body = DEFAULT_TEMPLATES["margin_call"][language]
        NotificationTemplate.objects.filter(event="margin_call", language=language, **{field: former}).update(
            **{field: subject if field == "subject" else body})


def backwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for (language, field), former in FORMER.items():
        subject, body = DEFAULT_TEMPLATES["margin_call"][language]
        NotificationTemplate.objects.filter(
            event="margin_call", language=language, **{field: subject if field == "subject" else body}).update(
            **{field: former})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0009_restored_without_liability")]
    operations = [migrations.RunPython(forwards, backwards)]
