"""Pay settings pages: insurance policies, pay profiles, profit pools, tax opening balances, the change threshold."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from roles.models import Department, Employee
from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names
from roles.views.org import ServiceFormView
from shop_ops.numbers import parse_whole_number

from .. import selectors, services
from ..forms import InsurancePolicyForm, PayProfileForm, PoolRuleForm, TaxOpeningBalanceForm, VarianceThresholdForm
from ..models import InsurancePolicy, PayProfile, ProfitPoolRule, TaxOpeningBalance
from ..permissions import can_edit_structures, can_run_payroll, can_view_payroll_inputs


class InsurancePolicyListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: each city's social insurance and housing fund rates and bases; Finance edits them."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/insurance_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["policies"] = with_names(InsurancePolicy.objects.order_by("-is_default", "city"), "updated_by")
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
        people = with_names(
            Employee.objects.current().select_related("role__department", "pay_profile__insurance_policy"),
            "pay_profile__updated_by",
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
        context["departments"] = with_names(Department.objects.all(), "profit_pool_rule__updated_by")
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
        balances = with_names(TaxOpeningBalance.objects.select_related("employee"), "entered_by").order_by(
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


class VarianceThresholdView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: which changes from last month a run's page flags and approval asks to confirm."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/variance_threshold.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["threshold"] = selectors.variance_threshold()
        context["can_edit"] = can_run_payroll(self.request.user)
        return context


class VarianceThresholdFormView(ServiceFormView):
    """Finance: the change threshold; the audit history keeps each change."""

    rule = staticmethod(can_run_payroll)
    form_class = VarianceThresholdForm

    def get_object(self):
        return selectors.variance_threshold()

    @property
    def title(self):
        return _("Change threshold")

    def get_cancel_url(self) -> str:
        return reverse("payroll:variance-threshold")

    def save(self, data):
        return services.save_variance_threshold(user=self.request.user, **data)
