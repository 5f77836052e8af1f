"""Two unique indexes the models declare were missing from databases:

- `case_one_open_margin_call` (at most one open margin call per credit account) on PostgreSQL:
  0018's AlterField of `credit_account` to `db_index=False` dropped, with the column's plain
  index, every other index on that column alone that Meta.indexes does not name, and this
  partial unique index is one;
- `sla_timer_one_active_per_metric` (one running clock per case and metric) on SQLite, since
  0019 gave it `include` columns, which SQLite cannot carry: Django left the whole index out.
  Its constraint is now a CoveredUniqueConstraint, built there without them.

Each is created where it is missing. Rows that break it stop the migration with the offending
keys named (they must be resolved by hand: which of two open margin calls is the live one is the
risk officers' call)."""

from django.db import migrations
from django.db.models import Count, Q

import servicedesk.constraints

RESTORED = (("case", "case_one_open_margin_call"), ("slatimer", "sla_timer_one_active_per_metric"))


def restore(apps, schema_editor):
    connection = schema_editor.connection
    for model_name, name in RESTORED:
        model = apps.get_model("cases", model_name)
        with connection.cursor() as cursor:
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
        if name in present:
            continue
        constraint = next(c for c in model._meta.constraints if c.name == name)
        clashes = list(model._default_manager.using(connection.alias).filter(constraint.condition)
                       .values(*constraint.fields).annotate(rows=Count("pk")).filter(rows__gt=1)[:20])
        if clashes:
            raise RuntimeError(f"Cannot create the unique index {name} on {model._meta.db_table}: these "
                               f"{', '.join(constraint.fields)} have more than one row where {constraint.condition} "
                               f"holds: {clashes}. Resolve them, then migrate again.")
        schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0020_event_case_kept_by_cases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(model_name="slatimer", name="sla_timer_one_active_per_metric"),
            migrations.AddConstraint(
                model_name="slatimer",
                constraint=servicedesk.constraints.CoveredUniqueConstraint(
                    condition=Q(("stopped_at__isnull", True)), fields=("case", "metric"),
                    include=("breached", "state", "warn_75_at"), name="sla_timer_one_active_per_metric"),
            ),
        ]),
        migrations.RunPython(restore, migrations.RunPython.noop, elidable=False),
    ]
