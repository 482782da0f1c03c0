"""Purchase request pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names

from .. import services
from ..choices import PurchaseRequestStatus
from ..forms import PurchaseRequestForm, PurchaseStatusForm
from ..models import Location, PurchaseRequest
from ..permissions import can_operate_stock, can_view_stock
from .base import ActionView, ServiceForm, paginate


class PurchaseRequestListView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_view_stock)
    template_name = "inventory/purchase_request_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "active")
        requests = with_names(PurchaseRequest.objects.select_related("sku"), "created_by")
        if status == "active":
            requests = requests.filter(status__in=["open", "ordered"])
        elif status in PurchaseRequestStatus.values:
            requests = requests.filter(status=status)
        page, query = paginate(self.request, requests)
        context.update(
            page=page,
            query=query,
            status=status,
            statuses=[("active", _("Open or ordered")), *PurchaseRequestStatus.choices, ("all", _("All"))],
            locations=Location.objects.select_related("warehouse"),
            can_operate=can_operate_stock(self.request.user),
        )
        return context


class PurchaseRequestCreateView(ServiceForm):
    form_class = PurchaseRequestForm
    title = gettext_lazy("New purchase request (进货单)")

    def get_success_url(self):
        return reverse("inventory:purchase-request-list")

    def save(self, data):
        services.create_purchase_request(user=self.request.user, **data)
        return _("Purchase request saved.")


class PurchaseRequestStatusView(ActionView):
    form_class = PurchaseStatusForm

    def act(self, data):
        request = get_object_or_404(PurchaseRequest, pk=self.kwargs["pk"])
        services.change_purchase_request_status(
            request=request, status=data["status"], location=data["location"], user=self.request.user
        )
        request.refresh_from_db()
        # Say what happened to which request: the row may leave the filtered list.
        return _("Purchase request %(n)s × %(code)s: %(status)s.") % {
            "n": request.quantity,
            "code": request.sku.code,
            "status": request.get_status_display(),
        }
