import django_filters
from django import forms

from ..choices import AdjustmentKind, ExportStatus, RunStatus
from ..models import (
    Adjustment,
    Attendance,
    Component,
    PayrollExport,
    PayrollRun,
    Payslip,
    SalesFigure,
    TaxOpeningBalance,
)


class MonthFilter(django_filters.CharFilter):
    """?month=2026-05"""

    def filter(self, qs, value):
        if not value:
            return qs
        from ..services import parse_month

        return qs.filter(**{self.field_name: parse_month(value)})


class SalesFigureFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="month")
    department_code = django_filters.CharFilter(field_name="department__code")

    class Meta:
        model = SalesFigure
        fields = ["month", "department_code"]


class AdjustmentFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="month")
    kind = django_filters.ChoiceFilter(choices=AdjustmentKind.choices)

    class Meta:
        model = Adjustment
        fields = ["month", "employee", "kind"]


class AttendanceFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="month")

    class Meta:
        model = Attendance
        fields = ["month", "employee"]


class ComponentFilterSet(django_filters.FilterSet):
    class Meta:
        model = Component
        fields = ["version", "version__structure", "kind"]


class RunFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices)

    class Meta:
        model = PayrollRun
        fields = ["status"]


class ExportFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="run__month")
    status = django_filters.MultipleChoiceFilter(choices=ExportStatus.choices)

    class Meta:
        model = PayrollExport
        fields = ["run", "month", "status"]


class PayslipFilterSet(django_filters.FilterSet):
    month = MonthFilter(field_name="run__month")
    department_code = django_filters.CharFilter(field_name="department__code")

    class Meta:
        model = Payslip
        fields = ["month", "employee", "department_code"]


class WholeNumberFilter(django_filters.NumberFilter):
    """NumberFilter takes ?year=0.5 (a decimal) where the schema promises an integer: this one wants a whole number."""

    field_class = forms.IntegerField


class TaxOpeningBalanceFilterSet(django_filters.FilterSet):
    year = WholeNumberFilter(field_name="year", min_value=2000, max_value=2100)

    class Meta:
        model = TaxOpeningBalance
        fields = ["employee", "year"]
