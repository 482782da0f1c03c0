"""Special additional deductions (专项附加扣除) pages: the entries, entering, ending and importing them."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from roles.models import Employee
from roles.permissions import RuleRequiredMixin
from roles.views.org import ServiceFormView
from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number

from .. import deduction_imports, deductions, services
from ..forms import DeductionImportForm, EndDeductionForm, SpecialDeductionForm
from ..models import SpecialDeduction
from ..permissions import can_run_payroll, can_view_payroll_inputs

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpecialDeductionListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: employees' special additional deductions by category and what each gives this month;
    Finance enters, changes, ends and imports them."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/deduction_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        entries = SpecialDeduction.objects.select_related("employee", "entered_by").order_by(
            "employee__employee_number", "category", "start_month", "pk"
        )
        text = params.get("q", "").strip()
        if text:
            entries = entries.filter(
                Q(employee__full_name__icontains=text) | Q(employee__employee_number__icontains=text)
            )
        employee_id = parse_whole_number(params.get("employee", ""))
        employee = Employee.objects.filter(pk=employee_id).first() if employee_id is not None else None
        if employee is not None:
            entries = entries.filter(employee=employee)
        month = timezone.localdate().replace(day=1)
        page = Paginator(entries, 50).get_page(params.get("page"))
        for entry in page:
            entry.this_month = deductions.month_amount(_entry(entry), month)
        query = params.copy()
        query.pop("page", None)
        context.update(
            page=page,
            q=text,
            employee=employee,
            month=month,
            query=query.urlencode(),
            can_edit=can_run_payroll(self.request.user),
            import_form=kwargs.get("import_form") or DeductionImportForm(),
            rules=[
                (deductions.label(code), deductions.describe(rule), rule.source)
                for code, rule in deductions.RULES.items()
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        """Finance: import the template; nothing is kept unless every row is right."""
        if not can_run_payroll(request.user):
            messages.error(request, _("You do not have permission to do that."))
            return redirect("payroll:deduction-list")
        form = DeductionImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                count = deduction_imports.import_deductions(upload=form.cleaned_data["file"], user=request.user)
            except deduction_imports.ImportRejected as error:
                form.add_error(None, _("Nothing was imported. Fix these rows and upload again:"))
                for problem in error.errors[:50]:
                    form.add_error(None, str(problem))
            except ShopOpsError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Imported %(count)s deduction(s).") % {"count": count})
                return redirect("payroll:deduction-list")
        return self.render_to_response(self.get_context_data(import_form=form))


def _entry(deduction: SpecialDeduction) -> deductions.Entry:
    return deductions.Entry(
        deduction.category,
        deduction.start_month,
        deduction.end_month,
        deduction.share,
        deduction.monthly_amount,
        deduction.pk,
    )


class SpecialDeductionFormView(ServiceFormView):
    """Finance: enter or change one of an employee's special additional deductions."""

    rule = staticmethod(can_run_payroll)
    form_class = SpecialDeductionForm

    def get_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(SpecialDeduction.objects.select_related("employee"), pk=self.kwargs["pk"])
        return None

    def get_initial(self):
        initial = super().get_initial()
        employee_id = parse_whole_number(self.request.GET.get("employee", ""))
        if employee_id is not None:
            initial["employee"] = employee_id
        return initial

    @property
    def title(self):
        if self.object:
            return _("Special additional deduction: %(employee)s") % {"employee": self.object.employee}
        return _("New special additional deduction")

    def get_cancel_url(self) -> str:
        return self.object.get_absolute_url() if self.object else reverse("payroll:deduction-list")

    def save(self, data):
        if self.object is not None:
            data["employee"] = self.object.employee
        return services.save_special_deduction(deduction=self.object, user=self.request.user, **data)


class SpecialDeductionEndView(ServiceFormView):
    """Finance: end a deduction with its last month (a child finished school, the loan is repaid)."""

    rule = staticmethod(can_run_payroll)
    form_class = EndDeductionForm

    def get_object(self):
        return get_object_or_404(SpecialDeduction.objects.select_related("employee"), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    @property
    def title(self):
        return _("End %(category)s: %(employee)s") % {
            "category": self.object.get_category_display(),
            "employee": self.object.employee,
        }

    def save(self, data):
        return services.end_special_deduction(deduction=self.object, user=self.request.user, **data)


class DeductionTemplateView(RuleRequiredMixin, View):
    """Manager, Finance: the Excel template for importing special additional deductions."""

    rule = staticmethod(can_view_payroll_inputs)

    def get(self, request):
        response = HttpResponse(deduction_imports.template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="special-deductions-template.xlsx"'
        return response
