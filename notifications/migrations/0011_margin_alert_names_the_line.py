"""A margin alert names the value of the line crossed (`line`): while a stress mode raises every
line, a client whose ratio is above the contract's line reads why it is below the line now. Rows
still holding the former built-in text take the new one; a text a supervisor edited is left as it
is."""

from django.db import migrations

FORMER = {
    "zh-hans": ("您的信用账户 {{ account_no }} 维持担保比例为 {{ ratio }}%，已低于{{ level }}线。"
                "请及时追加担保物或还款，使比例回到该线以上。"),
    "en": ("The maintenance collateral ratio of your credit account {{ account_no }} is {{ ratio }}%, below "
           "the {{ level }} line. Please add collateral or repay to bring the ratio back above it."),
}


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for language, former in FORMER.items():
        NotificationTemplate.objects.filter(event="margin_alert", language=language, body=former).update(
            body=DEFAULT_TEMPLATES["margin_alert"][language][1])


def backwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for language, former in FORMER.items():
        NotificationTemplate.objects.filter(
            event="margin_alert", language=language, body=DEFAULT_TEMPLATES["margin_alert"][language][1]).update(
            body=former)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0010_margin_call_below_the_immediate_line")]
    operations = [migrations.RunPython(forwards, backwards)]
