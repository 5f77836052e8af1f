from django.db import migrations

from accounts.defaults import create_default_queues


def create(apps, schema_editor):
    create_default_queues(apps.get_model("accounts", "Queue"), apps.get_model("accounts", "RoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
