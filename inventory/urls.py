"""Pages of the inventory module (mounted at /inventory/)."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.StockListView.as_view(), name="stock-list"),
    path("queue/", views.WarehouseQueueView.as_view(), name="queue"),
    path("skus/<id:pk>/", views.SkuDetailView.as_view(), name="sku-detail"),
    path("skus/<id:pk>/listed/", views.SkuListedView.as_view(), name="sku-listed"),
    path("catalogue/", views.CatalogueListView.as_view(tab="goods"), name="catalogue-skus"),
    path("catalogue/products/", views.CatalogueListView.as_view(tab="products"), name="catalogue-products"),
    path("catalogue/products/new/", views.ProductCreateView.as_view(), name="product-create"),
    path("catalogue/materials/", views.CatalogueListView.as_view(tab="material"), name="catalogue-materials"),
    path("catalogue/warehouses/", views.CatalogueListView.as_view(tab="warehouses"), name="catalogue-warehouses"),
    path("catalogue/locations/", views.CatalogueListView.as_view(tab="locations"), name="catalogue-locations"),
    path("catalogue/skus/new/", views.SkuFormView.as_view(), name="sku-create"),
    path("catalogue/skus/<id:pk>/edit/", views.SkuFormView.as_view(), name="sku-edit"),
    path("catalogue/warehouses/new/", views.WarehouseFormView.as_view(), name="warehouse-create"),
    path("catalogue/warehouses/<id:pk>/edit/", views.WarehouseFormView.as_view(), name="warehouse-edit"),
    path("catalogue/locations/new/", views.LocationFormView.as_view(), name="location-create"),
    path("catalogue/locations/<id:pk>/edit/", views.LocationFormView.as_view(), name="location-edit"),
    path("movements/", views.MovementListView.as_view(), name="movement-list"),
    path("movements/new/", views.MovementCreateView.as_view(), name="movement-create"),
    path("transfers/new/", views.TransferView.as_view(), name="transfer"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("counts/", views.CountListView.as_view(), name="count-list"),
    path("counts/new/", views.CountOpenView.as_view(), name="count-open"),
    path("counts/<id:pk>/", views.CountDetailView.as_view(), name="count-detail"),
    path("counts/<id:pk>/lines/<id:line>/", views.CountLineView.as_view(), name="count-line"),
    path("counts/<id:pk>/close/", views.CountCloseView.as_view(), name="count-close"),
    path("jobs/<id:pk>/", views.JobProgressView.as_view(), name="job-progress"),
    path("jobs/<id:pk>/download/", views.JobDownloadView.as_view(), name="job-download"),
    path("loss-reports/", views.LossReportListView.as_view(), name="loss-report-list"),
    path("loss-reports/<id:pk>/", views.LossReportDetailView.as_view(), name="loss-report-detail"),
    path("loss-reports/<id:pk>/review/", views.LossReportReviewView.as_view(), name="loss-report-review"),
    path("loss-reports/<id:pk>/recheck/", views.LossReportRecheckView.as_view(), name="loss-report-recheck"),
    path("summary/", views.SummaryView.as_view(), name="summary"),
    path("summary/export/", views.SummaryExportView.as_view(), name="summary-export"),
    path("purchase-requests/", views.PurchaseRequestListView.as_view(), name="purchase-request-list"),
    path("purchase-requests/new/", views.PurchaseRequestCreateView.as_view(), name="purchase-request-create"),
    path(
        "purchase-requests/<id:pk>/status/", views.PurchaseRequestStatusView.as_view(), name="purchase-request-status"
    ),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/needs-customer-service/", views.FlaggedOrderListView.as_view(), name="flagged-orders"),
    path("orders/<id:pk>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<id:pk>/advance/", views.OrderAdvanceView.as_view(), name="order-advance"),
    path("orders/<id:pk>/flag/", views.OrderFlagView.as_view(), name="order-flag"),
    path("orders/<id:pk>/pack/", views.OrderPackView.as_view(), name="order-pack"),
    path("orders/<id:pk>/ship/", views.OrderShipView.as_view(), name="order-ship"),
    path("orders/picking-list/", views.PickingListView.as_view(), name="picking-list"),
    path("orders/<id:pk>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<id:pk>/resolve/", views.OrderResolveView.as_view(), name="order-resolve"),
]
