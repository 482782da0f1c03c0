"""Admin: a read-only view of payroll. Settings (insurance policies, pool rules, pay profiles, tax opening
balances) are changed on the finance pages, whose services check the locks (an opening balance after its year has
an approved month, a change while a run computes) and send computed runs back; the admin would skip all that."""

from django.contrib import admin

from shop_ops.admin import ViewOnlyAdmin

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
    SpecialDeduction,
    TaxOpeningBalance,
)


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(ViewOnlyAdmin):
    list_display = [
        "city",
        "is_default",
        "si_base_floor",
        "si_base_ceiling",
        "pension_employee",
        "rounding",
        "updated_at",
    ]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(ProfitPoolRule)
class ProfitPoolRuleAdmin(ViewOnlyAdmin):
    list_display = ["department", "rate", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(PayProfile)
class PayProfileAdmin(ViewOnlyAdmin):
    list_display = ["employee", "base_salary", "contribution_base", "special_additional_deduction", "updated_at"]
    search_fields = ["employee__full_name", "employee__employee_number"]
    list_select_related = ["employee"]
    readonly_fields = ["updated_by", "updated_at"]
    raw_id_fields = ["employee"]


@admin.register(SpecialDeduction)
class SpecialDeductionAdmin(ViewOnlyAdmin):
    list_display = ["employee", "category", "start_month", "end_month", "share", "monthly_amount", "updated_at"]
    list_filter = ["category"]
    raw_id_fields = ["employee"]
    readonly_fields = ["entered_by", "updated_at"]


@admin.register(TaxOpeningBalance)
class TaxOpeningBalanceAdmin(ViewOnlyAdmin):
    list_display = ["employee", "year", "income", "tax_withheld", "updated_at"]
    list_filter = ["year"]
    raw_id_fields = ["employee"]
    readonly_fields = ["entered_by", "updated_at"]


@admin.register(SalaryStructure)
class SalaryStructureAdmin(ViewOnlyAdmin):
    list_display = ["code", "name", "role", "employee"]


@admin.register(SalesFigure)
class SalesFigureAdmin(ViewOnlyAdmin):
    list_display = ["month", "department", "sales", "gross_profit", "entered_by"]


@admin.register(Adjustment)
class AdjustmentAdmin(ViewOnlyAdmin):
    list_display = ["month", "employee", "kind", "amount", "reason", "entered_by", "created_at"]
    list_filter = ["kind", "month"]


@admin.register(PayrollRun)
class PayrollRunAdmin(ViewOnlyAdmin):
    list_display = ["month", "status", "done", "total", "started_by", "approved_by", "paid_by"]


@admin.register(PayrollExport)
class PayrollExportAdmin(ViewOnlyAdmin):
    list_display = ["run", "attempt", "status", "done", "total", "requested_by", "created_at", "finished_at"]
    list_select_related = ["run", "requested_by"]
    exclude = ["file"]  # downloaded through the finance-only page, never a media URL


@admin.register(Payslip)
class PayslipAdmin(ViewOnlyAdmin):
    list_display = ["run", "employee", "gross_pay", "income_tax", "net_pay"]
    list_select_related = ["run", "employee"]
    exclude = ["bank_account"]  # the account as approved: full numbers only in finance's workbook
