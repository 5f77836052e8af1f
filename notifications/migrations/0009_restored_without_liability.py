"""The notice of a restored margin call said "back to 0.00%" to a client who had repaid every
liability (no liability: no ratio). The built-in text now says so instead. Rows still holding the
former built-in text take the new one; a text a supervisor edited is left as it is."""

from django.db import migrations

FORMER = {
    "zh-hans": "您的信用账户 {{ account_no }} 维持担保比例已恢复至 {{ ratio }}%，追保已解除。",
    "en": ("The maintenance collateral ratio of your credit account {{ account_no }} is back to {{ ratio }}%. "
           "The margin call is closed."),
}


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for language, former in FORMER.items():
        _subject, body = DEFAULT_TEMPLATES["margin_call_restored"][language]
        NotificationTemplate.objects.filter(event="margin_call_restored", language=language, body=former).update(
            body=body)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_request_decision_and_rating_texts")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
