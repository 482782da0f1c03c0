"""Finance's start page."""

from __future__ import annotations

from django.utils import timezone
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin

from .. import selectors
from ..permissions import can_run_payroll


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
