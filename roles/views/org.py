"""Org chart pages. Views parse input, call one service or selector, and render; the access rule is on each."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from shop_ops.exceptions import ShopOpsError

from .. import selectors, services
from ..choices import EmployeeStatus
from ..forms import DepartmentForm, EmployeeForm, NewEmployeeForm, RoleForm
from ..models import Department, Employee, Role
from ..permissions import (
    RuleRequiredMixin,
    can_manage_org,
    can_view_all_employees,
    can_view_employee,
    can_view_org,
    has_checklist,
    start_page,
)


class HomeView(RuleRequiredMixin, TemplateView):
    """Any signed-in user: a general page with what they may open (where a refused page sends people back to)."""

    rule = staticmethod(can_view_org)
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            totals={
                "departments": Department.objects.count(),
                "roles": Role.objects.count(),
                "employees": Employee.objects.current().count(),
            },
            can_view_all_employees=can_view_all_employees(user),
            has_checklist=has_checklist(user),
        )
        return context


class StartView(RuleRequiredMixin, View):
    """Any signed-in user: where signing in (and the ShopOps link) leads; sends each person to where their day
    starts (`permissions.start_page`: staff to My checklist, the warehouse to its queue, finance to what waits
    for them, managers to the dashboard), a login with no group and no employee record to the home page."""

    rule = staticmethod(can_view_org)

    def get(self, request, *args, **kwargs):
        return redirect(start_page(request.user) or "home")


class OrgChartView(RuleRequiredMixin, TemplateView):
    """Any signed-in user: departments → roles → people, planned vs filled headcount."""

    rule = staticmethod(can_view_org)
    template_name = "roles/org_chart.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        branches = selectors.org_chart()
        context["branches"] = branches
        context["planned"] = sum(b.planned for b in branches)
        context["filled"] = sum(b.filled for b in branches)
        context["vacancies"] = sum(b.vacancies for b in branches)
        return context


class DepartmentDetailView(RuleRequiredMixin, TemplateView):
    """Any signed-in user."""

    rule = staticmethod(can_view_org)
    template_name = "roles/department_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        department = get_object_or_404(Department, code=self.kwargs["code"])
        context["department"] = department
        context["branch"] = selectors.org_chart(department=department)[0]
        return context


class RoleDetailView(RuleRequiredMixin, TemplateView):
    """Any signed-in user."""

    rule = staticmethod(can_view_org)
    template_name = "roles/role_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = get_object_or_404(Role, code=self.kwargs["code"])
        context["seat"] = selectors.role_seat(role=role)
        context["role"] = context["seat"].role
        context["direct_reports"] = role.direct_reports.select_related("department")
        return context


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: at the field it names, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ServiceFormView(RuleRequiredMixin, FormView):
    """A form whose valid data goes to one service; the service's refusals come back as form errors."""

    template_name = "form.html"
    title = ""
    cancel_url = ""

    def get_object(self):
        return None

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        return kwargs

    def dispatch(self, request, *args, **kwargs):
        self.object = None
        if request.user.is_authenticated and self.has_access():
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title
        context["cancel_url"] = self.get_cancel_url()
        return context

    def get_cancel_url(self) -> str:
        return self.object.get_absolute_url() if self.object else reverse("roles:org-chart")

    def form_valid(self, form):
        try:
            self.object = self.save(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        except ShopOpsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect(self.object.get_absolute_url())

    def save(self, data):
        raise NotImplementedError


class DepartmentFormView(ServiceFormView):
    """Managers only."""

    rule = staticmethod(can_manage_org)
    form_class = DepartmentForm

    def get_object(self):
        return get_object_or_404(Department, code=self.kwargs["code"]) if "code" in self.kwargs else None

    @property
    def title(self):
        return _("Edit department") if self.object else _("New department")

    def save(self, data):
        return services.save_department(department=self.object, **data)


class RoleFormView(ServiceFormView):
    """Managers only."""

    rule = staticmethod(can_manage_org)
    form_class = RoleForm

    def get_object(self):
        return get_object_or_404(Role, code=self.kwargs["code"]) if "code" in self.kwargs else None

    def get_initial(self):
        initial = super().get_initial()
        department = self.request.GET.get("department")
        if department and not self.object:
            initial["department"] = Department.objects.filter(code=department).first()
        return initial

    @property
    def title(self):
        return _("Edit role") if self.object else _("New role")

    def save(self, data):
        return services.save_role(role=self.object, by=self.request.user, **data)


class EmployeeFormView(ServiceFormView):
    """Managers only."""

    rule = staticmethod(can_manage_org)

    def get_object(self):
        return (
            get_object_or_404(Employee.objects.select_related("user"), pk=self.kwargs["pk"])
            if "pk" in self.kwargs
            else None
        )

    def get_form_class(self):
        return EmployeeForm if self.object else NewEmployeeForm

    def get_initial(self):
        initial = super().get_initial()
        role = self.request.GET.get("role")
        if role and not self.object:
            initial["role"] = Role.objects.filter(code=role).first()
        return initial

    def get_cancel_url(self):
        return self.object.get_absolute_url() if self.object else reverse("roles:employee-list")

    @property
    def title(self):
        return _("Edit employee") if self.object else _("New employee")

    def save(self, data):
        if self.object:
            return services.update_employee(employee=self.object, by=self.request.user, **data)
        return services.create_employee(by=self.request.user, **data)


class DeleteView(RuleRequiredMixin, TemplateView):
    """Managers only: a confirmation page on GET, the deletion on POST."""

    rule = staticmethod(can_manage_org)
    template_name = "confirm_delete.html"
    model = None

    def get_object(self):
        return get_object_or_404(self.model, code=self.kwargs["code"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.get_object()
        return context

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        try:
            self.delete(obj)
        except ShopOpsError as exc:
            # Shown on the confirmation page itself, naming what blocks the delete.
            context = self.get_context_data(error=exc.message)
            return self.render_to_response(context, status=exc.status_code)
        messages.success(request, _("Deleted “%(name)s”.") % {"name": obj})
        return redirect("roles:org-chart")


class DepartmentDeleteView(DeleteView):
    model = Department

    def delete(self, obj):
        services.delete_department(department=obj)


class RoleDeleteView(DeleteView):
    model = Role

    def delete(self, obj):
        services.delete_role(role=obj)


class EmployeeListView(RuleRequiredMixin, TemplateView):
    """Managers and finance: every employee, searchable and paginated; a whole ID number is looked up by POST only,
    so it never lands in an access log, the browser history or a Referer header."""

    rule = staticmethod(can_view_all_employees)
    template_name = "roles/employee_list.html"
    paginate_by = 25

    def get(self, request, *args, **kwargs):
        if "id_number" in request.GET or selectors.looks_like_id_number(request.GET.get("q", "")):
            # Already in the log by now; at least nothing is looked up, and the page says how to do it instead.
            context = self.get_context_data(employees=Employee.objects.none(), q="")
            context["refused"] = _(
                "ID numbers are not looked up from the page address (it is kept in logs and the browser history): "
                "type the whole number in the ID number box."
            )
            return self.render_to_response(context, status=400)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        """The ID number box: the whole number, in the request body; anyone with it, whatever their status."""
        id_number = request.POST.get("id_number", "")
        employees = selectors.employees_visible_to(user=request.user)
        # 18 characters, with spaces or hyphens up to 40; anything longer finds nobody.
        employees = (
            selectors.with_id_number(queryset=employees, id_number=id_number)
            if len(id_number) <= 40
            else employees.none()
        )
        return self.render_to_response(
            self.get_context_data(employees=employees, q="", status="all", looked_up_id_number=True)
        )

    def get_context_data(self, employees=None, **kwargs):
        params = self.request.GET
        status = kwargs.pop("status", params.get("status", "current"))
        q = kwargs.pop("q", params.get("q", ""))
        context = super().get_context_data(**kwargs)
        if employees is None:
            employees = selectors.employees_visible_to(user=self.request.user)
            employees = selectors.search_employees(queryset=employees, text=q)
        if status == "current":
            employees = employees.current()
        elif status in EmployeeStatus.values:
            employees = employees.filter(status=status)
        department = params.get("department", "")
        if department:
            employees = employees.filter(role__department__code=department)
        page = Paginator(employees.order_by("employee_number"), self.paginate_by).get_page(params.get("page"))
        query = params.copy()
        query.pop("page", None)
        context.update(
            page=page,
            q=q,
            status=status,
            statuses=[("current", _("Current")), *EmployeeStatus.choices, ("all", _("All"))],
            department=department,
            departments=Department.objects.all(),
            query=query.urlencode(),
        )
        return context


class EmployeeDetailView(RuleRequiredMixin, TemplateView):
    """Managers and finance, or the employee themself."""

    template_name = "roles/employee_detail.html"

    def has_access(self) -> bool:
        self.employee = (
            Employee.objects.select_related("user", "role", "role__department", "role__reports_to")
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if self.employee is None:
            return can_view_all_employees(self.request.user)
        return can_view_employee(self.request.user, self.employee)

    def get_context_data(self, **kwargs):
        if self.employee is None:
            raise Http404
        context = super().get_context_data(**kwargs)
        context["employee"] = self.employee
        return context


class MyProfileView(RuleRequiredMixin, TemplateView):
    """Any signed-in user: their own employee record."""

    rule = staticmethod(can_view_org)

    def get(self, request, *args, **kwargs):
        employee = Employee.objects.filter(user=request.user).first()
        if employee is None:
            messages.info(request, _("Your login is not linked to an employee record."))
            return redirect("home")
        return redirect(employee.get_absolute_url())
