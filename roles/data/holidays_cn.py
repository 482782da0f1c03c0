"""China's public holidays and make-up working days (国务院办公厅《关于2026年部分节假日安排的通知》).

Add a year here when the State Council publishes it; `ensure_holidays` (run by a migration and by load_demo) adds
missing days and never changes days a manager has edited.
"""

import datetime

HOLIDAYS = [
    ("元旦", "New Year's Day", ["2026-01-01", "2026-01-02", "2026-01-03"], ["2026-01-04"]),
    (
        "春节",
        "Spring Festival",
        [
            "2026-02-15",
            "2026-02-16",
            "2026-02-17",
            "2026-02-18",
            "2026-02-19",
            "2026-02-20",
            "2026-02-21",
            "2026-02-22",
            "2026-02-23",
        ],
        ["2026-02-14", "2026-02-28"],
    ),
    ("清明节", "Qingming Festival", ["2026-04-04", "2026-04-05", "2026-04-06"], []),
    ("劳动节", "Labour Day", ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"], ["2026-05-09"]),
    ("端午节", "Dragon Boat Festival", ["2026-06-19", "2026-06-20", "2026-06-21"], []),
    ("中秋节", "Mid-Autumn Festival", ["2026-09-25", "2026-09-26", "2026-09-27"], []),
    (
        "国庆节",
        "National Day",
        ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"],
        ["2026-09-20", "2026-10-10"],
    ),
]


def ensure_holidays(Holiday) -> int:
    """Add the listed days that are missing; takes the model so migrations can pass their historical one."""
    created = 0
    for name_zh, name_en, days_off, workdays in HOLIDAYS:
        for day in days_off:
            created += Holiday.objects.get_or_create(
                date=datetime.date.fromisoformat(day),
                defaults={"kind": "holiday", "name_zh": name_zh, "name_en": name_en},
            )[1]
        for day in workdays:
            created += Holiday.objects.get_or_create(
                date=datetime.date.fromisoformat(day),
                defaults={
                    "kind": "workday",
                    "name_zh": f"{name_zh}调休上班",
                    "name_en": f"{name_en} make-up working day",
                },
            )[1]
    return created
