"""Found by a tester: the demo's count of last month was closed today, so last month's 进销存 showed no count
difference. The corrections are dated when the count is closed, and the demo closes it in last month."""

import datetime

from django.utils import timezone

from inventory import demo, selectors
from inventory.choices import MovementKind
from inventory.models import StockCount, StockMovement


def test_last_months_summary_shows_the_demo_counts_difference(superuser):
    demo.load_demo()
    last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    start, end = selectors.month_bounds(last_month)
    count = StockCount.objects.get(period=last_month)
    assert start <= count.closed_at < end
    corrections = StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION)
    assert corrections.count() == 3
    assert all(start <= when < end for when in corrections.values_list("occurred_at", flat=True))

    summary = selectors.monthly_summary(month=last_month)
    by_code = {row.sku.code: row.qty["count_difference"] for row in summary.rows}
    assert by_code["DR002-RED-M"] == -2 and by_code["JN003-BLU-30"] == -1 and by_code["TS001-BLK-S"] == 1
    assert summary.total_qty["count_difference"] == -2
    this_month = selectors.monthly_summary(month=timezone.localdate())
    assert this_month.total_qty["count_difference"] == 0
