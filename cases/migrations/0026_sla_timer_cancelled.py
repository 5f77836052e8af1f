from django.db import migrations, models
from django.db.models import Exists, OuterRef


def cancelled_clocks(apps, schema_editor):
    """The clocks a ticket's cancellation stopped in time were recorded as met: cancelled now (the
    engine stops them at the cancel event's moment, so that event names them)."""
    SlaTimer = apps.get_model("cases", "SlaTimer")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    cancel = CaseEvent.objects.filter(case_id=OuterRef("case_id"), kind="transition", to_value="cancelled",
                                      created_at=OuterRef("stopped_at"))
    (SlaTimer.objects.using(schema_editor.connection.alias)
     .filter(state="met", breached=False, case__kind="ticket", case__state="cancelled")
     .filter(Exists(cancel)).update(state="cancelled"))


def met_again(apps, schema_editor):
    apps.get_model("cases", "SlaTimer").objects.using(schema_editor.connection.alias).filter(
        state="cancelled").update(state="met")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0025_sla_target_boxes_explained'),
    ]

    operations = [
        migrations.AlterField(
            model_name='slatimer',
            name='state',
            field=models.CharField(choices=[('running', 'Running'), ('paused', 'Paused'), ('met', 'Met'), ('breached', 'Breached'), ('cancelled', 'Cancelled')], default='running', max_length=10, verbose_name='state'),
        ),
        migrations.RunPython(cancelled_clocks, met_again),
    ]
