"""The SLA policies shipped by default (business time on the working calendar; a working day is
8 business hours). vip and hnw clients get half of every target except the regulatory ones."""

import datetime

from cases.models import BusinessCalendar, Metric, SlaPolicy, SlaTarget

H = datetime.timedelta(hours=1)
WD = 8 * H
M = datetime.timedelta(minutes=1)

# (position, name, name_en, kind, priority, {metric: target})
POLICIES = [
    (10, "服务请求·紧急", "Ticket, urgent", "ticket", "urgent",
     {Metric.FIRST_RESPONSE: 30 * M, Metric.NEXT_RESPONSE: 30 * M, Metric.RESOLUTION: 4 * H}),
    (20, "服务请求·高", "Ticket, high", "ticket", "high",
     {Metric.FIRST_RESPONSE: 1 * H, Metric.NEXT_RESPONSE: 1 * H, Metric.RESOLUTION: 1 * WD}),
    (30, "服务请求·普通", "Ticket, normal", "ticket", "normal",
     {Metric.FIRST_RESPONSE: 4 * H, Metric.NEXT_RESPONSE: 4 * H, Metric.RESOLUTION: 3 * WD}),
    (40, "服务请求·低", "Ticket, low", "ticket", "low",
     {Metric.FIRST_RESPONSE: 1 * WD, Metric.NEXT_RESPONSE: 1 * WD, Metric.RESOLUTION: 5 * WD}),
    (50, "争议投诉", "Dispute", "dispute", "",
     {Metric.FIRST_RESPONSE: 4 * H, Metric.NEXT_RESPONSE: 4 * H, Metric.RESOLUTION: 10 * WD,
      Metric.PERIODIC_UPDATE: 3 * WD, Metric.REGULATORY_ACK: 1 * WD, Metric.REGULATORY_FINAL: 15 * WD}),
    (60, "展期申请", "Extension request", "extension", "",
     {Metric.FIRST_RESPONSE: 2 * H, Metric.NEXT_RESPONSE: 2 * H, Metric.RESOLUTION: 2 * WD}),
    (70, "纾困申请", "Relief request", "relief", "",
     {Metric.FIRST_RESPONSE: 2 * H, Metric.NEXT_RESPONSE: 2 * H, Metric.RESOLUTION: 2 * WD}),
]
REGULATORY = (Metric.REGULATORY_ACK, Metric.REGULATORY_FINAL)
#: Only these wait while the client is the one to act; first response never (the client has not
#: been answered yet), nor the regulatory deadlines.
PAUSABLE = (Metric.RESOLUTION, Metric.PERIODIC_UPDATE)


def create_default_policies() -> None:
    """Only into an empty table: a policy a supervisor removed stays removed."""
    if SlaPolicy.objects.exists():
        return
    working = BusinessCalendar.objects.get(code=BusinessCalendar.WORKING)
    for position, name, name_en, kind, priority, targets in POLICIES:
        policy = SlaPolicy.objects.create(position=position, name=name, name_en=name_en, kind=kind, priority=priority)
        SlaTarget.objects.bulk_create([
            SlaTarget(policy=policy, metric=metric, target=target, calendar=working,
                      pausable=metric in PAUSABLE, scales_with_tier=metric not in REGULATORY)
            for metric, target in targets.items()
        ])
