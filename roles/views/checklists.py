"""Checklist pages: staff tick their own list; managers edit duties, assign people and watch completion."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from shop_ops.exceptions import ShopOpsError
from shop_ops.numbers import parse_whole_number
from shop_ops.redirects import safe_next_url

from .. import cadence, selectors, services
from ..choices import ItemStatus, Period
from ..exceptions import NotYourItem
from ..forms import AdHocTaskForm, AssignmentForm, DutyForm, HolidayForm
from ..models import ChecklistItem, Department, DutyAssignment, DutyTemplate, Employee, Holiday, Role
from ..permissions import RuleRequiredMixin, can_manage_checklists, can_view_history_of, has_checklist
from ..selectors.checklists import DONE_BY_SECRETS
from ..selectors.org import with_names
from ..workdays import WorkCalendar
from .org import ServiceFormView, add_service_errors


def _parse_date(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


class MyChecklistView(RuleRequiredMixin, TemplateView):
    """Anyone with an employee record: today's items, overdue ones, open one-off tasks; tick without reloading."""

    rule = staticmethod(has_checklist)
    template_name = "checklists/my_checklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        employee = self.request.user.employee
        today = timezone.localdate()
        items = _with_untick_rule(selectors.my_checklist_items(employee=employee, today=today), today)
        context.update(
            today=today,
            overdue=[i for i in items if i.is_overdue(today)],
            due_today=[i for i in items if i.due_date == today],
            upcoming=[i for i in items if i.due_date > today],
            done_earlier=[i for i in items if i.due_date < today and i.status == ItemStatus.DONE],
            on_demand=selectors.on_demand_duties(employee=employee, today=today),
            **selectors.my_checklist_progress(employee=employee, today=today),
        )
        return context


class TickView(RuleRequiredMixin, View):
    """The item's owner (or a manager): POST ticks or unticks; htmx gets the item's row back, others a redirect."""

    rule = staticmethod(has_checklist)
    action = "tick"

    def post(self, request, pk):
        try:
            if self.action == "tick":
                item = services.tick_item(item_id=pk, user=request.user, note=request.POST.get("note"))
            else:
                item = services.untick_item(item_id=pk, user=request.user)
        except ChecklistItem.DoesNotExist:
            raise Http404 from None
        except NotYourItem as exc:
            return HttpResponseForbidden(exc.message)
        except (ShopOpsError, ValidationError) as exc:
            message = exc.message if isinstance(exc, ShopOpsError) else " ".join(exc.messages)
            if request.htmx_request:
                return render(
                    request,
                    "checklists/includes/item.html",
                    {"item": _fresh(pk), "error": message, "today": timezone.localdate()},
                    status=400,
                )
            messages.error(request, message)
            return redirect("roles:my-checklist")
        if request.htmx_request:
            return self.render_row(item)
        return redirect(safe_next_url(request, request.POST.get("next"), fallback="roles:my-checklist"))

    def render_row(self, item):
        """The ticked row, and for one's own item the page's done counter too (swapped in out of band)."""
        today = timezone.localdate()
        _with_untick_rule([item], today)
        html = render_to_string("checklists/includes/item.html", {"item": item, "today": today}, self.request)
        employee = getattr(self.request.user, "employee", None)
        if employee is not None and item.employee_id == employee.pk:
            progress = selectors.my_checklist_progress(employee=employee, today=today)
            html += render_to_string("checklists/includes/progress.html", {"oob": True, **progress}, self.request)
        return HttpResponse(html)

    def dispatch(self, request, *args, **kwargs):
        request.htmx_request = request.headers.get("HX-Request") == "true"
        return super().dispatch(request, *args, **kwargs)


def _fresh(pk):
    return _with_untick_rule(
        [ChecklistItem.objects.select_related("done_by__employee", "duty").defer(*DONE_BY_SECRETS).get(pk=pk)]
    )[0]


def _with_untick_rule(items, today=None):
    """Mark the done items whose duty has come round again (`keeps_done`): untick refuses them, so their row
    offers no button."""
    today = today or timezone.localdate()
    workdays = WorkCalendar.load(start=today, end=today)
    for item in items:
        done = item.status == ItemStatus.DONE
        item.keeps_done = done and services.item_missed_now(item, today=today, workdays=workdays)
    return items


class StartOnDemandView(RuleRequiredMixin, View):
    """The duty's role holder: start an on-demand duty (e.g. a bad review arrived), due in N working days."""

    rule = staticmethod(has_checklist)

    def post(self, request, pk):
        duty = get_object_or_404(DutyTemplate, pk=pk)
        try:
            services.trigger_on_demand_duty(
                duty=duty, employee=request.user.employee, by=request.user, note=request.POST.get("note", "")[:1000]
            )
        except ShopOpsError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Started: %(duty)s") % {"duty": duty.text})
        return redirect("roles:my-checklist")


class DashboardView(RuleRequiredMixin, TemplateView):
    """Managers: completion by department, role and person for today / this week / this month; overdue list."""

    rule = staticmethod(can_manage_checklists)
    template_name = "checklists/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        period = self.request.GET.get("period", Period.TODAY)
        if period not in Period.values:
            period = Period.TODAY
        start, end = selectors.period_range(period, today)
        department = self.request.GET.get("department") or None
        department_id = parse_whole_number(department)
        table = selectors.completion_table(start=start, end=end, today=today, department_id=department_id)
        overdue = selectors.overdue_items(today=today, department_id=department_id)
        context.update(
            period=period,
            periods=Period.choices,
            start=start,
            end=end,
            today=today,
            departments=Department.objects.all(),
            department_id=department_id,
            overall=table.overall,
            by_department=table.by_department,
            by_role=table.by_role,
            by_person=Paginator(table.by_person, 50).get_page(self.request.GET.get("people")),
            overdue_page=Paginator(overdue, 25).get_page(self.request.GET.get("page")),
        )
        return context


class PersonHistoryView(RuleRequiredMixin, TemplateView):
    """Managers, or the person themself: one person's items and daily completion over a date range."""

    template_name = "checklists/person_history.html"

    def has_access(self) -> bool:
        self.employee = Employee.objects.select_related("role", "role__department").filter(pk=self.kwargs["pk"]).first()
        if self.employee is None:
            return can_manage_checklists(self.request.user)
        return can_view_history_of(self.request.user, self.employee)

    def get_context_data(self, **kwargs):
        if self.employee is None:
            raise Http404
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        end = _parse_date(self.request.GET.get("end"), today)
        start = _parse_date(self.request.GET.get("start"), end - datetime.timedelta(days=29))
        if start > end:
            start, end = end, start
        start = max(start, end - datetime.timedelta(days=366))
        days = selectors.daily_completion(employee=self.employee, start=start, end=end, today=today)
        context.update(
            employee=self.employee,
            start=start,
            end=end,
            days=days,
            summary=selectors.checklist_completion_rates(
                start=start, end=end, employee_ids=[self.employee.pk], today=today
            ).get(self.employee.pk),
            page=Paginator(selectors.person_history(employee=self.employee, start=start, end=end), 30).get_page(
                self.request.GET.get("page")
            ),
            query=f"start={start}&end={end}",
            today=today,
        )
        return context


class RoleDutiesView(RuleRequiredMixin, TemplateView):
    """Managers: a role's duties in order, with cadence, assignment and buttons to reorder or deactivate."""

    rule = staticmethod(can_manage_checklists)
    template_name = "checklists/role_duties.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = get_object_or_404(Role.objects.select_related("department"), code=self.kwargs["code"])
        duties = list(role.duties.prefetch_related("assignments__employee").order_by("sort_order", "id"))
        for duty in duties:
            duty.cadence_text = cadence.describe(duty)
        context.update(role=role, duties=duties)
        return context

    def post(self, request, code):
        # Posted ids go through parse_whole_number: anything else is pk=None, which matches no row (404, not 500).
        duty = get_object_or_404(DutyTemplate, pk=parse_whole_number(request.POST.get("duty")), role__code=code)
        action = request.POST.get("action")
        if action in {"up", "down"}:
            services.move_duty(duty=duty, direction=action)
        elif action in {"activate", "deactivate"}:
            services.save_duty(duty=duty, is_active=action == "activate")
            messages.success(request, _("Duty activated.") if action == "activate" else _("Duty deactivated."))
        return redirect("roles:role-duties", code=code)


class DutyFormView(ServiceFormView):
    """Managers: add a duty to a role, or edit one."""

    rule = staticmethod(can_manage_checklists)
    form_class = DutyForm

    def get_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(DutyTemplate.objects.select_related("role"), pk=self.kwargs["pk"])
        return None

    @property
    def role(self):
        return self.object.role if self.object else get_object_or_404(Role, code=self.kwargs["code"])

    @property
    def title(self):
        return (_("Edit duty of %(role)s") if self.object else _("New duty for %(role)s")) % {"role": self.role}

    def get_cancel_url(self):
        return reverse("roles:role-duties", kwargs={"code": self.role.code})

    def save(self, data):
        if self.object:
            return services.save_duty(duty=self.object, **data)
        return services.save_duty(role=self.role, **data)


class DutyAssignView(RuleRequiredMixin, TemplateView):
    """Managers: who holds a duty (beyond the role), from when; add cover, end an assignment."""

    rule = staticmethod(can_manage_checklists)
    template_name = "checklists/duty_assign.html"

    def dispatch(self, request, *args, **kwargs):
        self.duty = None
        if request.user.is_authenticated and self.has_access():
            self.duty = get_object_or_404(DutyTemplate.objects.select_related("role"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            duty=self.duty,
            form=form or AssignmentForm(),
            assignments=with_names(self.duty.assignments.select_related("employee"), "created_by").order_by(
                "-valid_from"
            ),
            role_holders=self.duty.role.employees.current().order_by("full_name"),
            today=timezone.localdate(),
        )
        return context

    def post(self, request, pk):
        if "end" in request.POST:
            assignment = get_object_or_404(DutyAssignment, pk=parse_whole_number(request.POST["end"]), duty=self.duty)
            services.end_assignment(assignment=assignment)
            messages.success(request, _("Assignment ended."))
            return redirect("roles:duty-assign", pk=pk)
        form = AssignmentForm(request.POST)
        if form.is_valid():
            try:
                services.assign_duty(duty=self.duty, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Assigned."))
                return redirect("roles:duty-assign", pk=pk)
        return self.render_to_response(self.get_context_data(form=form))


class AdHocTaskView(RuleRequiredMixin, TemplateView):
    """Managers: give one person a one-off task with a deadline."""

    rule = staticmethod(can_manage_checklists)
    template_name = "form.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        initial = {"due_date": timezone.localdate()}
        employee = self.request.GET.get("employee")
        if parse_whole_number(employee) is not None:
            initial["employee"] = employee
        context.update(
            form=form or AdHocTaskForm(initial=initial),
            title=_("New one-off task"),
            cancel_url=reverse("roles:checklist-dashboard"),
        )
        return context

    def post(self, request):
        form = AdHocTaskForm(request.POST)
        if form.is_valid():
            try:
                item = services.add_ad_hoc_task(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Task given to %(name)s.") % {"name": item.employee.full_name})
                return redirect("roles:person-history", pk=item.employee_id)
        return self.render_to_response(self.get_context_data(form=form))


class HolidayListView(RuleRequiredMixin, TemplateView):
    """Managers: the holiday calendar (days off and make-up working days) by year; add or remove days."""

    rule = staticmethod(can_manage_checklists)
    template_name = "checklists/holidays.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        year = self.request.GET.get("year")
        year = parse_whole_number(year, maximum=9999) or timezone.localdate().year
        context.update(
            year=year,
            days=Holiday.objects.filter(date__year=year),
            years=sorted({d.year for d in Holiday.objects.dates("date", "year")} | {year}),
            form=form or HolidayForm(),
        )
        return context

    def post(self, request):
        if "delete" in request.POST:
            holiday = get_object_or_404(Holiday, pk=parse_whole_number(request.POST["delete"]))
            if request.POST.get("confirm") != "yes":
                return render(
                    request,
                    "confirm_delete.html",
                    {
                        "object": holiday,
                        "confirm_field": "delete",
                        "confirm_value": holiday.pk,
                        "cancel_url": reverse("roles:holidays"),
                    },
                )
            services.delete_holiday(holiday=holiday)
            messages.success(request, _("Removed %(day)s.") % {"day": holiday})
            return redirect(f"{reverse('roles:holidays')}?year={holiday.date.year}")
        form = HolidayForm(request.POST)
        if form.is_valid():
            try:
                holiday = services.save_holiday(**form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Added %(day)s.") % {"day": holiday})
                return redirect(f"{reverse('roles:holidays')}?year={holiday.date.year}")
        return self.render_to_response(self.get_context_data(form=form))
