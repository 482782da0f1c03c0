"""The payroll pages, by page area; each view parses input, calls one service or selector and renders.

- `waiting`: Finance's start page.
- `runs`: Payroll run pages: the list, a run, its progress, its actions, and its Excel exports.
- `payslips`: Payslip pages.
- `structures`: Salary structure pages.
- `inputs`: A month's inputs page, deleting an adjustment, and the import template.
- `deductions`: Special additional deductions by category: the entries, entering, ending and importing them.
- `settings`: Pay settings pages: insurance, pay profiles, profit pools, tax opening balances, change threshold.
"""

from .deductions import (
    DeductionTemplateView,
    SpecialDeductionEndView,
    SpecialDeductionFormView,
    SpecialDeductionListView,
)
from .inputs import AdjustmentDeleteView, ImportTemplateView, InputsView
from .payslips import PayslipDetailView, PayslipListView
from .runs import (
    ExportDownloadView,
    ExportProgressView,
    RunActionView,
    RunDetailView,
    RunExportView,
    RunListView,
    RunProgressView,
)
from .settings import (
    InsurancePolicyFormView,
    InsurancePolicyListView,
    PayProfileFormView,
    PayProfileListView,
    PoolRuleFormView,
    PoolRuleListView,
    TaxOpeningBalanceFormView,
    TaxOpeningBalanceListView,
    VarianceThresholdFormView,
    VarianceThresholdView,
)
from .structures import StructureDetailView, StructureEditView, StructureListView
from .waiting import FinanceWaitingView

__all__ = [
    "AdjustmentDeleteView",
    "DeductionTemplateView",
    "ExportDownloadView",
    "ExportProgressView",
    "FinanceWaitingView",
    "ImportTemplateView",
    "InputsView",
    "InsurancePolicyFormView",
    "InsurancePolicyListView",
    "PayProfileFormView",
    "PayProfileListView",
    "PayslipDetailView",
    "PayslipListView",
    "PoolRuleFormView",
    "PoolRuleListView",
    "RunActionView",
    "RunDetailView",
    "RunExportView",
    "RunListView",
    "RunProgressView",
    "SpecialDeductionEndView",
    "SpecialDeductionFormView",
    "SpecialDeductionListView",
    "StructureDetailView",
    "StructureEditView",
    "StructureListView",
    "TaxOpeningBalanceFormView",
    "TaxOpeningBalanceListView",
    "VarianceThresholdFormView",
    "VarianceThresholdView",
]
