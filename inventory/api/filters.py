import django_filters

from ..choices import MovementKind, OrderStatus, PurchaseRequestStatus, SkuKind
from ..models import Order, PurchaseRequest, Sku, StockLevel, StockMovement


class SkuFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SkuKind.choices)

    class Meta:
        model = Sku
        fields = ["code", "style_code", "kind", "is_listed"]


class StockLevelFilterSet(django_filters.FilterSet):
    sku_code = django_filters.CharFilter(field_name="sku__code", lookup_expr="iexact")
    warehouse = django_filters.CharFilter(field_name="location__warehouse__code")

    class Meta:
        model = StockLevel
        fields = ["sku", "sku_code", "location", "warehouse"]


class StockMovementFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MovementKind.choices)
    sku_code = django_filters.CharFilter(field_name="sku__code", lookup_expr="iexact")
    occurred_at = django_filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = StockMovement
        fields = ["sku", "sku_code", "location", "kind", "reference", "occurred_at"]


class PurchaseRequestFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PurchaseRequestStatus.choices)

    class Meta:
        model = PurchaseRequest
        fields = ["sku", "status"]


class OrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices)

    class Meta:
        model = Order
        fields = ["number", "status", "needs_customer_service"]
