"""Every write of the payroll app: the rules live here, views, the API and Celery tasks call them.

- `months`: The payroll month: parsing it, the open month and a run's allowed status changes.
- `runs`: Payroll runs: start, compute in batches (the payslips are stored in bulk), approve, mark paid.
- `structures`: Salary structures and their versions.
- `whatif`: What-if: the payslips a structure change would give, before it is saved.
- `inputs`: A month's inputs: sales figures, adjustments and attendance.
- `settings`: Pay settings: profit pools, pay profiles, insurance policies, tax opening balances, change threshold.
- `deductions`: Special additional deductions by category (专项附加扣除), checked by payroll.deductions.
- `exports`: The Excel export of a run: a job row the run's page polls, and the removal of old files.
"""

from .deductions import end_special_deduction, save_special_deduction
from .exports import (
    EXPORTABLE_STATUSES,
    OPEN_EXPORT_STATUSES,
    mark_export_downloaded,
    remove_old_export_files,
    request_export,
    write_export,
)
from .inputs import _bounded, add_adjustment, delete_adjustment, save_attendance, save_sales_figure
from .months import (
    TRANSITIONS,
    current_month,
    ensure_month_ended,
    ensure_month_open,
    ensure_not_future,
    month_approved,
    parse_month,
)
from .runs import (
    BATCH_SIZE,
    LINE_COLUMNS,
    SLIP_COLUMNS,
    SLIP_TYPES,
    STALE_RUN_AFTER,
    approve_run,
    compute_run,
    mark_paid,
    start_run,
    store_payslips,
)
from .settings import (
    MAX_YEAR_AMOUNT,
    save_insurance_policy,
    save_pay_profile,
    save_pool_rule,
    save_tax_opening_balance,
    save_variance_threshold,
)
from .structures import check_components, create_structure, save_structure_version
from .whatif import PreviewRow, preview_structure_change

__all__ = [
    "BATCH_SIZE",
    "EXPORTABLE_STATUSES",
    "LINE_COLUMNS",
    "MAX_YEAR_AMOUNT",
    "OPEN_EXPORT_STATUSES",
    "SLIP_COLUMNS",
    "SLIP_TYPES",
    "STALE_RUN_AFTER",
    "TRANSITIONS",
    "PreviewRow",
    "_bounded",
    "add_adjustment",
    "approve_run",
    "check_components",
    "compute_run",
    "create_structure",
    "current_month",
    "delete_adjustment",
    "end_special_deduction",
    "ensure_month_ended",
    "ensure_month_open",
    "ensure_not_future",
    "mark_export_downloaded",
    "mark_paid",
    "month_approved",
    "parse_month",
    "preview_structure_change",
    "remove_old_export_files",
    "request_export",
    "save_attendance",
    "save_insurance_policy",
    "save_pay_profile",
    "save_pool_rule",
    "save_sales_figure",
    "save_special_deduction",
    "save_structure_version",
    "save_tax_opening_balance",
    "save_variance_threshold",
    "start_run",
    "store_payslips",
    "write_export",
]
