"""Order pages: the list, an order, its steps, packing, shipping, the picking list and flags."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..choices import OrderStatus
from ..forms import CancelOrderForm, FlagForm, PackForm, ResolveForm, ShipForm
from ..models import Order
from ..permissions import (
    can_answer_flagged_orders,
    can_cancel_flagged_orders,
    can_handle_flagged_orders,
    can_operate_stock,
)
from .base import ActionView, paginate


class OrderListView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager: the orders by status (打单 → 配货 → 打包 → 发货)."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/order_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        q = self.request.GET.get("q", "").strip()
        orders = Order.objects.prefetch_related("lines__sku")
        if status in OrderStatus.values:
            orders = orders.filter(status=status)
        if q:
            orders = orders.filter(number__icontains=q)
        page, query = paginate(self.request, orders)
        context.update(page=page, query=query, status=status, statuses=OrderStatus.choices, q=q)
        return context


# What the order page's next-step button does, said as an action (a tester read "下一步：已打单", the status it
# leads to, as a label rather than a step). Packing and shipping have their own forms.
STEP_ACTIONS = {
    OrderStatus.PRINTED: gettext_lazy("check and print (打单)"),
    OrderStatus.PICKED: gettext_lazy("picking done (配货完成)"),
}


class OrderDetailView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_handle_flagged_orders)
    template_name = "inventory/order_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = get_object_or_404(Order.objects.prefetch_related("lines__sku"), pk=self.kwargs["pk"])
        user = self.request.user
        context.update(
            order=order,
            next_step=services.ORDER_STEPS.get(order.status),
            next_label=STEP_ACTIONS.get(services.ORDER_STEPS.get(order.status), ""),
            can_operate=can_operate_stock(user),
            can_answer=can_answer_flagged_orders(user) and order.flagged_by_id != user.pk,
            can_cancel=order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED)
            and (can_cancel_flagged_orders(user) if order.needs_customer_service else can_operate_stock(user)),
            open=order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
            pack_form=PackForm() if order.status == OrderStatus.PICKED else None,
            ship_form=ShipForm(initial={"courier": order.courier}) if order.status == OrderStatus.PACKED else None,
        )
        return context

    def has_access(self) -> bool:
        # Customer service opens only the orders waiting for them; the warehouse opens every order.
        if can_operate_stock(self.request.user):
            return True
        return (
            can_handle_flagged_orders(self.request.user)
            and Order.objects.filter(pk=self.kwargs["pk"], needs_customer_service=True).exists()
        )

    def dispatch(self, request, *args, **kwargs):
        # Customer service opening an order that is no longer theirs (answered, cancelled, from an old link or the
        # back button): say where it went and show their list, rather than "no permission" on the start page.
        user = request.user
        if user.is_authenticated and not can_operate_stock(user) and can_handle_flagged_orders(user):
            order = Order.objects.filter(pk=kwargs["pk"], needs_customer_service=False).first()
            if order is not None:
                messages.info(
                    request,
                    _("Order %(number)s is no longer waiting for customer service (%(status)s).")
                    % {"number": order.number, "status": order.get_status_display()},
                )
                return redirect("inventory:flagged-orders")
        return super().dispatch(request, *args, **kwargs)


class OrderAdvanceView(ActionView):
    def act(self, data):
        order = get_object_or_404(Order, pk=self.kwargs["pk"])
        order = services.advance_order(
            order=order, to_status=self.request.POST.get("status", ""), user=self.request.user
        )
        if order.needs_customer_service:
            messages.warning(self.request, order.flag_reason)
            return ""
        return _("Order %(number)s: %(status)s.") % {"number": order.number, "status": order.get_status_display()}


class OrderPackView(ActionView):
    """Warehouse, Manager: the packing check; a mismatch hands the order to customer service instead of packing."""

    form_class = PackForm

    def post(self, request, *args, **kwargs):
        order = get_object_or_404(Order, pk=self.kwargs["pk"])
        form = PackForm(request.POST)
        if form.is_valid():
            try:
                order = services.pack_order(order=order, items=form.cleaned_data["items"], user=request.user)
            except ShopOpsError as exc:
                if exc.field not in form.fields:  # the order moved on meanwhile: say so on the order page
                    messages.error(request, exc.message)
                    return redirect(order.get_absolute_url())
                form.add_error(exc.field, exc.message)
            else:
                if order.needs_customer_service:
                    messages.warning(request, order.flag_reason)
                else:
                    messages.success(request, _("Order %(number)s is packed.") % {"number": order.number})
                return redirect(order.get_absolute_url())
        # A typo or an unknown code: the order page again with the scanned text kept and the error under the box.
        page = OrderDetailView()
        page.setup(request, pk=order.pk)
        context = page.get_context_data()
        if context["pack_form"] is not None:
            context["pack_form"] = form
        return page.render_to_response(context)


class OrderShipView(ActionView):
    """Warehouse, Manager: ship a packed order with courier and tracking number; posts the shipment movements."""

    form_class = ShipForm

    def act(self, data):
        order = services.ship_order(
            order=get_object_or_404(Order, pk=self.kwargs["pk"]), user=self.request.user, **data
        )
        return _("Order %(number)s shipped with %(courier)s, tracking number %(tracking)s.") % {
            "number": order.number,
            "courier": order.courier,
            "tracking": order.tracking_number,
        }


class PickingListView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager: the printable picking list (配货单) of the checked-and-printed orders, with the bin to
    take each line from."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/picking_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        orders, bins = selectors.picking_list(hidden_warehouses=selectors.blind_warehouse_ids(user=self.request.user))
        for order in orders:
            for line in order.lines.all():  # prefetched: the attribute stays on the cached line
                line.bins = bins.get(line.sku_id, [])
        context.update(orders=orders, now=timezone.now())
        return context


class OrderFlagView(ActionView):
    form_class = FlagForm

    def act(self, data):
        order = services.flag_order(
            order=get_object_or_404(Order, pk=self.kwargs["pk"]), user=self.request.user, **data
        )
        return _("Order %(number)s handed to customer service.") % {"number": order.number}


class OrderCancelView(ActionView):
    """Customer service or a manager cancels an order waiting for them (the customer no longer wants it); the
    warehouse cancels an order not yet shipped. The service says who may cancel which."""

    rule = staticmethod(lambda user: can_cancel_flagged_orders(user) or can_operate_stock(user))
    form_class = CancelOrderForm
    fallback_url = "inventory:flagged-orders"

    def act(self, data):
        order = get_object_or_404(Order, pk=self.kwargs["pk"])
        order = services.advance_order(order=order, to_status=OrderStatus.CANCELLED, user=self.request.user)
        return _("Order %(number)s is cancelled.") % {"number": order.number}


class OrderResolveView(ActionView):
    """Customer service: answer a flagged order (not one they handed over themselves)."""

    rule = staticmethod(can_answer_flagged_orders)
    form_class = ResolveForm
    fallback_url = "inventory:flagged-orders"

    def act(self, data):
        order = services.resolve_order_flag(
            order=get_object_or_404(Order, pk=self.kwargs["pk"]), user=self.request.user, **data
        )
        return _("Order %(number)s is back with the warehouse.") % {"number": order.number}


class FlaggedOrderListView(RuleRequiredMixin, TemplateView):
    """Customer service, Warehouse, Manager: orders waiting for customer service (需客服处理)."""

    rule = staticmethod(can_handle_flagged_orders)
    template_name = "inventory/flagged_orders.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page, query = paginate(self.request, selectors.flagged_orders())
        context.update(page=page, query=query)
        return context
