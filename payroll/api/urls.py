"""API of the payroll module (mounted at /api/payroll/)."""

from shop_ops.api import Router

from . import views

router = Router()
router.register("structures", views.StructureViewSet, basename="payroll-structure")
router.register("components", views.ComponentViewSet, basename="payroll-component")
router.register("sales", views.SalesFigureViewSet, basename="payroll-sales")
router.register("adjustments", views.AdjustmentViewSet, basename="payroll-adjustment")
router.register("attendance", views.AttendanceViewSet, basename="payroll-attendance")
router.register("runs", views.RunViewSet, basename="payroll-run")
router.register("exports", views.ExportViewSet, basename="payroll-export")
router.register("payslips", views.PayslipViewSet, basename="payroll-payslip")
router.register("insurance-policies", views.InsurancePolicyViewSet, basename="payroll-insurance-policy")
router.register("pay-profiles", views.PayProfileViewSet, basename="payroll-pay-profile")
router.register("pool-rules", views.PoolRuleViewSet, basename="payroll-pool-rule")
router.register("special-deductions", views.SpecialDeductionViewSet, basename="payroll-special-deduction")
router.register("tax-openings", views.TaxOpeningBalanceViewSet, basename="payroll-tax-opening")

urlpatterns = router.urls
