"""Payslip pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..forms import PayslipFilterForm
from ..permissions import can_view_all_payslips, can_view_own_payslips, can_view_payroll_inputs, can_view_payslip


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
        names = selectors.names_in_words(lines)
        for line in lines:
            line.in_words = selectors.line_in_words(line, names)
            line.explanation = selectors.explain_line(line)
        tax_line = next((line for line in lines if line.code == "income_tax"), None)
        slip = self.payslip
        context.update(
            payslip=slip,
            lines=lines,
            tax=tax_line.inputs if tax_line else {},
            basic_deduction_rule=selectors.basic_deduction_rule(tax_line),
            additional_rows=selectors.additional_deduction_rows(tax_line),
            withheld=slip.deductions + slip.social_insurance + slip.housing_fund + slip.income_tax,
            # Those who write and check the formulas read them as written too; the person paid reads them in words.
            show_formulas=can_view_payroll_inputs(self.request.user),
        )
        return context
