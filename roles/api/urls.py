from rest_framework.routers import DefaultRouter

from .views import DepartmentViewSet, EmployeeViewSet, RoleViewSet

router = DefaultRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("roles", RoleViewSet, basename="role")
router.register("employees", EmployeeViewSet, basename="employee")

urlpatterns = router.urls
