from django.urls import path

from . import views

app_name = "roles"

urlpatterns = [
    path("org/", views.OrgChartView.as_view(), name="org-chart"),
    path("org/departments/new/", views.DepartmentFormView.as_view(), name="department-create"),
    path("org/departments/<slug:code>/", views.DepartmentDetailView.as_view(), name="department-detail"),
    path("org/departments/<slug:code>/edit/", views.DepartmentFormView.as_view(), name="department-edit"),
    path("org/departments/<slug:code>/delete/", views.DepartmentDeleteView.as_view(), name="department-delete"),
    path("org/roles/new/", views.RoleFormView.as_view(), name="role-create"),
    path("org/roles/<slug:code>/", views.RoleDetailView.as_view(), name="role-detail"),
    path("org/roles/<slug:code>/edit/", views.RoleFormView.as_view(), name="role-edit"),
    path("org/roles/<slug:code>/delete/", views.RoleDeleteView.as_view(), name="role-delete"),
    path("employees/", views.EmployeeListView.as_view(), name="employee-list"),
    path("employees/new/", views.EmployeeFormView.as_view(), name="employee-create"),
    path("employees/<int:pk>/", views.EmployeeDetailView.as_view(), name="employee-detail"),
    path("employees/<int:pk>/edit/", views.EmployeeFormView.as_view(), name="employee-edit"),
    path("me/", views.MyProfileView.as_view(), name="my-profile"),
]
