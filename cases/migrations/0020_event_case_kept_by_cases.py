"""An audit event's case is kept from the cases' side (cases.event_keys), not checked per event."""

import django.db.models.deletion
from django.db import migrations, models

from cases.event_keys import CASE_EVENTS


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_dashboard_workload_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caseevent',
            name='case',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='cases.case', verbose_name='case'),
        ),
        CASE_EVENTS.operation(),
    ]
