"""The default queues and routing rules (created by a migration, and again after a test flush)."""

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


def create_default_queues(queue_model, rule_model) -> None:
    """Only into an empty table: a queue or rule a supervisor removed stays removed."""
    if queue_model.objects.exists():
        return
    queues = {code: queue_model.objects.create(code=code, name=name, name_en=name_en)
              for code, name, name_en in QUEUES}
    if not rule_model.objects.exists():
        for position, kind, category, tier, queue, to_advisor in RULES:
            rule_model.objects.create(position=position, kind=kind, category=category, tier=tier,
                                      queue=queues[queue], assign_to_advisor=to_advisor)
