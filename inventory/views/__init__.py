"""The inventory pages, by page area; each view parses input, calls one service or selector and renders.

- `base`: What every inventory page shares: paging, the month parameter, the form and action base views.
- `stock`: Stock pages: levels, a SKU's page, the movement ledger, new movements, transfers, imports.
- `catalogue`: Catalogue pages: SKUs, products, warehouses and bin locations.
- `counts`: Stock count pages, the warehouse's start page, job progress and the loss reports.
- `summary`: The 进销存 summary page, its Excel export and the download of a finished job.
- `purchasing`: Purchase request pages.
- `orders`: Order pages: the list, an order, its steps, packing, shipping, the picking list and flags.
"""

from .base import PAGE_SIZE, XLSX, ActionView, ServiceForm, paginate, parse_month
from .catalogue import (
    CatalogueFormView,
    CatalogueListView,
    LocationFormView,
    ProductCreateView,
    SkuFormView,
    WarehouseFormView,
)
from .counts import (
    CountCloseView,
    CountDetailView,
    CountLineView,
    CountListView,
    CountOpenView,
    JobProgressView,
    LossReportDetailView,
    LossReportListView,
    LossReportRecheckView,
    LossReportReviewView,
    WarehouseQueueView,
)
from .orders import (
    FlaggedOrderListView,
    OrderAdvanceView,
    OrderCancelView,
    OrderDetailView,
    OrderFlagView,
    OrderListView,
    OrderPackView,
    OrderResolveView,
    OrderShipView,
    PickingListView,
)
from .purchasing import PurchaseRequestCreateView, PurchaseRequestListView, PurchaseRequestStatusView
from .stock import (
    ImportView,
    MovementCreateView,
    MovementListView,
    SkuDetailView,
    SkuListedView,
    StockListView,
    TransferView,
)
from .summary import JobDownloadView, SummaryExportView, SummaryView

__all__ = [
    "PAGE_SIZE",
    "XLSX",
    "ActionView",
    "CatalogueFormView",
    "CatalogueListView",
    "CountCloseView",
    "CountDetailView",
    "CountLineView",
    "CountListView",
    "CountOpenView",
    "FlaggedOrderListView",
    "ImportView",
    "JobDownloadView",
    "JobProgressView",
    "LocationFormView",
    "LossReportDetailView",
    "LossReportListView",
    "LossReportRecheckView",
    "LossReportReviewView",
    "MovementCreateView",
    "MovementListView",
    "OrderAdvanceView",
    "OrderCancelView",
    "OrderDetailView",
    "OrderFlagView",
    "OrderListView",
    "OrderPackView",
    "OrderResolveView",
    "OrderShipView",
    "PickingListView",
    "ProductCreateView",
    "PurchaseRequestCreateView",
    "PurchaseRequestListView",
    "PurchaseRequestStatusView",
    "ServiceForm",
    "SkuDetailView",
    "SkuFormView",
    "SkuListedView",
    "StockListView",
    "SummaryExportView",
    "SummaryView",
    "TransferView",
    "WarehouseFormView",
    "WarehouseQueueView",
    "paginate",
    "parse_month",
]
