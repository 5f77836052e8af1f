"""The restore-to line a margin call's notice asked for (MarginCall.notice_restore_to): a stress mode
or the contract raising the call's restore-to line after the notice no longer sends a client who
added the cash the notice named to the risk officers for liquidation. Calls raised before this
have none: their current restore-to line stands, as before."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('risk', '0013_maintenance_ratio_digits'),
    ]

    operations = [
        migrations.AddField(
            model_name='margincall',
            name='notice_restore_to',
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=12, null=True,
                                      verbose_name='restore-to line of the notice'),
        ),
    ]
