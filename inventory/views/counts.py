"""Stock count pages, the warehouse's start page, job progress and the loss reports."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names
from shop_ops import jobs
from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number

from .. import selectors, services
from ..choices import CountStatus, LossReportStatus
from ..exceptions import RecheckRefused
from ..forms import OpenCountForm, RecheckForm, RecordCountForm, ReviewForm
from ..models import InventoryJob, LossReport, StockCount, StockCountLine
from ..permissions import can_close_counts, can_operate_stock, can_review_loss_reports, can_view_stock
from .base import ActionView, ServiceForm, paginate


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
    """Warehouse, Manager: a confirmation page on GET, closing on POST (a job for big counts). Closing is the
    warehouse supervisor's or a manager's (`can_close_counts`, checked by the service); other counters may cancel."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/count_close.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["count"] = get_object_or_404(selectors.counts_with_progress(), pk=self.kwargs["pk"])
        context["can_close"] = can_close_counts(self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        count = get_object_or_404(StockCount, pk=self.kwargs["pk"])
        action = request.POST.get("action", "close")
        try:
            if action == "cancel":
                if not request.POST.get("confirm_cancel"):
                    messages.error(request, _("Tick the box to confirm that the whole count is cancelled."))
                    return redirect("inventory:count-close", pk=count.pk)
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
        reports = with_names(LossReport.objects.select_related("count__warehouse"), "reviewed_by")
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
            with_names(LossReport.objects.select_related("count__warehouse"), "reviewed_by", "rechecked_by"),
            pk=self.kwargs["pk"],
        )
        page, query = paginate(self.request, report.lines.select_related("sku", "location"))
        context.update(
            report=report,
            page=page,
            query=query,
            can_review=can_review_loss_reports(self.request.user) and report.status == LossReportStatus.PENDING,
            form=kwargs.get("form") or ReviewForm(),
            can_recheck=can_close_counts(self.request.user),
            recheck_refusal=services.recheck_refusal(report=report)
            if report.status == LossReportStatus.REJECTED
            else None,
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


class LossReportRecheckView(RuleRequiredMixin, TemplateView):
    """Warehouse supervisor, Manager: a rejected loss report's lines prefilled, to correct after recounting the goods
    and send back to finance with a note (resubmit_loss_report)."""

    rule = staticmethod(can_close_counts)
    template_name = "inventory/loss_report_recheck.html"

    @cached_property
    def report(self) -> LossReport:  # read after the rule let the user in
        return get_object_or_404(
            with_names(LossReport.objects.select_related("count__warehouse"), "reviewed_by"), pk=self.kwargs["pk"]
        )

    def lines(self):
        return self.report.lines.select_related("sku", "location").order_by("sku__code", "location__code")

    def counted(self) -> dict:
        """The count's system figure and counted quantity of each line, by (SKU, location)."""
        return {
            (line.sku_id, line.location_id): (line.expected_quantity, line.counted_quantity)
            for line in StockCountLine.objects.filter(count_id=self.report.count_id, counted_quantity__isnull=False)
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rejected = self.report.status == LossReportStatus.REJECTED
        context.update(
            report=self.report,
            form=kwargs.get("form") or RecheckForm(lines=self.lines(), counted=self.counted()),
            # A report finance has not rejected (or already sent back) has nothing to recheck: the page says so.
            refusal=services.recheck_refusal(report=self.report)
            if rejected
            else _("This loss report is not rejected: there is nothing to recheck."),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = RecheckForm(request.POST, lines=self.lines(), counted=self.counted())
        if form.is_valid():
            try:
                services.resubmit_loss_report(
                    report=self.report,
                    differences=form.differences(),
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except RecheckRefused as exc:  # every line out of bounds, each under its own field
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            except ShopOpsError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Rechecked: the loss report is back with finance."))
                return redirect(self.report.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))
