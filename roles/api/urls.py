from django.urls import path

from shop_ops.api import Router

from .checklists import ChecklistItemViewSet, CompletionStatsView, DutyAssignmentViewSet, DutyViewSet, HolidayViewSet
from .views import DepartmentViewSet, EmployeeViewSet, RoleViewSet

router = Router()
router.register("departments", DepartmentViewSet, basename="department")
router.register("roles", RoleViewSet, basename="role")
router.register("employees", EmployeeViewSet, basename="employee")
router.register("duties", DutyViewSet, basename="duty")
router.register("duty-assignments", DutyAssignmentViewSet, basename="duty-assignment")
router.register("checklist-items", ChecklistItemViewSet, basename="checklist-item")
router.register("holidays", HolidayViewSet, basename="holiday")

urlpatterns = [
    path("checklist-stats/", CompletionStatsView.as_view(), name="checklist-stats"),
    *router.urls,
]
