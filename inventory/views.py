"""Warehouse pages. Views parse input, call one service or selector, and render; the access rule is on each."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from roles.permissions import RuleRequiredMixin
from shop_ops import jobs
from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number
from shop_ops.redirects import safe_next_url

from . import selectors, services
from .choices import (
    CountStatus,
    JobKind,
    JobStatus,
    LossReportStatus,
    MovementKind,
    OrderStatus,
    PurchaseRequestStatus,
    SkuKind,
)
from .exceptions import ImportRejected
from .forms import (
    FlagForm,
    ImportForm,
    LocationForm,
    MovementForm,
    OpenCountForm,
    PackForm,
    ProductForm,
    PurchaseRequestForm,
    PurchaseStatusForm,
    RecordCountForm,
    ResolveForm,
    ReviewForm,
    ShipForm,
    SkuForm,
    TransferForm,
    WarehouseForm,
)
from .imports import import_movements, import_orders
from .models import (
    InventoryJob,
    Location,
    LossReport,
    Order,
    PurchaseRequest,
    Sku,
    StockCount,
    StockCountLine,
    Warehouse,
)
from .permissions import (
    can_answer_flagged_orders,
    can_handle_flagged_orders,
    can_operate_stock,
    can_override_negative,
    can_review_loss_reports,
    can_view_stock,
)

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paginate(request, queryset, size: int = PAGE_SIZE):
    query = request.GET.copy()
    query.pop("page", None)
    return Paginator(queryset, size).get_page(request.GET.get("page")), query.urlencode()


def parse_month(text: str | None) -> datetime.date:
    try:
        return datetime.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


class ServiceForm(RuleRequiredMixin, FormView):
    """A form whose valid data goes to one service; the service's refusals come back as form errors."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/form.html"
    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, cancel_url=self.get_success_url(), **kwargs)

    def form_valid(self, form):
        try:
            message = self.save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.form_invalid(form)
        except ShopOpsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.get_success_url())


class ActionView(RuleRequiredMixin, View):
    """A POST-only button: runs one service, reports success or the service's refusal as a message."""

    rule = staticmethod(can_operate_stock)
    form_class = None
    fallback_url = "inventory:stock-list"

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            errors = "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
            messages.error(request, errors)
            return redirect(self.next_url())
        try:
            message = self.act(form.cleaned_data if form else {})
        except ShopOpsError as exc:
            messages.error(request, exc.message)
        else:
            if message:
                messages.success(request, message)
        return redirect(self.next_url())

    def next_url(self) -> str:
        return safe_next_url(
            self.request,
            self.request.POST.get("next"),
            self.request.META.get("HTTP_REFERER"),
            fallback=self.fallback_url,
        )


# --- Stock -----------------------------------------------------------------------------------------------------------


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


# --- Catalogue -------------------------------------------------------------------------------------------------------


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


# --- Counts and loss reports ---------------------------------------------------------------------------------------


class WarehouseQueueView(RuleRequiredMixin, TemplateView):
    """Warehouse (and managers): the start page, what waits for the warehouse, each with a link to deal with it."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/queue.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(rows=selectors.warehouse_queue(), **kwargs)


class CountListView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_view_stock)
    template_name = "inventory/count_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page, query = paginate(self.request, selectors.counts_with_progress(), 25)
        context.update(page=page, query=query, can_operate=can_operate_stock(self.request.user))
        return context


class CountOpenView(ServiceForm):
    """Warehouse, Manager: open a count; the system quantities are snapshotted now."""

    form_class = OpenCountForm
    title = gettext_lazy("Open a stock count (盘点)")

    def get_success_url(self):
        return getattr(self, "success_url", None) or reverse("inventory:count-list")

    def save(self, data):
        count = services.open_stock_count(
            warehouse=data["warehouse"], period=data["month"], blind=data["blind"], user=self.request.user
        )
        self.success_url = count.get_absolute_url()
        return _("Count opened with %(n)s lines.") % {"n": count.lines.count()}


class CountDetailView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance: the count lines; counters enter what they find. A blind count hides the system
    figures until it is closed."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/count_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        count = get_object_or_404(selectors.counts_with_progress(), pk=self.kwargs["pk"])
        lines = count.lines.select_related("sku", "location", "counted_by")
        if self.request.GET.get("show") == "uncounted":
            lines = lines.filter(counted_quantity__isnull=True)
        q = self.request.GET.get("q", "").strip()
        if q:
            lines = lines.filter(Q(sku__code__icontains=q) | Q(sku__barcode=q))
        location = self.request.GET.get("location", "")
        if parse_whole_number(location) is not None:  # counters walk the warehouse location by location (逐个库位盘点)
            lines = lines.filter(location_id=parse_whole_number(location))
        page, query = paginate(self.request, lines)
        context.update(
            count=count,
            page=page,
            query=query,
            q=q,
            location=location,
            locations=count.warehouse.locations.all(),
            show=self.request.GET.get("show", ""),
            hide_system=selectors.hides_count_figures(count=count, user=self.request.user),
            can_count=can_operate_stock(self.request.user) and count.status == CountStatus.OPEN,
            job=count.jobs.first(),
        )
        context["waiting_jobs"] = selectors.jobs_waiting_for_queue([context["job"]])
        return context


class CountLineView(ActionView):
    """Warehouse, Manager: record the counted quantity of one line."""

    form_class = RecordCountForm

    def act(self, data):
        line = get_object_or_404(StockCountLine, pk=self.kwargs["line"], count_id=self.kwargs["pk"])
        services.record_count(line=line, counted_quantity=data["counted_quantity"], user=self.request.user)
        return _("Counted %(sku)s at %(location)s: %(n)s.") % {
            "sku": line.sku.code,
            "location": line.location.code,
            "n": data["counted_quantity"],
        }


class CountCloseView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager: a confirmation page on GET, closing on POST (a job for big counts)."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/count_close.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["count"] = get_object_or_404(selectors.counts_with_progress(), pk=self.kwargs["pk"])
        return context

    def post(self, request, *args, **kwargs):
        count = get_object_or_404(StockCount, pk=self.kwargs["pk"])
        action = request.POST.get("action", "close")
        try:
            if action == "cancel":
                services.cancel_stock_count(count=count, user=request.user)
                messages.success(request, _("The count was cancelled."))
            elif (job := services.close_stock_count(count=count, user=request.user)) is None:
                messages.success(request, _("The count is closed; corrections are posted."))
            elif selectors.jobs_waiting_for_queue([job]):
                messages.warning(request, jobs.QUEUE_UNAVAILABLE)
            else:
                messages.success(request, _("Closing the count in the background; this page shows the progress."))
        except ShopOpsError as exc:
            messages.error(request, exc.message)
        return redirect(count.get_absolute_url())


class JobProgressView(RuleRequiredMixin, TemplateView):
    """The progress fragment htmx polls while a job runs."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/includes/job_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["job"] = get_object_or_404(InventoryJob, pk=self.kwargs["pk"])
        context["waiting_jobs"] = selectors.jobs_waiting_for_queue([context["job"]])
        return context


class LossReportListView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_view_stock)
    template_name = "inventory/loss_report_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        reports = LossReport.objects.select_related("count__warehouse", "reviewed_by")
        if status in LossReportStatus.values:
            reports = reports.filter(status=status)
        page, query = paginate(self.request, reports, 25)
        context.update(page=page, query=query, status=status, statuses=LossReportStatus.choices)
        return context


class LossReportDetailView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance read; Finance approves or rejects."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/loss_report_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = get_object_or_404(
            LossReport.objects.select_related("count__warehouse", "reviewed_by"), pk=self.kwargs["pk"]
        )
        page, query = paginate(self.request, report.lines.select_related("sku", "location"))
        context.update(
            report=report,
            page=page,
            query=query,
            can_review=can_review_loss_reports(self.request.user) and report.status == LossReportStatus.PENDING,
            form=kwargs.get("form") or ReviewForm(),
        )
        return context


class LossReportReviewView(ActionView):
    """Finance: approve or reject a pending loss report."""

    rule = staticmethod(can_review_loss_reports)
    form_class = ReviewForm

    def post(self, request, *args, **kwargs):
        report = get_object_or_404(LossReport, pk=self.kwargs["pk"])
        form = ReviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.review_loss_report(
                    report=report, approve=data["decision"] == "approve", note=data["note"], user=request.user
                )
            except ShopOpsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                approved = data["decision"] == "approve"
                messages.success(request, _("Loss report approved.") if approved else _("Loss report rejected."))
                return redirect(report.get_absolute_url())
        # The page again with the bound form: the chosen decision and the typed note stay, the error under its field.
        page = LossReportDetailView()
        page.setup(request, pk=report.pk)
        return page.render_to_response(page.get_context_data(form=form))


# --- 进销存 summary ------------------------------------------------------------------------------------------------


class SummaryView(RuleRequiredMixin, TemplateView):
    """Warehouse, Manager, Finance: the monthly 进销存 summary from the ledger, with a bar chart and an Excel link."""

    rule = staticmethod(can_view_stock)
    template_name = "inventory/summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        month = parse_month(self.request.GET.get("month"))
        q = self.request.GET.get("q", "").strip()
        summary = selectors.monthly_summary(
            month=month, text=q, hidden_warehouses=selectors.blind_warehouse_ids(user=self.request.user)
        )
        page, query = paginate(self.request, summary.rows)
        flows = [
            (_("Opening"), summary.total_value["opening"]),
            (_("Received"), summary.total_value["received"]),
            (_("Shipped"), summary.total_value["shipped"]),
            (_("Returned"), summary.total_value["returned"]),
            (_("Count difference"), summary.total_value["count_difference"]),
            (_("Losses"), summary.total_value["lost"]),
            (_("Closing"), summary.total_value["closing"]),
        ]
        biggest = max((abs(v) for _l, v in flows), default=0) or 1
        context.update(
            summary=summary,
            page=page,
            query=query,
            q=q,
            month=month,
            previous=(month - datetime.timedelta(days=1)).replace(day=1),
            following=(month + datetime.timedelta(days=32)).replace(day=1),
            bars=[
                {"label": label, "value": value, "width": f"{100 * abs(value) / biggest:.1f}%"}
                for label, value in flows
            ],
            exports=list(
                InventoryJob.objects.filter(
                    kind=JobKind.SUMMARY_EXPORT, requested_by=self.request.user, month=month
                ).order_by("-created_at")[:5]
            ),
        )
        context["waiting_jobs"] = selectors.jobs_waiting_for_queue(context["exports"])
        return context


class SummaryExportView(RuleRequiredMixin, View):
    """Warehouse, Manager, Finance: queue the month's summary as .xlsx (a Celery job); the summary page shows its
    progress and then the download link."""

    rule = staticmethod(can_view_stock)

    def post(self, request):
        month = parse_month(request.POST.get("month"))
        q = request.POST.get("q", "").strip()
        try:
            job = services.request_summary_export(month=month, text=q, user=request.user)
        except ShopOpsError as exc:
            messages.error(request, exc.message)
            if exc.field == "month":
                return redirect(reverse("inventory:summary"))
        else:
            if selectors.jobs_waiting_for_queue([job]):
                messages.warning(request, jobs.QUEUE_UNAVAILABLE)
            else:
                messages.success(
                    request, _("The Excel file is being written; the link appears below when it is ready.")
                )
        query = urlencode({"month": f"{month:%Y-%m}", **({"q": q} if q else {})})
        return redirect(f"{reverse('inventory:summary')}?{query}#exports")


class JobDownloadView(RuleRequiredMixin, View):
    """Warehouse, Manager, Finance: the file a finished export job wrote (never served by a public URL)."""

    rule = staticmethod(can_view_stock)

    def get(self, request, pk):
        job = get_object_or_404(InventoryJob, pk=pk, kind=JobKind.SUMMARY_EXPORT, status=JobStatus.DONE)
        if not job.file or not selectors.export_visible_to(job=job, user=request.user):
            raise Http404
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=f"stock-summary-{job.month:%Y-%m}.xlsx", content_type=XLSX
        )


# --- Purchase requests -------------------------------------------------------------------------------------------


class PurchaseRequestListView(RuleRequiredMixin, TemplateView):
    rule = staticmethod(can_view_stock)
    template_name = "inventory/purchase_request_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "active")
        requests = PurchaseRequest.objects.select_related("sku", "created_by")
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
            locations=Location.objects.all(),
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
        return _("Purchase request updated.")


# --- Orders --------------------------------------------------------------------------------------------------------


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
            next_label=OrderStatus(services.ORDER_STEPS[order.status]).label
            if order.status in services.ORDER_STEPS
            else "",
            can_operate=can_operate_stock(user),
            can_answer=can_answer_flagged_orders(user) and order.flagged_by_id != user.pk,
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
