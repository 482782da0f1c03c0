"""The audit trail page: every change to audited records, newest first, filterable."""

from __future__ import annotations

import datetime

from django.core.paginator import Page, Paginator
from django.utils.text import capfirst
from django.views.generic import TemplateView

from shop_ops.numbers import parse_whole_number

from ..permissions import RuleRequiredMixin, can_view_audit
from ..selectors import audit

PAGE_SIZE = 25


class _Window(Paginator):
    """A paginator over a window that was fetched already: the selector returns one page and the total."""

    def __init__(self, entries, total, number):
        super().__init__(range(total), PAGE_SIZE)
        self._entries = entries
        self._number = number

    def page(self, number):
        return Page(self._entries, self._number, self)


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class AuditView(RuleRequiredMixin, TemplateView):
    """Finance and managers: who changed what, when, with the values before and after (personal numbers masked);
    `?list=sign-ins` lists the sign-ins instead, which the change list leaves out."""

    rule = staticmethod(can_view_audit)
    template_name = "audit/audit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        kinds = audit.audited_models()
        kind = params.get("kind") if params.get("kind") in kinds else ""
        sign_ins = params.get("list") == "sign-ins"
        number = params.get("page", "1")
        number = parse_whole_number(number) or 1
        entries, total, number = audit.audit_entries(
            kind=kind or None,
            username=params.get("user", "").strip() or None,
            since=_date(params.get("since")),
            until=_date(params.get("until")),
            sign_ins=sign_ins,
            limit=PAGE_SIZE,
            page=number,
        )
        page = _Window(entries, min(total, audit.MAX_AUDIT_ENTRIES), number).page(number)
        query = params.copy()
        query.pop("page", None)
        context.update(
            page=page,
            kinds=[(name, capfirst(model.instance_type._meta.verbose_name)) for name, model in kinds.items()],
            sign_ins=sign_ins,
            total=total,
            beyond_pages=total > audit.MAX_AUDIT_ENTRIES,
            max_entries=audit.MAX_AUDIT_ENTRIES,
            kind=kind,
            user_filter=params.get("user", ""),
            since=params.get("since", ""),
            until=params.get("until", ""),
            query=query.urlencode(),
        )
        return context
