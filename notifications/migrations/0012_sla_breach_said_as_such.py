"""An SLA warning at 100 % says the target is breached and the case escalated ("已超时", "breached"),
not "100 % used". Rows still holding the former built-in text take the new one; a text a supervisor
edited is left as it is."""

from django.db import migrations

FORMER = {
    "zh-hans": ("{{ case_number }}：{{ metric }} 已用 {{ level }}%",
                "{{ case_number }}“{{ case_subject }}”：{{ metric }} 已用去目标时限的 {{ level }}%。"),
    "en": ("{{ case_number }}: {{ metric }} at {{ level }}%",
           "{{ case_number }} “{{ case_subject }}”: {{ metric }} has used {{ level }}% of its target."),
}


def _replace(apps, old, new):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for language in FORMER:
        (old_subject, old_body), (new_subject, new_body) = old(language), new(language)
        rows = NotificationTemplate.objects.filter(event="sla_warning", language=language)
        rows.filter(subject=old_subject).update(subject=new_subject)
        rows.filter(body=old_body).update(body=new_body)


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    _replace(apps, FORMER.get, DEFAULT_TEMPLATES["sla_warning"].get)


def backwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    _replace(apps, DEFAULT_TEMPLATES["sla_warning"].get, FORMER.get)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0011_margin_alert_names_the_line")]
    operations = [migrations.RunPython(forwards, backwards)]
