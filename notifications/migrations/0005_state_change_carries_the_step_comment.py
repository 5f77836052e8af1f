"""The built-in text of a case's state change now carries what the firm wrote with the step
(what we need from the client, how it was resolved). Rows still holding the former built-in text
take the new one; a text a supervisor edited is left as it is."""

from django.db import migrations

FORMER = {
    "zh-hans": "尊敬的{{ client_name }}：\n\n您的事项 {{ case_number }}“{{ case_subject }}”当前状态："
               "{{ case_state }}。\n\n详情请登录客户门户查看。",
    "en": "Dear {{ client_name }},\n\nYour case {{ case_number }} “{{ case_subject }}” is now: "
          "{{ case_state }}.\n\nSee the client portal for the details.",
}


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for language, body in FORMER.items():
        NotificationTemplate.objects.filter(event="case_state_changed", language=language, body=body).update(
            body=DEFAULT_TEMPLATES["case_state_changed"][language][1])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_fk_indexes_covered")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
