"""Stock pages: levels, a SKU's page, the movement ledger, new movements, transfers, imports."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from roles.permissions import RuleRequiredMixin
from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number

from .. import selectors, services
from ..choices import MovementKind
from ..exceptions import ImportRejected
from ..forms import IMPORT_CHOICES, ImportForm, MovementForm, TransferForm
from ..imports import import_movements, import_orders
from ..models import Location, Sku
from ..permissions import can_operate_stock, can_override_negative, can_view_stock
from .base import ActionView, ServiceForm, paginate


class StockListView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance: stock per SKU and location, searchable; warning-level and delisting views."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/stock_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        q = params.get("q", "").strip()
        location = params.get("location", "")
        below = params.get("below") == "1"
        hidden = selectors.blind_warehouse_ids(user=self.request.user)
        levels = selectors.search_levels(
            text=q,
            location_id=parse_whole_number(location),
            below_warning=below,
            hidden_warehouses=hidden,
        )
        page, query = paginate(self.request, levels)
        context.update(
            page=page,
            query=query,
            q=q,
            location=location,
            below=below,
            locations=Location.objects.select_related("warehouse"),
            to_delist=selectors.skus_to_delist(hidden_warehouses=hidden)[:20],
            can_operate=can_operate_stock(self.request.user),
        )
        return context


class SkuDetailView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_view_stock)
    template_name = "inventory/sku_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        hidden = selectors.blind_warehouse_ids(user=self.request.user)
        sku = get_object_or_404(selectors.skus_with_totals(hidden_warehouses=hidden), pk=self.kwargs["pk"])
        page, query = paginate(self.request, selectors.movements(sku_id=sku.pk, hidden_warehouses=hidden))
        context.update(
            sku=sku,
            levels=sku.levels.select_related("location").exclude(location__warehouse_id__in=hidden),
            page=page,
            query=query,
            can_operate=can_operate_stock(self.request.user),
        )
        return context


class SkuListedView(ActionView):
    """Warehouse, Manager: list or delist a SKU in the shop."""

    def act(self, data):
        sku = get_object_or_404(Sku, pk=self.kwargs["pk"])
        listed = self.request.POST.get("listed") == "1"
        services.set_sku_listed(sku=sku, listed=listed, user=self.request.user)
        return (
            _("%(sku)s is now listed.") % {"sku": sku.code} if listed else _("%(sku)s is delisted.") % {"sku": sku.code}
        )


class MovementListView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance: the ledger (出入库记录), filterable by kind, SKU code and reference."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/movement_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        kind = params.get("kind", "") if params.get("kind", "") in MovementKind.values else ""
        sku_code = params.get("sku", "").strip()
        ledger = selectors.movements(
            kind=kind,
            reference=params.get("reference", "").strip(),
            sku_code=sku_code,
            hidden_warehouses=selectors.blind_warehouse_ids(user=self.request.user),
        )
        page, query = paginate(self.request, ledger)
        context.update(
            page=page,
            query=query,
            kind=kind,
            kinds=MovementKind.choices,
            sku=sku_code,
            reference=params.get("reference", ""),
        )
        return context


class MovementCreateView(ServiceForm):
    """Warehouse, Manager: post a receipt, shipment, return or loss; only managers see the below-zero override."""

    form_class = MovementForm
    title = gettext_lazy("Post a stock movement")

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"may_override": can_override_negative(self.request.user)}

    def get_initial(self):
        return {"kind": self.request.GET.get("kind", MovementKind.RECEIPT)}

    def get_success_url(self):
        return reverse("inventory:movement-list")

    def save(self, data):
        movement = services.post_movement(user=self.request.user, **data)
        return _("Posted: %(kind)s %(qty)+d of %(sku)s at %(location)s.") % {
            "kind": movement.get_kind_display(),
            "qty": movement.quantity,
            "sku": data["sku"].code,
            "location": data["location"].code,
        }


class TransferView(ServiceForm):
    """Warehouse, Manager: move units between bin locations."""

    form_class = TransferForm
    title = gettext_lazy("Transfer between locations (调拨)")

    def get_success_url(self):
        return reverse("inventory:movement-list")

    def save(self, data):
        services.transfer_stock(user=self.request.user, **data)
        return _("Transferred %(n)s of %(sku)s.") % {"n": data["quantity"], "sku": data["sku"].code}


class ImportView(RuleRequiredMixin, FormView):
    """Warehouse, Manager: receipts, shipments, returns or orders from a file; all rows or none."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/import.html"
    form_class = ImportForm

    def get_initial(self):
        # "Import orders" on the order list opens this page with the orders chosen (?kind=orders).
        kind = self.request.GET.get("kind", "")
        return {"kind": kind} if kind in dict(IMPORT_CHOICES) else {}

    def form_valid(self, form):
        kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
        try:
            if kind == "orders":
                result = import_orders(upload=upload, user=self.request.user)
            else:
                result = import_movements(upload=upload, kind=kind, user=self.request.user)
        except ImportRejected as exc:
            form.add_error("file", exc.message)
            return self.render_to_response(self.get_context_data(form=form, row_errors=exc.errors))
        except ShopOpsError as exc:
            form.add_error("file", exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Imported %(rows)s rows: %(created)s records created.")
            % {"rows": result.rows, "created": result.created},
        )
        return redirect(reverse("inventory:order-list") if kind == "orders" else reverse("inventory:movement-list"))
