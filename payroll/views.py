"""Payroll pages. Views parse input, call one service or selector, and render; the access rule is on each."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from roles.models import Department, Employee
from roles.permissions import RuleRequiredMixin
from roles.views.org import ServiceFormView
from shop_ops import jobs
from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number

from . import imports, selectors, services
from .api.views import export_file_response
from .calculation import working_days
from .choices import ExportStatus, RunStatus
from .engine import VARIABLES, ComponentError, ComponentSpec
from .forms import (
    AdjustmentForm,
    AttendanceForm,
    ComponentFormSet,
    ImportForm,
    InsurancePolicyForm,
    PayProfileForm,
    PayslipFilterForm,
    PoolRuleForm,
    SalesFigureForm,
    StartRunForm,
    TaxOpeningBalanceForm,
    VersionForm,
)
from .models import (
    Adjustment,
    Attendance,
    InsurancePolicy,
    PayProfile,
    PayrollExport,
    PayrollRun,
    ProfitPoolRule,
    SalaryStructure,
    SalesFigure,
    TaxOpeningBalance,
)
from .permissions import (
    can_edit_structures,
    can_enter_adjustments,
    can_enter_attendance,
    can_run_payroll,
    can_view_all_payslips,
    can_view_own_payslips,
    can_view_payroll_inputs,
    can_view_payslip,
)


def _month(value: str):
    try:
        return services.parse_month(value)
    except ShopOpsError:
        raise Http404 from None


class FinanceWaitingView(RuleRequiredMixin, TemplateView):
    """Finance: the start page, what waits for them (a month to compute, runs to approve or compute again,
    workbooks to download, loss reports to approve), each with a link to deal with it."""

    rule = staticmethod(can_run_payroll)
    template_name = "payroll/waiting.html"

    def get_context_data(self, **kwargs):
        # Finance approves the warehouse's loss reports (报损单) too: the one place payroll reads the inventory.
        from inventory.selectors import loss_reports_waiting

        rows = selectors.finance_waiting(user=self.request.user, today=timezone.localdate())
        loss_reports = loss_reports_waiting()
        return super().get_context_data(rows=[*rows, *([loss_reports] if loss_reports else [])], **kwargs)


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
        runs = PayrollRun.objects.select_related("started_by", "approved_by", "paid_by").order_by("-month")
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
        context.update(
            run=run,
            departments=departments,
            grand=grand,
            page=page,
            over_pay_grade=selectors.over_pay_grade(page),
            q=self.request.GET.get("q", ""),
            query=f"q={self.request.GET.get('q', '')}",
            can_run=can_run_payroll(self.request.user),
            waiting_for_queue=selectors.run_waiting_for_queue(run=run),
            exports=exports,
            waiting_exports=selectors.exports_waiting_for_queue(exports),
            keep_days=settings.PAYROLL_EXPORT_KEEP_DAYS,
            input_changes=_input_changes(run),
        )
        return context


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
            context["over_pay_grade"] = selectors.count_over_pay_grade(run=run)
        return context

    def post(self, request, *args, **kwargs):
        run = self.get_run()
        try:
            if self.action == "approve":
                services.approve_run(run=run, user=request.user)
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
        job = get_object_or_404(PayrollExport.objects.select_related("run", "requested_by"), pk=self.kwargs["pk"])
        context["job"] = job
        context["waiting_exports"] = selectors.exports_waiting_for_queue([job])
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


class PayslipListView(RuleRequiredMixin, TemplateView):
    """Everyone: their own payslips; Manager and Finance: everyone's, searchable."""

    rule = staticmethod(can_view_own_payslips)
    template_name = "payroll/payslip_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        slips = selectors.payslips_visible_to(user=self.request.user)
        slips = selectors.search_payslips(queryset=slips, text=params.get("q", ""))
        month = params.get("month", "")
        if month:
            try:
                slips = slips.filter(run__month=services.parse_month(month))
            except ShopOpsError as error:
                messages.error(self.request, error.message)
        slips = slips.order_by("-run__month", "employee__employee_number")
        query = params.copy()
        query.pop("page", None)
        context.update(
            page=Paginator(slips, 50).get_page(params.get("page")),
            q=params.get("q", ""),
            month=month,
            month_form=PayslipFilterForm(initial={"month": month}),
            query=query.urlencode(),
            all_payslips=can_view_all_payslips(self.request.user),
        )
        return context


class PayslipDetailView(RuleRequiredMixin, TemplateView):
    """Manager, Finance, or the employee themself: the payslip with every line explained."""

    template_name = "payroll/payslip_detail.html"

    def has_access(self) -> bool:
        self.payslip = selectors.payslip_for_page(user=self.request.user, pk=self.kwargs["pk"])
        return self.payslip is not None and can_view_payslip(self.request.user, self.payslip)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = selectors.payslip_lines(self.payslip)
        for line in lines:
            line.explanation = selectors.explain_line(line)
        tax_line = next((line for line in lines if line.code == "income_tax"), None)
        slip = self.payslip
        context.update(
            payslip=slip,
            lines=lines,
            tax=tax_line.inputs if tax_line else {},
            withheld=slip.deductions + slip.social_insurance + slip.housing_fund + slip.income_tax,
        )
        return context


class StructureListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: every salary structure and its current version."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/structure_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structures = SalaryStructure.objects.select_related("role__department", "employee").prefetch_related(
            "versions__components"
        )
        context["structures"] = structures
        return context


class StructureDetailView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: a structure's versions and their components."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/structure_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = get_object_or_404(SalaryStructure.objects.select_related("role", "employee"), pk=self.kwargs["pk"])
        context.update(
            structure=structure,
            versions=structure.versions.select_related("created_by").prefetch_related("components"),
            can_edit=can_edit_structures(self.request.user),
        )
        return context


class StructureEditView(RuleRequiredMixin, TemplateView):
    """Manager: edit the components as a new version; 'Preview' shows the what-if before anything is saved."""

    rule = staticmethod(can_edit_structures)
    template_name = "payroll/structure_edit.html"

    def get_structure(self):
        return get_object_or_404(SalaryStructure, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = self.get_structure()
        current = structure.versions.prefetch_related("components").order_by("-effective_from").first()
        if "formset" not in kwargs:
            initial = [
                {"code": c.code, "name": c.name, "kind": c.kind, "formula": c.formula}
                for c in (current.components.all() if current else [])
            ]
            context["formset"] = ComponentFormSet(initial=initial)
            context["version_form"] = VersionForm(initial={"effective_from": services.current_month()})
        context.update(structure=structure, current=current, variables=sorted(VARIABLES.items()))
        return context

    def post(self, request, *args, **kwargs):
        structure = self.get_structure()
        formset = ComponentFormSet(request.POST)
        version_form = VersionForm(request.POST)
        context = {"formset": formset, "version_form": version_form}
        if formset.is_valid() and version_form.is_valid():
            specs = [
                ComponentSpec(f["code"], f["name"], f["kind"], f["formula"])
                for f in formset.cleaned_data
                if f and not f.get("DELETE")
            ]
            month = version_form.cleaned_data["effective_from"]
            try:
                if "preview" in request.POST:
                    version = structure.versions.filter(effective_from__lte=month).order_by("-effective_from").first()
                    if version is None:
                        raise ComponentError(_("No version in force that month to compare with."), row=0, field="code")
                    context["preview"] = services.preview_structure_change(
                        version=version, components=specs, month=month
                    )
                    context["preview_codes"] = [s.code for s in specs]
                else:
                    services.save_structure_version(
                        structure=structure,
                        effective_from=month,
                        components=specs,
                        note=version_form.cleaned_data["note"],
                        user=request.user,
                    )
                    messages.success(request, _("Saved as the version from %(month)s.") % {"month": f"{month:%Y-%m}"})
                    return redirect(structure.get_absolute_url())
            except ComponentError as error:
                kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
                if error.row < len(kept):
                    kept[error.row].add_error(error.field, error.message)
                else:
                    version_form.add_error(None, error.message)
            except ShopOpsError as error:
                version_form.add_error(None, error.message)
            except ValidationError as error:
                version_form.add_error(None, error.messages)
        return self.render_to_response(self.get_context_data(**context))


class InputsView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: a month's inputs. Finance enters sales; managers bonuses and penalties; both attendance."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/inputs.html"
    forms = {
        "sales": (SalesFigureForm, can_run_payroll),
        "adjustment": (AdjustmentForm, can_enter_adjustments),
        "attendance": (AttendanceForm, can_enter_attendance),
        "import": (ImportForm, can_enter_attendance),
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        month = _month(self.kwargs["month"])
        user = self.request.user
        adjustments = Adjustment.objects.filter(month=month).select_related("employee", "entered_by")
        context.update(
            month=month,
            run=PayrollRun.objects.filter(month=month).first(),
            working_days=working_days(month),
            sales=SalesFigure.objects.filter(month=month).select_related("department", "entered_by"),
            adjustments=Paginator(adjustments, 50).get_page(self.request.GET.get("page")),
            attendance=Attendance.objects.filter(month=month).select_related("employee", "entered_by")[:200],
            can_sales=can_run_payroll(user),
            can_adjust=can_enter_adjustments(user),
            can_attend=can_enter_attendance(user),
        )
        for name, (form_class, _rule) in self.forms.items():
            context[f"{name}_form"] = kwargs.get(f"{name}_form") or form_class(auto_id=f"id_{name}_%s")
        return context

    def post(self, request, *args, **kwargs):
        month = _month(self.kwargs["month"])
        which = request.POST.get("form", "")
        if which not in self.forms or not self.forms[which][1](request.user):
            messages.error(request, _("You do not have permission to do that."))
            return redirect("payroll:inputs", month=self.kwargs["month"])
        # Several forms share field names (employee...): each keeps its own ids, so a label points at its own box.
        form = self.forms[which][0](request.POST, request.FILES, auto_id=f"id_{which}_%s")
        if form.is_valid():
            try:
                self.save(which, form.cleaned_data, month)
            except imports.ImportRejected as error:
                form.add_error(None, _("Nothing was imported. Fix these rows and upload again:"))
                for problem in error.errors[:50]:
                    form.add_error(None, str(problem))
            except ShopOpsError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("payroll:inputs", month=self.kwargs["month"])
        return self.render_to_response(self.get_context_data(**{f"{which}_form": form}))

    def save(self, which, data, month):
        user = self.request.user
        if which == "sales":
            services.save_sales_figure(month=month, user=user, **data)
        elif which == "adjustment":
            services.add_adjustment(month=month, user=user, **data)
        elif which == "attendance":
            services.save_attendance(month=month, user=user, **data)
        else:
            counts = imports.import_inputs(upload=data["file"], month=month, user=user)
            messages.info(self.request, ", ".join(f"{imports.sheet_title(key)}: {n}" for key, n in counts.items()))


class AdjustmentDeleteView(RuleRequiredMixin, TemplateView):
    """Manager: confirm, then remove a bonus or penalty while its month is open."""

    rule = staticmethod(can_enter_adjustments)
    template_name = "payroll/adjustment_delete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["adjustment"] = get_object_or_404(Adjustment.objects.select_related("employee"), pk=self.kwargs["pk"])
        return context

    def post(self, request, pk):
        adjustment = get_object_or_404(Adjustment, pk=pk)
        try:
            services.delete_adjustment(adjustment=adjustment, user=request.user)
            messages.success(request, _("Deleted."))
        except ShopOpsError as error:
            messages.error(request, error.message)
        return redirect("payroll:inputs", month=adjustment.month.strftime("%Y-%m"))


class ImportTemplateView(RuleRequiredMixin, View):
    """Manager, Finance: the Excel template for importing a month's inputs."""

    rule = staticmethod(can_view_payroll_inputs)

    def get(self, request):
        response = HttpResponse(
            imports.template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="payroll-inputs-template.xlsx"'
        return response


# --- Pay settings: insurance policies, pay profiles, profit pools ------------------------------------------------


class InsurancePolicyListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: each city's social insurance and housing fund rates and bases; Finance edits them."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/insurance_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policies"] = InsurancePolicy.objects.select_related("updated_by").order_by("-is_default", "city")
        context["can_edit"] = can_run_payroll(self.request.user)
        return context


class InsurancePolicyFormView(ServiceFormView):
    """Finance: a new city's policy, or changed rates; runs already computed become stale (see the fingerprint)."""

    rule = staticmethod(can_run_payroll)
    form_class = InsurancePolicyForm

    def get_object(self):
        return get_object_or_404(InsurancePolicy, pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    @property
    def title(self):
        return (
            _("Edit insurance policy: %(city)s") % {"city": self.object} if self.object else _("New insurance policy")
        )

    def get_cancel_url(self) -> str:
        return reverse("payroll:insurance-list")

    def save(self, data):
        return services.save_insurance_policy(policy=self.object, user=self.request.user, **data)


class PayProfileListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: every current employee's base salary, contribution base and tax deductions."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/profile_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        people = Employee.objects.current().select_related(
            "role__department", "pay_profile__insurance_policy", "pay_profile__updated_by"
        )
        text = params.get("q", "").strip()
        if text:
            people = people.filter(Q(full_name__icontains=text) | Q(employee_number__icontains=text))
        department = params.get("department", "")
        department_id = parse_whole_number(department)
        if department_id is not None:
            people = people.filter(role__department_id=department_id)
        missing = params.get("missing") == "1"
        if missing:
            people = people.filter(pay_profile__isnull=True)
        query = params.copy()
        query.pop("page", None)
        context.update(
            page=Paginator(people.order_by("employee_number"), 50).get_page(params.get("page")),
            q=text,
            department_id=department_id,
            departments=Department.objects.all(),
            missing=missing,
            missing_count=Employee.objects.current().filter(pay_profile__isnull=True).count(),
            query=query.urlencode(),
            can_edit=can_edit_structures(self.request.user),
        )
        return context


class PayProfileFormView(ServiceFormView):
    """Manager: an employee's base salary (within the role's pay grade), contribution base, deductions, policy."""

    rule = staticmethod(can_edit_structures)
    form_class = PayProfileForm

    def get_object(self):
        employee = get_object_or_404(Employee.objects.select_related("role"), pk=self.kwargs["pk"])
        return PayProfile.objects.filter(employee=employee).first() or PayProfile(employee=employee)

    @property
    def title(self):
        return _("Pay profile: %(employee)s") % {"employee": self.object.employee}

    def get_cancel_url(self) -> str:
        return reverse("payroll:profile-list")

    def save(self, data):
        return services.save_pay_profile(employee=self.object.employee, user=self.request.user, **data)


class PoolRuleListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: which share of the company's gross profit goes to each department's profit pool."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/pool_rule_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["departments"] = Department.objects.select_related("profit_pool_rule__updated_by")
        context["can_edit"] = can_run_payroll(self.request.user)
        return context


class PoolRuleFormView(ServiceFormView):
    """Finance: a department's share of the company's gross profit (the seeds: about 40% to sales)."""

    rule = staticmethod(can_run_payroll)
    form_class = PoolRuleForm

    def get_object(self):
        department = get_object_or_404(Department, code=self.kwargs["code"])
        return ProfitPoolRule.objects.filter(department=department).first() or ProfitPoolRule(department=department)

    @property
    def title(self):
        return _("Profit pool of %(department)s") % {"department": self.object.department.name}

    def get_cancel_url(self) -> str:
        return reverse("payroll:pool-rule-list")

    def save(self, data):
        return services.save_pool_rule(department=self.object.department, user=self.request.user, **data)


class TaxOpeningBalanceListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: year-to-date tax figures carried in from before ShopOps (adopting it mid-year)."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/tax_opening_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        balances = TaxOpeningBalance.objects.select_related("employee", "entered_by").order_by(
            "-year", "employee__employee_number"
        )
        year = self.request.GET.get("year", "")
        if parse_whole_number(year, maximum=9999) is not None:
            balances = balances.filter(year=int(year))
        context.update(
            page=Paginator(balances, 50).get_page(self.request.GET.get("page")),
            year=year,
            query=f"year={year}" if parse_whole_number(year, maximum=9999) is not None else "",
            can_edit=can_run_payroll(self.request.user),
        )
        return context


class TaxOpeningBalanceFormView(ServiceFormView):
    """Finance: enter (or replace) an employee's opening balance for a tax year."""

    rule = staticmethod(can_run_payroll)
    form_class = TaxOpeningBalanceForm

    def get_object(self):
        return get_object_or_404(TaxOpeningBalance, pk=self.kwargs["pk"]) if "pk" in self.kwargs else None

    @property
    def title(self):
        if self.object:
            return _("Tax opening balance: %(employee)s, %(year)s") % {
                "employee": self.object.employee,
                "year": self.object.year,
            }
        return _("New tax opening balance")

    def get_cancel_url(self) -> str:
        return reverse("payroll:tax-opening-list")

    def save(self, data):
        return services.save_tax_opening_balance(user=self.request.user, **data)
