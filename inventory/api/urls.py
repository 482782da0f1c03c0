"""API of the inventory module (mounted at /api/inventory/)."""

from django.urls import path

from shop_ops.api import Router

from . import views

router = Router()
router.register("skus", views.SkuViewSet, basename="inventory-sku")
router.register("locations", views.LocationViewSet, basename="inventory-location")
router.register("levels", views.StockLevelViewSet, basename="inventory-level")
router.register("movements", views.StockMovementViewSet, basename="inventory-movement")
router.register("counts", views.StockCountViewSet, basename="inventory-count")
router.register("loss-reports", views.LossReportViewSet, basename="inventory-loss-report")
router.register("purchase-requests", views.PurchaseRequestViewSet, basename="inventory-purchase-request")
router.register("orders", views.OrderViewSet, basename="inventory-order")

urlpatterns = [
    path("transfers/", views.TransferView.as_view(), name="inventory-transfer"),
    path("summary/", views.SummaryView.as_view(), name="inventory-summary"),
    path("summary/export/", views.SummaryExportView.as_view(), name="inventory-summary-export"),
    path("imports/", views.ImportView.as_view(), name="inventory-import"),
    *router.urls,
]
