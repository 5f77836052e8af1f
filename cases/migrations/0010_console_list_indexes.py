# The console's case list (cases/web/case_list.py): by SLA urgency it walks the running timers by
# deadline (only a running timer has a due moment: cases.sla_engine); "recently updated" walks the
# cases by their latest change; the unassigned cases are read by state from their own small index.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_fk_indexes_covered'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['-updated_at', '-id'], name='case_updated_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('assignee__isnull', True)), fields=['state', '-id'], name='case_unassigned_idx'),
        ),
        migrations.AddIndex(
            model_name='slatimer',
            index=models.Index(condition=models.Q(('due_at__isnull', False)), fields=['due_at', 'case'], name='sla_timer_running_due_idx'),
        ),
    ]
