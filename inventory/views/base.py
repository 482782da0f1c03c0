"""What every inventory page shares: paging, the month parameter, the form and action base views."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import FormView, View

from roles.permissions import RuleRequiredMixin
from shop_ops.exceptions import ShopOpsError
from shop_ops.redirects import safe_next_url

from ..permissions import can_operate_stock

PAGE_SIZE = 50


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paginate(request, queryset, size: int = PAGE_SIZE):
    query = request.GET.copy()
    query.pop("page", None)
    return Paginator(queryset, size).get_page(request.GET.get("page")), query.urlencode()


def parse_month(text: str | None) -> datetime.date:
    try:
        return datetime.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


class ServiceForm(RuleRequiredMixin, FormView):
    """A form whose valid data goes to one service; the service's refusals come back as form errors."""

    rule = staticmethod(can_operate_stock)
    template_name = "inventory/form.html"
    title = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, cancel_url=self.get_success_url(), **kwargs)

    def form_valid(self, form):
        try:
            message = self.save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.form_invalid(form)
        except ShopOpsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.get_success_url())


class ActionView(RuleRequiredMixin, View):
    """A POST-only button: runs one service, reports success or the service's refusal as a message."""

    rule = staticmethod(can_operate_stock)
    form_class = None
    fallback_url = "inventory:stock-list"

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            errors = "; ".join(f"{e}" for errs in form.errors.values() for e in errs)
            messages.error(request, errors)
            return redirect(self.next_url())
        try:
            message = self.act(form.cleaned_data if form else {})
        except ShopOpsError as exc:
            messages.error(request, exc.message)
        else:
            if message:
                messages.success(request, message)
        return redirect(self.next_url())

    def next_url(self) -> str:
        return safe_next_url(
            self.request,
            self.request.POST.get("next"),
            self.request.META.get("HTTP_REFERER"),
            fallback=self.fallback_url,
        )
