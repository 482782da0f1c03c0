"""Catalogue pages: SKUs, products, warehouses and bin locations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from roles.permissions import RuleRequiredMixin
from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..choices import SkuKind
from ..forms import LocationForm, ProductForm, SkuForm, WarehouseForm
from ..models import Location, Sku, Warehouse
from ..permissions import can_operate_stock, can_view_stock
from .base import ServiceForm, paginate


class CatalogueListView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance: SKUs, auxiliary materials, warehouses or locations, searchable and paginated;
    Warehouse and Manager see the New and Edit buttons."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/catalogue_list.html"
    tab = "goods"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        q = self.request.GET.get("q", "").strip()
        hidden = selectors.blind_warehouse_ids(user=self.request.user)
        if self.tab == "products":
            rows = selectors.search_products(text=q, hidden_warehouses=hidden)
        elif self.tab == "warehouses":
            rows = selectors.search_warehouses(text=q)
        elif self.tab == "locations":
            rows = selectors.search_locations(text=q)
        else:
            rows = selectors.search_skus(text=q, kind=self.tab, hidden_warehouses=hidden)
        page, query = paginate(self.request, rows)
        context.update(page=page, query=query, q=q, tab=self.tab, can_operate=can_operate_stock(self.request.user))
        return context


class CatalogueFormView(RuleRequiredMixin, FormView):
    """Warehouse, Manager: create or edit one catalogue record; refusals come back at the field."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/form.html"
    model = None
    save_service = None
    list_url = ""
    titles = ("", "")

    def dispatch(self, request, *args, **kwargs):
        pk = kwargs.get("pk")
        self.object = get_object_or_404(self.model, pk=pk) if pk else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"instance": self.object}

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in SkuKind.values else {}

    def get_success_url(self):
        return self.list_url_for(self.object)

    def list_url_for(self, instance) -> str:
        return reverse(self.list_url)

    def get_context_data(self, **kwargs):
        title = self.titles[1] % {"name": self.object} if self.object else self.titles[0]
        return super().get_context_data(title=title, cancel_url=self.get_success_url(), **kwargs)

    def form_valid(self, form):
        try:
            saved = type(self).save_service(**{self.model._meta.model_name: form.instance, "user": self.request.user})
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        except ShopOpsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        self.object = saved
        messages.success(self.request, _("Saved %(name)s.") % {"name": saved})
        return redirect(self.get_success_url())


class SkuFormView(CatalogueFormView):
    model = Sku
    form_class = SkuForm
    save_service = staticmethod(services.save_sku)
    titles = (gettext_lazy("New SKU or material"), gettext_lazy("Edit %(name)s"))

    def get_success_url(self):
        kind = self.object.kind if self.object else self.request.GET.get("kind")
        return reverse("inventory:catalogue-materials" if kind == SkuKind.MATERIAL else "inventory:catalogue-skus")


class ProductCreateView(ServiceForm):
    """Warehouse, Manager: a new product (款) and its SKUs, one per colour and size, in one go."""

    form_class = ProductForm
    title = gettext_lazy("New product (款) with its colours and sizes")

    def get_success_url(self):
        return getattr(self, "success_url", None) or reverse("inventory:catalogue-products")

    def save(self, data):
        skus = services.create_product(user=self.request.user, **data)
        self.success_url = f"{reverse('inventory:catalogue-skus')}?{urlencode({'q': data['style_code']})}"
        return _("Created %(n)s SKUs of %(style)s.") % {"n": len(skus), "style": data["style_code"]}


class WarehouseFormView(CatalogueFormView):
    model = Warehouse
    form_class = WarehouseForm
    save_service = staticmethod(services.save_warehouse)
    list_url = "inventory:catalogue-warehouses"
    titles = (gettext_lazy("New warehouse"), gettext_lazy("Edit %(name)s"))


class LocationFormView(CatalogueFormView):
    model = Location
    form_class = LocationForm
    save_service = staticmethod(services.save_location)
    list_url = "inventory:catalogue-locations"
    titles = (gettext_lazy("New bin location"), gettext_lazy("Edit location %(name)s"))
