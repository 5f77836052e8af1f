"""The margin-call call log is an audit record: append-only on PostgreSQL."""

from django.db import migrations

from servicedesk.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("risk", "0005_snapshot_account_index_covered")]
    operations = [append_only("risk_margincallcontact")]
