"""Admin: settings finance maintains rarely (insurance policies, pool rules, pay profiles, opening balances) and a
read-only view of runs and payslips. Payroll changes that matter go through the pages and the API (services)."""

from django.contrib import admin

from .models import (
    Adjustment,
    InsurancePolicy,
    PayProfile,
    PayrollExport,
    PayrollRun,
    Payslip,
    ProfitPoolRule,
    SalaryStructure,
    SalesFigure,
    TaxOpeningBalance,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(admin.ModelAdmin):
    list_display = ["city", "is_default", "si_base_floor", "si_base_ceiling", "pension_employee", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ProfitPoolRule)
class ProfitPoolRuleAdmin(admin.ModelAdmin):
    list_display = ["department", "rate", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PayProfile)
class PayProfileAdmin(admin.ModelAdmin):
    list_display = ["employee", "base_salary", "contribution_base", "special_additional_deduction", "updated_at"]
    search_fields = ["employee__full_name", "employee__employee_number"]
    list_select_related = ["employee"]
    readonly_fields = ["updated_by", "updated_at"]
    raw_id_fields = ["employee"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TaxOpeningBalance)
class TaxOpeningBalanceAdmin(admin.ModelAdmin):
    list_display = ["employee", "year", "income", "tax_withheld", "updated_at"]
    list_filter = ["year"]
    raw_id_fields = ["employee"]
    readonly_fields = ["entered_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SalaryStructure)
class SalaryStructureAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "role", "employee"]


@admin.register(SalesFigure)
class SalesFigureAdmin(ReadOnlyAdmin):
    list_display = ["month", "department", "sales", "gross_profit", "entered_by"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["month", "employee", "kind", "amount", "reason", "entered_by", "created_at"]
    list_filter = ["kind", "month"]


@admin.register(PayrollRun)
class PayrollRunAdmin(ReadOnlyAdmin):
    list_display = ["month", "status", "done", "total", "started_by", "approved_by", "paid_by"]


@admin.register(PayrollExport)
class PayrollExportAdmin(ReadOnlyAdmin):
    list_display = ["run", "attempt", "status", "done", "total", "requested_by", "created_at", "finished_at"]
    list_select_related = ["run", "requested_by"]
    exclude = ["file"]  # downloaded through the finance-only page, never a media URL


@admin.register(Payslip)
class PayslipAdmin(ReadOnlyAdmin):
    list_display = ["run", "employee", "gross_pay", "income_tax", "net_pay"]
    list_select_related = ["run", "employee"]
