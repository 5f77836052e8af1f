"""A margin call whose deadline passed is pending liquidation at once (the issue's workflow): the
calls left in the former deadline_passed state move there, with the step in their trail."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    now = timezone.now()
    waiting = list(Case.objects.filter(kind="margin_call", state="deadline_passed").values_list("pk", flat=True))
    CaseEvent.objects.bulk_create(
        CaseEvent(case_id=pk, kind="transition", name="pass_deadline", from_value="deadline_passed",
                  to_value="liquidation_pending", comment="", is_internal=True, data={}, created_at=now)
        for pk in waiting)
    Case.objects.filter(pk__in=waiting).update(state="liquidation_pending", updated_at=now)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_saved_replies")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
