"""Every read of the inventory app that is more than one query: pages, the API and exports use them.

- `visibility`: Who sees what: blind-count warehouses hidden from a user, and the exports they may see.
- `catalogue`: SKUs as people type their codes, and the catalogue's lists and searches.
- `stock`: Stock levels and the movement ledger.
- `counts`: Stock counts and their progress.
- `orders`: Orders: the picking list and the flagged orders.
- `summary`: The 进销存 monthly summary and its export jobs.
- `waiting`: Start pages: what waits for the warehouse, and for finance.
"""

from .catalogue import (
    search_locations,
    search_products,
    search_skus,
    search_warehouses,
    sku_by_code,
    sku_key,
    skus_at_or_below_warning,
    skus_by_code,
    skus_to_delist,
    skus_with_totals,
)
from .counts import counts_with_progress, warehouses_without_count
from .orders import flagged_orders, picking_list
from .stock import movements, search_levels
from .summary import SUMMARY_COLUMNS, MonthlySummary, SummaryRow, jobs_waiting_for_queue, month_bounds, monthly_summary
from .visibility import Hidden, blind_warehouse_ids, blind_warehouses, export_visible_to, hides_count_figures
from .waiting import loss_reports_waiting, warehouse_queue

__all__ = [
    "SUMMARY_COLUMNS",
    "Hidden",
    "MonthlySummary",
    "SummaryRow",
    "blind_warehouse_ids",
    "blind_warehouses",
    "counts_with_progress",
    "export_visible_to",
    "flagged_orders",
    "hides_count_figures",
    "jobs_waiting_for_queue",
    "loss_reports_waiting",
    "month_bounds",
    "monthly_summary",
    "movements",
    "picking_list",
    "search_levels",
    "search_locations",
    "search_products",
    "search_skus",
    "search_warehouses",
    "sku_by_code",
    "sku_key",
    "skus_at_or_below_warning",
    "skus_by_code",
    "skus_to_delist",
    "skus_with_totals",
    "warehouse_queue",
    "warehouses_without_count",
]
