"""Celery beat entries of the inventory module; shop_ops/settings.py merges them into CELERY_BEAT_SCHEDULE.

Times are in CELERY_TIMEZONE (Asia/Shanghai). The count job runs every evening and opens counts only on the
configured day (INVENTORY_COUNT_DAY, default the month's last day), which crontab alone cannot express.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict = {
    "inventory-raise-purchase-requests-daily": {
        "task": "inventory.raise_purchase_requests",
        "schedule": crontab(hour=7, minute=30),
    },
    "inventory-open-stock-counts": {
        "task": "inventory.open_stock_counts",
        "schedule": crontab(hour=18, minute=0),
    },
}
