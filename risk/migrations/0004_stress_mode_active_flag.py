"""One active stress mode, enforced: the old unique index on lifted_at let several NULLs in."""

from django.db import migrations, models
from django.db.models import Q


def mark_active(apps, schema_editor):
    StressMode = apps.get_model("risk", "StressMode")
    StressMode.objects.filter(lifted_at__isnull=False).update(is_active=False)
    StressMode.objects.filter(lifted_at__isnull=True).update(is_active=True)


class Migration(migrations.Migration):
    dependencies = [("risk", "0003_stress_tests")]
    operations = [
        migrations.RemoveConstraint(model_name="stressmode", name="stress_mode_one_active"),
        migrations.AddField(model_name="stressmode", name="is_active",
                            field=models.BooleanField(default=False, editable=False, verbose_name="active"),
                            preserve_default=False),
        migrations.RunPython(mark_active, migrations.RunPython.noop),
        migrations.AlterField(model_name="stressmode", name="is_active",
                              field=models.BooleanField(default=True, editable=False, verbose_name="active")),
        migrations.AddConstraint(model_name="stressmode", constraint=models.UniqueConstraint(
            condition=Q(is_active=True), fields=("is_active",), name="stress_mode_one_active")),
    ]
