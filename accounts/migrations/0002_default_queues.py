from django.db import migrations

QUEUES = [
    ("general", "综合服务", "General service"),
    ("disputes", "争议投诉", "Disputes"),
    ("risk", "风控追保", "Risk and margin calls"),
    ("hnw", "高净值客户", "High-net-worth clients"),
]
RULES = [  # position, kind, category, tier, queue, assign_to_advisor
    (10, "margin_call", "", "", "risk", True),
    (20, "dispute", "", "", "disputes", True),
    (30, "", "", "hnw", "hnw", True),
    (1000, "", "", "", "general", False),
]


def create(apps, schema_editor):
    Queue = apps.get_model("accounts", "Queue")
    RoutingRule = apps.get_model("accounts", "RoutingRule")
    queues = {}
    for code, name, name_en in QUEUES:
        queues[code], _ = Queue.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    if not RoutingRule.objects.exists():
        for position, kind, category, tier, queue, to_advisor in RULES:
            RoutingRule.objects.create(position=position, kind=kind, category=category, tier=tier,
                                       queue=queues[queue], assign_to_advisor=to_advisor)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
