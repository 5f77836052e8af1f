"""An escalation's case is copied from its timer by the sweep: no foreign-key check of its own."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0011_append_only_contract_changes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='slaescalation',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='sla_escalations', to='cases.case', verbose_name='case'),
        ),
    ]
