"""Contract changes made by approved requests are an audit record: append-only on PostgreSQL."""

from django.db import migrations

from servicedesk.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_console_list_indexes")]
    operations = [append_only("cases_contractchange")]
