"""The built-in margin alert no longer says "to avoid a margin call": below the close-out line it
went out beside the margin-call notice itself. The notice of a restored margin call no longer says
"back to normal": it goes out at the warning line plus the band, still under the attention line.
Rows still holding a former built-in text take the new one; a text a supervisor edited is left
as it is."""

from django.db import migrations

FORMER = {
    ("margin_alert", "zh-hans", "body"): (
        "您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于{{ level }}线。"
        "请及时追加担保物或还款，以免触发追保。"),
    ("margin_alert", "en", "body"): (
        "The maintenance collateral ratio of your credit account {{ account_no }} is {{ ratio }}%, below "
        "the {{ level }} line. Please consider adding collateral or repaying to avoid a margin call."),
    ("margin_call_restored", "zh-hans", "subject"): "信用账户 {{ account_no }} 已恢复正常",
    ("margin_call_restored", "en", "subject"): "Credit account {{ account_no }} is back to normal",
}


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for (event, language, field), former in FORMER.items():
        subject, body = DEFAULT_TEMPLATES[event][language]
        NotificationTemplate.objects.filter(event=event, language=language, **{field: former}).update(
            **{field: subject if field == "subject" else body})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0006_margin_call_amounts_in_yuan")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
