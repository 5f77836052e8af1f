"""On SQLite the ratio snapshots' account is kept by the ORM alone: the immediate trigger 0010
installed there refused Django's flush (servicedesk.kept_keys). PostgreSQL's triggers are
written again, unchanged."""

from django.db import migrations

from risk.snapshot_keys import SNAPSHOT_ACCOUNT


class Migration(migrations.Migration):

    dependencies = [
        ('risk', '0011_margin_call_latest_snapshot_unindexed'),
    ]

    operations = [
        migrations.RunPython(lambda apps, schema_editor: SNAPSHOT_ACCOUNT.install(schema_editor),
                             migrations.RunPython.noop),
    ]
