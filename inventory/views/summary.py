"""The 进销存 summary page, its Excel export and the download of a finished job."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from roles.permissions import RuleRequiredMixin
from shop_ops import jobs
from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..choices import JobKind, JobStatus
from ..models import InventoryJob
from ..permissions import can_view_stock
from .base import XLSX, paginate, parse_month


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
