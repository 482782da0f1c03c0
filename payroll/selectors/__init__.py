"""Every read of the payroll app that is more than one query: pages, the API and exports use them.

- `payslips`: Payslips: who may see which, the payslip page's prepared queries, search, line explanations.
- `runs`: Payroll runs: a month's run, its department totals and whether it waits for the queue.
- `exports`: A run's Excel exports: which are current, waiting or downloadable.
- `fingerprints`: What a computed run read: the month's inputs fingerprint and what changed since.
- `months`: The order of payroll months: the next one, an earlier unapproved one, the one due.
- `waiting`: Finance's start page: what waits for finance.
- `variance`: What changed since last month: a run against the previous approved or paid month.
"""

from .exports import current_exports, downloadable_export, exports_waiting_for_queue, refuse_if_inputs_changed
from .fingerprints import InputChangesView, month_inputs_fingerprint, run_input_changes
from .months import due_month, next_month, unapproved_earlier_month
from .payslips import (
    AdditionalDeductionRow,
    LowIncomeBar,
    additional_deduction_rows,
    basic_deduction_rule,
    count_outside_pay_grade,
    explain_line,
    line_in_words,
    low_income_bars,
    names_in_words,
    outside_pay_grade,
    own_inputs_in_run,
    payslip_for_page,
    payslip_lines,
    payslips_visible_to,
    search_payslips,
)
from .runs import TOTAL_FIELDS, VISIBLE_RUN_STATUSES, DepartmentTotal, run_for_month, run_totals, run_waiting_for_queue
from .variance import (
    Change,
    Variance,
    change_percent,
    is_flagged,
    previous_run,
    run_variance,
    variance_threshold,
)
from .waiting import finance_waiting

__all__ = [
    "TOTAL_FIELDS",
    "VISIBLE_RUN_STATUSES",
    "AdditionalDeductionRow",
    "Change",
    "DepartmentTotal",
    "InputChangesView",
    "LowIncomeBar",
    "Variance",
    "additional_deduction_rows",
    "basic_deduction_rule",
    "change_percent",
    "count_outside_pay_grade",
    "current_exports",
    "downloadable_export",
    "due_month",
    "explain_line",
    "exports_waiting_for_queue",
    "finance_waiting",
    "is_flagged",
    "line_in_words",
    "low_income_bars",
    "month_inputs_fingerprint",
    "names_in_words",
    "next_month",
    "outside_pay_grade",
    "own_inputs_in_run",
    "payslip_for_page",
    "payslip_lines",
    "payslips_visible_to",
    "previous_run",
    "refuse_if_inputs_changed",
    "run_for_month",
    "run_input_changes",
    "run_totals",
    "run_variance",
    "run_waiting_for_queue",
    "search_payslips",
    "unapproved_earlier_month",
    "variance_threshold",
]
