"""Pages of the payroll module (mounted at /payroll/)."""

from django.urls import path

from . import views

app_name = "payroll"

urlpatterns = [
    path("", views.RunListView.as_view(), name="run-list"),
    path("waiting/", views.FinanceWaitingView.as_view(), name="waiting"),
    path("runs/<str:month>/", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<str:month>/progress/", views.RunProgressView.as_view(), name="run-progress"),
    path("runs/<str:month>/approve/", views.RunActionView.as_view(action="approve"), name="run-approve"),
    path("runs/<str:month>/paid/", views.RunActionView.as_view(action="paid"), name="run-paid"),
    path("runs/<str:month>/export/", views.RunExportView.as_view(), name="run-export"),
    path("exports/<id:pk>/", views.ExportProgressView.as_view(), name="export-progress"),
    path("exports/<id:pk>/download/", views.ExportDownloadView.as_view(), name="export-download"),
    path("payslips/", views.PayslipListView.as_view(), name="payslip-list"),
    path("payslips/<id:pk>/", views.PayslipDetailView.as_view(), name="payslip-detail"),
    path("structures/", views.StructureListView.as_view(), name="structure-list"),
    path("structures/<id:pk>/", views.StructureDetailView.as_view(), name="structure-detail"),
    path("structures/<id:pk>/edit/", views.StructureEditView.as_view(), name="structure-edit"),
    path("inputs/template.xlsx", views.ImportTemplateView.as_view(), name="import-template"),
    path("inputs/<str:month>/", views.InputsView.as_view(), name="inputs"),
    path("settings/insurance/", views.InsurancePolicyListView.as_view(), name="insurance-list"),
    path("settings/insurance/new/", views.InsurancePolicyFormView.as_view(), name="insurance-new"),
    path("settings/insurance/<id:pk>/edit/", views.InsurancePolicyFormView.as_view(), name="insurance-edit"),
    path("settings/profiles/", views.PayProfileListView.as_view(), name="profile-list"),
    path("settings/profiles/<id:pk>/edit/", views.PayProfileFormView.as_view(), name="profile-edit"),
    path("settings/pools/", views.PoolRuleListView.as_view(), name="pool-rule-list"),
    path("settings/pools/<slug:code>/edit/", views.PoolRuleFormView.as_view(), name="pool-rule-edit"),
    path("settings/tax-openings/", views.TaxOpeningBalanceListView.as_view(), name="tax-opening-list"),
    path("settings/tax-openings/new/", views.TaxOpeningBalanceFormView.as_view(), name="tax-opening-new"),
    path("settings/tax-openings/<id:pk>/edit/", views.TaxOpeningBalanceFormView.as_view(), name="tax-opening-edit"),
    path("settings/deductions/", views.SpecialDeductionListView.as_view(), name="deduction-list"),
    path("settings/deductions/template.xlsx", views.DeductionTemplateView.as_view(), name="deduction-template"),
    path("settings/deductions/new/", views.SpecialDeductionFormView.as_view(), name="deduction-new"),
    path("settings/deductions/<id:pk>/edit/", views.SpecialDeductionFormView.as_view(), name="deduction-edit"),
    path("settings/deductions/<id:pk>/end/", views.SpecialDeductionEndView.as_view(), name="deduction-end"),
    path("settings/changes/", views.VarianceThresholdView.as_view(), name="variance-threshold"),
    path("settings/changes/edit/", views.VarianceThresholdFormView.as_view(), name="variance-threshold-edit"),
    path("adjustments/<id:pk>/delete/", views.AdjustmentDeleteView.as_view(), name="adjustment-delete"),
]
