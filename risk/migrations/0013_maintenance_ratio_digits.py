"""A maintenance ratio of 28 digits (accounts.ratio.RATIO_MAX_DIGITS), not 12: an account with a
liability of a cent and ¥1,000,000 of assets (ratio 100,000,000) overflowed numeric(12, 4) and
failed the whole monitoring run on PostgreSQL. Widening a numeric with the same scale rewrites
nothing on PostgreSQL."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('risk', '0012_snapshot_key_not_on_sqlite'),
    ]

    operations = [
        migrations.AlterField(
            model_name='accountrisk',
            name='maintenance_ratio',
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=28, null=True, verbose_name='maintenance ratio'),
        ),
        migrations.AlterField(
            model_name='ratiosnapshot',
            name='maintenance_ratio',
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=28, null=True, verbose_name='maintenance ratio'),
        ),
    ]
