"""Every write of the inventory app: the rules live here, views, the API and Celery tasks call them. Stock changes
only through `post_movements` (movements), which writes the ledger and the levels in one transaction.

- `movements`: Stock movements: the ledger and the stock levels change together, only through here.
- `catalogue`: The catalogue: SKUs, products and colours, auxiliary materials, warehouses, bin locations.
- `counts`: Stock counts (盘点): open, record, close (inline or as a job) and the loss reports they raise.
- `purchasing`: Purchase requests (进货单): the daily refill check and the request's status changes.
- `orders`: Orders (打单 → 配货 → 打包 → 发货): the steps, packing checks, shipping and flags.
- `exports`: The Excel export of the 进销存 summary: a job row the page polls.
"""

from .catalogue import (
    ColourInput,
    check_sku_code_free,
    create_product,
    save_location,
    save_sku,
    save_warehouse,
    set_sku_listed,
)
from .counts import (
    COUNT_CLOSE_CHUNK,
    COUNT_CLOSE_INLINE_LINES,
    cancel_stock_count,
    close_stock_count,
    count_day_of,
    month_start,
    open_stock_count,
    recheck_refusal,
    record_count,
    resubmit_loss_report,
    review_loss_report,
    run_count_close_job,
)
from .exports import request_summary_export, run_summary_export_job
from .movements import (
    _MOVEMENT_COLUMNS,
    MAX_QUANTITY,
    MovementInput,
    _insert_movements,
    post_movement,
    post_movements,
    signed_quantity,
    transfer_stock,
)
from .orders import (
    ORDER_STEPS,
    OrderInput,
    PackedItem,
    advance_order,
    create_orders,
    flag_order,
    pack_order,
    packing_mismatches,
    resolve_order_flag,
    ship_order,
)
from .purchasing import (
    PURCHASE_TRANSITIONS,
    DailyPurchaseCheck,
    change_purchase_request_status,
    create_purchase_request,
    raise_purchase_requests,
)

__all__ = [
    "COUNT_CLOSE_CHUNK",
    "COUNT_CLOSE_INLINE_LINES",
    "MAX_QUANTITY",
    "ORDER_STEPS",
    "PURCHASE_TRANSITIONS",
    "_MOVEMENT_COLUMNS",
    "ColourInput",
    "DailyPurchaseCheck",
    "MovementInput",
    "OrderInput",
    "PackedItem",
    "_insert_movements",
    "advance_order",
    "cancel_stock_count",
    "change_purchase_request_status",
    "check_sku_code_free",
    "close_stock_count",
    "count_day_of",
    "create_orders",
    "create_product",
    "create_purchase_request",
    "flag_order",
    "month_start",
    "open_stock_count",
    "pack_order",
    "packing_mismatches",
    "post_movement",
    "post_movements",
    "raise_purchase_requests",
    "recheck_refusal",
    "record_count",
    "request_summary_export",
    "resolve_order_flag",
    "resubmit_loss_report",
    "review_loss_report",
    "run_count_close_job",
    "run_summary_export_job",
    "save_location",
    "save_sku",
    "save_warehouse",
    "set_sku_listed",
    "ship_order",
    "signed_quantity",
    "transfer_stock",
]
