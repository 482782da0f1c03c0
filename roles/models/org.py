"""The org chart: departments, the roles inside them, and the employees who fill the roles."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from shop_ops.encryption import EncryptedCharField, KeyedHashField
from shop_ops.i18n import pick_language

from ..choices import AccessGroup, EmployeeStatus
from ..masking import mask_bank_account, mask_id_number, mask_phone
from ..validators import bank_account_validator, employee_number_validator, phone_validator, validate_id_number

MONEY = {"max_digits": 14, "decimal_places": 2}
# Stored encrypted; decrypted only where a page, the API or the payroll export uses them.
PERSONAL_NUMBER_FIELDS = ("bank_account", "id_number")


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_zh = models.TextField(_("description (Chinese)"), max_length=2000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=2000, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("roles:department-detail", kwargs={"code": self.code})

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return pick_language(self.description_zh, self.description_en)


class Role(models.Model):
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="roles", verbose_name=_("department")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=100)
    headcount = models.PositiveSmallIntegerField(_("planned headcount"), default=1, validators=[MaxValueValidator(999)])
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        verbose_name=_("reports to"),
    )
    pay_grade_min = models.DecimalField(_("pay grade minimum"), validators=[MinValueValidator(0)], **MONEY)
    pay_grade_max = models.DecimalField(_("pay grade maximum"), validators=[MinValueValidator(0)], **MONEY)
    access_group = models.CharField(
        _("access group"), max_length=20, choices=AccessGroup.choices, default=AccessGroup.STAFF
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    source = models.CharField(_("source document"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["department__sort_order", "sort_order", "code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(pay_grade_min__gte=0),
                name="role_pay_grade_min_not_negative",
                violation_error_message=_("The minimum pay grade cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(pay_grade_min__lte=F("pay_grade_max")),
                name="role_pay_grade_min_le_max",
                violation_error_message=_("The maximum must not be below the minimum."),
            ),
            models.CheckConstraint(
                condition=Q(headcount__lte=999),
                name="role_headcount_at_most_999",
                violation_error_message=_("The headcount can be at most 999."),
            ),
            models.CheckConstraint(
                condition=Q(reports_to__isnull=True) | ~Q(reports_to=F("id")),
                name="role_not_reporting_to_itself",
                violation_error_message=_("A role cannot report to itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roles:role-detail", kwargs={"code": self.code})

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)


class EmployeeQuerySet(models.QuerySet):
    def current(self):
        """Employees who still belong to the shop (active or on leave)."""
        return self.exclude(status=EmployeeStatus.LEFT)

    def without_personal_numbers(self):
        """For lists that never show them: the encrypted numbers are not loaded, so not decrypted (~20 µs each)."""
        return self.defer(*PERSONAL_NUMBER_FIELDS)


class Employee(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee", verbose_name=_("login")
    )
    employee_number = models.CharField(_("employee number"), max_length=20, validators=[employee_number_validator])
    full_name = models.CharField(_("full name"), max_length=100)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="employees", verbose_name=_("role"))
    hire_date = models.DateField(_("hire date"))
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=EmployeeStatus.choices, default=EmployeeStatus.ACTIVE)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    # Stored encrypted (shop_ops/encryption.py); the ID number is found by its keyed hash, never by a substring.
    bank_account = EncryptedCharField(_("bank account"), max_length=30, blank=True, validators=[bank_account_validator])
    id_number = EncryptedCharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    id_number_digest = KeyedHashField(_("ID number (keyed hash)"), source="id_number", db_index=True)
    # Finds another current employee paid into the same account (a "ghost" on the payroll): see update_employee.
    bank_account_digest = KeyedHashField(_("bank account (keyed hash)"), source="bank_account", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EmployeeQuerySet.as_manager()
    # Bank account and ID number changes are audited too (a changed account diverts a salary); the audit page
    # shows them masked.
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "id_number_digest", "bank_account_digest"])

    class Meta:
        ordering = ["employee_number"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.UniqueConstraint(
                fields=["employee_number"],
                condition=~Q(status=EmployeeStatus.LEFT),
                name="employee_number_unique_among_current",
                violation_error_message=_("Another current employee already has this employee number."),
            ),
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True) | Q(leave_date__gte=F("hire_date")),
                name="employee_leave_not_before_hire",
                violation_error_message=_("The leave date cannot be before the hire date."),
            ),
            models.CheckConstraint(
                condition=~Q(status=EmployeeStatus.LEFT) | Q(leave_date__isnull=False),
                name="employee_left_has_leave_date",
                violation_error_message=_("An employee who has left needs a leave date."),
            ),
        ]
        indexes = [models.Index(fields=["role", "status"]), models.Index(fields=["full_name"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_number})"

    def get_absolute_url(self) -> str:
        return reverse("roles:employee-detail", kwargs={"pk": self.pk})

    @property
    def bank_account_masked(self) -> str:
        return mask_bank_account(self.bank_account)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)
