"""Seed the support policy: the two calendars, the SLA targets of PT-7.2, warning thresholds, services, lead time."""

from datetime import time

from django.db import migrations

TARGETS = {
    "critical": {"response": (1, "hours"), "restoration": (8, "hours"), "solution": (7, "days")},
    "high": {"response": (8, "hours"), "restoration": (3, "days"), "solution": (14, "days")},
    "medium": {"response": (3, "days"), "restoration": (7, "days"), "solution": (21, "days")},
    "low": {"response": (5, "days"), "restoration": (16, "days"), "solution": (40, "days")},
}
SERVICES = [
    ("web", "Web application", "Уеб приложение"),
    ("api", "API", "API"),
    ("telephony", "Telephony (PBX)", "Телефония (PBX)"),
    ("messaging", "Messaging channels", "Канали за съобщения"),
    ("licensing", "Licensing", "Лицензиране"),
    ("billing", "Billing", "Фактуриране"),
]


def seed(apps, schema_editor):
    Calendar = apps.get_model("support", "BusinessCalendarRecord")
    SlaTarget = apps.get_model("support", "SlaTarget")
    Warning = apps.get_model("support", "SlaWarningThreshold")
    Service = apps.get_model("support", "SupportedService")
    Policy = apps.get_model("support", "SupportPolicy")
    business, _ = Calendar.objects.get_or_create(
        name="Business BG",
        defaults={
            "zone": "Europe/Sofia",
            "opens": time(9),
            "closes": time(18),
            "weekdays": [0, 1, 2, 3, 4],
            "has_bulgarian_holidays": True,
        },
    )
    always, _ = Calendar.objects.get_or_create(
        name="24/7", defaults={"is_around_the_clock": True, "has_bulgarian_holidays": False}
    )
    for priority, milestones in TARGETS.items():
        for milestone, (amount, unit) in milestones.items():
            SlaTarget.objects.get_or_create(
                priority=priority,
                milestone=milestone,
                defaults={"amount": amount, "unit": unit, "calendar": always if priority == "critical" else business},
            )
    Warning.objects.get_or_create(percent=80, defaults={"minutes_before": None})
    Warning.objects.get_or_create(minutes_before=15, defaults={"percent": None})
    for code, name_en, name_bg in SERVICES:
        Service.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_bg": name_bg})
    Policy.objects.get_or_create(pk=1, defaults={"maintenance_notice_hours": 24})


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
