from django.urls import path

from .views import audit, checklists, org

app_name = "roles"

urlpatterns = [
    path("org/", org.OrgChartView.as_view(), name="org-chart"),
    path("org/departments/new/", org.DepartmentFormView.as_view(), name="department-create"),
    path("org/departments/<slug:code>/", org.DepartmentDetailView.as_view(), name="department-detail"),
    path("org/departments/<slug:code>/edit/", org.DepartmentFormView.as_view(), name="department-edit"),
    path("org/departments/<slug:code>/delete/", org.DepartmentDeleteView.as_view(), name="department-delete"),
    path("org/roles/new/", org.RoleFormView.as_view(), name="role-create"),
    path("org/roles/<slug:code>/", org.RoleDetailView.as_view(), name="role-detail"),
    path("org/roles/<slug:code>/edit/", org.RoleFormView.as_view(), name="role-edit"),
    path("org/roles/<slug:code>/delete/", org.RoleDeleteView.as_view(), name="role-delete"),
    path("employees/", org.EmployeeListView.as_view(), name="employee-list"),
    path("employees/new/", org.EmployeeFormView.as_view(), name="employee-create"),
    path("employees/<id:pk>/", org.EmployeeDetailView.as_view(), name="employee-detail"),
    path("employees/<id:pk>/edit/", org.EmployeeFormView.as_view(), name="employee-edit"),
    path("me/", org.MyProfileView.as_view(), name="my-profile"),
    path("audit/", audit.AuditView.as_view(), name="audit"),
    path("checklist/", checklists.MyChecklistView.as_view(), name="my-checklist"),
    path("checklist/items/<id:pk>/tick/", checklists.TickView.as_view(action="tick"), name="item-tick"),
    path("checklist/items/<id:pk>/untick/", checklists.TickView.as_view(action="untick"), name="item-untick"),
    path("checklist/duties/<id:pk>/start/", checklists.StartOnDemandView.as_view(), name="duty-start"),
    path("checklists/", checklists.DashboardView.as_view(), name="checklist-dashboard"),
    path("checklists/people/<id:pk>/", checklists.PersonHistoryView.as_view(), name="person-history"),
    path("checklists/tasks/new/", checklists.AdHocTaskView.as_view(), name="adhoc-task"),
    path("checklists/holidays/", checklists.HolidayListView.as_view(), name="holidays"),
    path("checklists/duties/<id:pk>/edit/", checklists.DutyFormView.as_view(), name="duty-edit"),
    path("checklists/duties/<id:pk>/assign/", checklists.DutyAssignView.as_view(), name="duty-assign"),
    path("org/roles/<slug:code>/duties/", checklists.RoleDutiesView.as_view(), name="role-duties"),
    path("org/roles/<slug:code>/duties/new/", checklists.DutyFormView.as_view(), name="duty-create"),
]
