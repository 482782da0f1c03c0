"""Payroll run pages: the list, a run, its progress, its actions, and its Excel exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names
from shop_ops import jobs
from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..api.views import export_file_response
from ..choices import ExportStatus, RunStatus
from ..exceptions import FlaggedChangesUnconfirmed
from ..forms import ApproveRunForm, StartRunForm
from ..models import PayrollExport, PayrollRun, SalesFigure
from ..permissions import can_run_payroll, can_view_payroll_inputs


def _month(value: str):
    try:
        return services.parse_month(value)
    except ShopOpsError:
        raise Http404 from None


class RunListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: every month's run; Finance starts one. Others are sent to their own payslips."""

    template_name = "payroll/run_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_view_payroll_inputs(request.user):
            return redirect("payroll:payslip-list")
        return super().dispatch(request, *args, **kwargs)

    rule = staticmethod(can_view_payroll_inputs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        runs = with_names(PayrollRun.objects.order_by("-month"), "started_by", "approved_by", "paid_by")
        context["page"] = Paginator(runs, 24).get_page(self.request.GET.get("page"))
        context["form"] = kwargs.get("form") or StartRunForm(
            initial={"month": selectors.due_month(services.current_month())}
        )
        context["can_run"] = can_run_payroll(self.request.user)
        context["input_months"] = sorted(
            set(SalesFigure.objects.values_list("month", flat=True)) | {services.current_month()}, reverse=True
        )[:6]
        return context

    def post(self, request, *args, **kwargs):
        if not can_run_payroll(request.user):
            messages.error(request, _("You do not have permission to do that."))
            return redirect("payroll:run-list")
        form = StartRunForm(request.POST)
        if form.is_valid():
            try:
                run = services.start_run(month=form.cleaned_data["month"], user=request.user)
            except ShopOpsError as error:
                form.add_error("month", error.message)
            else:
                if selectors.run_waiting_for_queue(run=run):
                    messages.warning(request, jobs.QUEUE_UNAVAILABLE)
                else:
                    messages.success(request, _("The payroll of %(month)s has started.") % {"month": run.label})
                return redirect(run.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form))


class RunDetailView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: a run's status and progress, totals by department, its payslips; Finance acts on it."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/run_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = selectors.run_for_month(_month(self.kwargs["month"]))
        if run is None:
            raise Http404
        departments, grand = selectors.run_totals(run=run)
        slips = selectors.search_payslips(
            queryset=selectors.payslips_visible_to(user=self.request.user).filter(run=run),
            text=self.request.GET.get("q", ""),
        ).order_by("employee__employee_number")
        exports = selectors.current_exports(run=run) if can_run_payroll(self.request.user) else []
        page = Paginator(slips, 50).get_page(self.request.GET.get("page"))
        input_changes = _input_changes(run)
        context.update(
            run=run,
            departments=departments,
            grand=grand,
            page=page,
            outside_pay_grade=selectors.outside_pay_grade(page),
            q=self.request.GET.get("q", ""),
            query=f"q={self.request.GET.get('q', '')}",
            can_run=can_run_payroll(self.request.user),
            waiting_for_queue=selectors.run_waiting_for_queue(run=run),
            exports=exports,
            waiting_exports=selectors.exports_waiting_for_queue(exports),
            keep_days=settings.PAYROLL_EXPORT_KEEP_DAYS,
            input_changes=input_changes,
            inputs_changed=bool(input_changes and input_changes.changes),
            month_ended=run.month < services.current_month(),
        )
        if run.status in selectors.VISIBLE_RUN_STATUSES:
            context.update(_variance_context(self.request, run))
        return context


def _variance_context(request, run: PayrollRun) -> dict:
    """What changed since last month: the changes (flagged first) searched by name or number, 50 a page."""
    variance = selectors.run_variance(run=run)
    text = request.GET.get("cq", "").strip()
    query = request.GET.copy()
    query.pop("cpage", None)
    return {
        "variance": variance,
        "flagged_count": len(variance.flagged),
        "changes_page": Paginator(variance.search(text), 50).get_page(request.GET.get("cpage")),
        "cq": text,
        "changes_query": query.urlencode(),
    }


def _input_changes(run: PayrollRun) -> selectors.InputChangesView | None:
    """For a computed run awaiting approval: how its month's inputs differ now from what it read (None otherwise)."""
    if run.status != RunStatus.READY:
        return None
    return selectors.InputChangesView.of(selectors.run_input_changes(run=run))


class RunProgressView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: the progress box, polled by htmx while the run computes."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/includes/run_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = selectors.run_for_month(_month(self.kwargs["month"]))
        if run is None:
            raise Http404
        context["run"] = run
        context["waiting_for_queue"] = selectors.run_waiting_for_queue(run=run)
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        run = context["run"]
        if run.status != RunStatus.RUNNING and self.request.headers.get("HX-Request"):
            # Finished: reload the whole page so the totals and payslips appear.
            response["HX-Refresh"] = "true"
        return response


FLAGGED_LISTED = 100  # flagged changes the approval page lists; the run's page has them all


class RunActionView(RuleRequiredMixin, TemplateView):
    """Finance: a confirmation page on GET, the action (approve, mark paid) on POST."""

    rule = staticmethod(can_run_payroll)
    template_name = "payroll/run_confirm.html"
    action = ""

    def get_run(self):
        return get_object_or_404(PayrollRun, month=_month(self.kwargs["month"]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["run"] = run = self.get_run()
        context["action"] = self.action
        context["input_changes"] = _input_changes(run) if self.action == "approve" else None
        if self.action == "approve":
            context["outside_pay_grade"] = selectors.count_outside_pay_grade(run=run)
            variance = selectors.run_variance(run=run)
            flagged = variance.flagged
            context.update(
                variance=variance,
                flagged=flagged[:FLAGGED_LISTED],
                flagged_count=len(flagged),
                form=kwargs.get("form") or ApproveRunForm(),
            )
        return context

    def post(self, request, *args, **kwargs):
        run = self.get_run()
        try:
            if self.action == "approve":
                form = ApproveRunForm(request.POST)
                form.is_valid()  # a tick box: always valid; unticked is False
                try:
                    services.approve_run(
                        run=run, user=request.user, confirm_flagged=form.cleaned_data.get("confirm_flagged", False)
                    )
                except FlaggedChangesUnconfirmed as error:
                    form.add_error("confirm_flagged", error.message)
                    return self.render_to_response(self.get_context_data(form=form))
                messages.success(
                    request, _("Approved. The payroll of %(month)s is now read-only.") % {"month": run.label}
                )
            else:
                services.mark_paid(run=run, user=request.user)
                messages.success(request, _("Marked as paid."))
        except ShopOpsError as error:
            messages.error(request, error.message)
        return redirect(run.get_absolute_url())


class RunExportView(RuleRequiredMixin, View):
    """Finance only (the workbook carries full bank account numbers): ask for the run's workbook. A small run's file
    comes back at once; a large one is written by the payroll worker while the run's page shows the progress and
    then the link."""

    rule = staticmethod(can_run_payroll)

    def post(self, request, month):
        run = get_object_or_404(PayrollRun, month=_month(month))
        try:
            job = services.request_export(run=run, user=request.user)
        except ShopOpsError as error:
            messages.error(request, error.message)
            return redirect(run.get_absolute_url())
        if job.status == ExportStatus.DONE:
            return export_file_response(job)
        if job.status == ExportStatus.FAILED:
            messages.error(request, _("The export failed: %(error)s") % {"error": job.error})
        elif selectors.exports_waiting_for_queue([job]):
            messages.warning(request, jobs.QUEUE_UNAVAILABLE)
        else:
            messages.success(request, _("The workbook is being written; the link appears below when it is ready."))
        return redirect(f"{run.get_absolute_url()}#exports")


class ExportProgressView(RuleRequiredMixin, TemplateView):
    """Finance: an export's progress box, polled by htmx until the file is written."""

    rule = staticmethod(can_run_payroll)
    template_name = "payroll/includes/export_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = get_object_or_404(
            with_names(PayrollExport.objects.select_related("run"), "requested_by"), pk=self.kwargs["pk"]
        )
        context["job"] = job
        context["waiting_exports"] = selectors.exports_waiting_for_queue([job])
        # A finished file of a run awaiting approval is offered only while its month's inputs are unchanged.
        ready = job.status == ExportStatus.DONE and job.is_current and job.run.status == RunStatus.READY
        context["inputs_changed"] = ready and bool(selectors.run_input_changes(run=job.run))
        context["keep_days"] = settings.PAYROLL_EXPORT_KEEP_DAYS
        return context


class ExportDownloadView(RuleRequiredMixin, View):
    """Finance: the file of a finished export of the run's current computation (never served by a public URL)."""

    rule = staticmethod(can_run_payroll)

    def get(self, request, pk):
        job = get_object_or_404(PayrollExport.objects.select_related("run"), pk=pk)
        try:
            selectors.downloadable_export(job=job)
        except ShopOpsError as error:
            messages.error(request, error.message)
            return redirect(f"{job.run.get_absolute_url()}#exports")
        return export_file_response(job)
