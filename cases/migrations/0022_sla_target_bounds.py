"""A metric's target is from one minute to 1,000 business hours, and the factor
for vip and hnw clients more than 0 and at most 1 (validators: rows already stored are left
as they are and must be corrected on their next edit)."""

from django.db import migrations, models

import cases.models.sla


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0021_unique_indexes_restored"),
    ]

    operations = [
        migrations.AlterField(
            model_name="slapolicy",
            name="premium_tier_factor",
            field=models.DecimalField(
                decimal_places=2, default="0.50",
                help_text="Targets that scale with the tier are multiplied by this for vip and hnw clients.",
                max_digits=4, validators=[cases.models.sla.validate_premium_tier_factor],
                verbose_name="factor for vip and hnw clients"),
        ),
        migrations.AlterField(
            model_name="slatarget",
            name="target",
            field=models.DurationField(validators=[cases.models.sla.validate_target],
                                       verbose_name="target (business time)"),
        ),
    ]
