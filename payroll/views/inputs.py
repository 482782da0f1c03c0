"""A month's inputs page, deleting an adjustment, and the import template."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names
from shop_ops.exceptions import ShopOpsError

from .. import imports, services
from ..calculation import working_days
from ..forms import AdjustmentForm, AttendanceForm, ImportForm, SalesFigureForm
from ..models import Adjustment, Attendance, PayrollRun, SalesFigure
from ..permissions import can_enter_adjustments, can_enter_attendance, can_run_payroll, can_view_payroll_inputs
from .runs import _month


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
        adjustments = with_names(Adjustment.objects.filter(month=month).select_related("employee"), "entered_by")
        context.update(
            month=month,
            run=PayrollRun.objects.filter(month=month).first(),
            working_days=working_days(month),
            sales=with_names(SalesFigure.objects.filter(month=month).select_related("department"), "entered_by"),
            adjustments=Paginator(adjustments, 50).get_page(self.request.GET.get("page")),
            attendance=with_names(Attendance.objects.filter(month=month).select_related("employee"), "entered_by")[
                :200
            ],
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
