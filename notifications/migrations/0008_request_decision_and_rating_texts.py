"""The decision on an extension or relief request (request_approved, request_declined) and the
request to rate a resolved case (rating_request) are written from templates like the other
notices: their built-in texts, the wording the code used to write, become template rows that
supervisors edit in the admin. A row already there (written by hand) is left as it is."""

from django.db import migrations

EVENTS = ("request_approved", "request_declined", "rating_request")


def forwards(apps, schema_editor):
    from notifications.defaults import DEFAULT_TEMPLATES

    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    existing = set(NotificationTemplate.objects.filter(event__in=EVENTS, channel="").values_list("event", "language"))
    NotificationTemplate.objects.bulk_create([
        NotificationTemplate(event=event, language=language, channel="", subject=subject, body=body)
        for event in EVENTS for language, (subject, body) in DEFAULT_TEMPLATES[event].items()
        if (event, language) not in existing])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_alert_and_restored_texts")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
