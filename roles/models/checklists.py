"""Duties, who holds them, the working-day calendar, and the checklist items generated from them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from shop_ops.i18n import pick_language

from ..choices import AssignmentMode, Cadence, DayKind, ItemKind, ItemStatus
from .org import Employee, Role


class Holiday(models.Model):
    """A day that breaks the Monday-to-Friday rule: a public holiday off, or a weekend make-up working day (调休)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices, default=DayKind.HOLIDAY)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holiday calendar")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    @property
    def name(self) -> str:
        return pick_language(self.name_zh, self.name_en)


class DutyTemplate(models.Model):
    """A duty of a role (岗位职责) and its rhythm; checklist items are generated from it."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="duties", verbose_name=_("role"))
    text_zh = models.CharField(_("duty (Chinese)"), max_length=500)
    text_en = models.CharField(_("duty (English)"), max_length=500, blank=True)
    cadence = models.CharField(_("cadence"), max_length=20, choices=Cadence.choices, default=Cadence.DAILY)
    weekdays = models.JSONField(
        _("weekdays"),
        default=list,
        blank=True,
        help_text=_("ISO weekdays 1 (Monday) to 7 (Sunday), for weekly duties."),
    )
    interval_days = models.PositiveSmallIntegerField(
        _("every N days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    anchor_date = models.DateField(
        _("first occurrence"), null=True, blank=True, help_text=_("For every-N-days duties: the day counting starts.")
    )
    month_day = models.PositiveSmallIntegerField(
        _("day of month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("1 to 31; in shorter months the last day is used."),
    )
    last_day_of_month = models.BooleanField(_("last day of month"), default=False)
    deadline_working_days = models.PositiveSmallIntegerField(
        _("deadline (working days)"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(60)]
    )
    assignment_mode = models.CharField(
        _("assigned to"), max_length=10, choices=AssignmentMode.choices, default=AssignmentMode.ROLE
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    cadence_note = models.CharField(_("cadence note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["role", "sort_order", "id"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.CheckConstraint(
                condition=~Q(cadence=Cadence.EVERY_N_DAYS) | Q(interval_days__gte=1, anchor_date__isnull=False),
                name="duty_every_n_days_has_interval_and_anchor",
                violation_error_message=_("An every-N-days duty needs N and a first occurrence."),
            ),
            models.CheckConstraint(
                condition=~Q(cadence=Cadence.MONTHLY) | Q(month_day__isnull=False) | Q(last_day_of_month=True),
                name="duty_monthly_has_day",
                violation_error_message=_("A monthly duty needs a day of the month or 'last day of month'."),
            ),
            models.CheckConstraint(
                condition=Q(month_day__isnull=True) | Q(month_day__gte=1, month_day__lte=31),
                name="duty_month_day_in_range",
                violation_error_message=_("The day of the month must be between 1 and 31."),
            ),
            models.CheckConstraint(
                condition=~Q(cadence=Cadence.ON_DEMAND) | Q(deadline_working_days__isnull=False),
                name="duty_on_demand_has_deadline",
                violation_error_message=_("An on-demand duty needs a deadline in working days."),
            ),
        ]
        indexes = [models.Index(fields=["is_active", "cadence"])]

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("roles:role-duties", kwargs={"code": self.role.code})

    @property
    def text(self) -> str:
        return pick_language(self.text_zh, self.text_en)


class DutyAssignment(models.Model):
    """An employee named for a duty over a date range: the holders of a 'chosen' duty, or cover for a colleague."""

    duty = models.ForeignKey(DutyTemplate, on_delete=models.CASCADE, related_name="assignments")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="duty_assignments")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["duty", "valid_from"]
        verbose_name = _("duty assignment")
        verbose_name_plural = _("duty assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="duty_assignment_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            )
        ]
        indexes = [models.Index(fields=["duty", "valid_from", "valid_to"])]

    def __str__(self) -> str:
        return f"{self.employee} → {self.duty}"


class ChecklistItemQuerySet(models.QuerySet):
    def overdue(self, today):
        return self.filter(status=ItemStatus.OPEN, due_date__lt=today)


class ChecklistItem(models.Model):
    """One thing one person has to do by a date. Text is copied from the duty, so editing a duty never rewrites
    history."""

    # No index of its own: (employee, due_date) below leads with it. Each index is written for every one of the
    # 200,000 rows the morning job inserts, so the table keeps only those its reads use.
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="checklist_items", db_index=False)
    duty = models.ForeignKey(DutyTemplate, on_delete=models.PROTECT, related_name="items", null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices, default=ItemKind.DUTY)
    period_start = models.DateField(_("for day"))
    due_date = models.DateField(_("due"))
    title_zh = models.CharField(_("task (Chinese)"), max_length=500)
    title_en = models.CharField(_("task (English)"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # done_by and assigned_by are empty on almost every row: their indexes (below) hold only the rows that have one.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    # Started or given by the person themself (an on-demand duty, a one-off task): on their list, but counted in
    # no completion figure (dashboards, history chart, the rate payroll reads), so nobody can raise their own rate.
    self_assigned = models.BooleanField(_("given to themself"), default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "duty", "period_start"],
                condition=Q(kind="duty"),
                name="checklist_item_once_per_employee_duty_period",
                violation_error_message=_("This person already has this duty for that period."),
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("period_start")),
                name="checklist_item_due_not_before_period",
                violation_error_message=_("The deadline cannot be before the start of the period."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[ItemStatus.OPEN, ItemStatus.MISSED], done_at__isnull=True, done_on__isnull=True)
                | Q(status=ItemStatus.DONE, done_at__isnull=False, done_on__isnull=False),
                name="checklist_item_done_has_time",
                violation_error_message=_("A done item needs the time it was done; an open one has none."),
            ),
            models.CheckConstraint(
                condition=Q(kind=ItemKind.AD_HOC) | Q(duty__isnull=False),
                name="checklist_item_duty_unless_ad_hoc",
                violation_error_message=_("Only a one-off task may be without a duty."),
            ),
            models.CheckConstraint(
                condition=Q(self_assigned=False) | Q(kind__in=[ItemKind.ON_DEMAND, ItemKind.AD_HOC]),
                name="checklist_item_only_started_items_self_assigned",
                violation_error_message=_("Only on-demand duties and one-off tasks can be taken on by oneself."),
            ),
        ]
        indexes = [
            models.Index(fields=["employee", "due_date"]),
            models.Index(fields=["due_date", "status"]),
            models.Index(fields=["status", "due_date"], name="checklist_open_due_idx", condition=Q(status="open")),
            models.Index(fields=["done_by"], name="checklist_done_by_idx", condition=Q(done_by__isnull=False)),
            models.Index(
                fields=["assigned_by"], name="checklist_assigned_by_idx", condition=Q(assigned_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_start} {self.title}"

    @property
    def title(self) -> str:
        return pick_language(self.title_zh, self.title_en)

    def is_overdue(self, today) -> bool:
        return self.status == ItemStatus.OPEN and self.due_date < today

    @property
    def is_missed(self) -> bool:
        return self.status == ItemStatus.MISSED

    def done_late(self) -> bool:
        return self.status == ItemStatus.DONE and self.done_on > self.due_date


class ChecklistDaySummary(models.Model):
    """Counts of one person's items due on one day, kept up to date by the services that create or tick items.

    The dashboards and completion rates read these (one row per person and day) instead of counting items, so
    they stay fast at 200,000 items a day. `refresh_day_summaries` rebuilds rows from the items at any time.
    """

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="checklist_days")
    due_date = models.DateField()
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    # Items missed (roles/cadence.py): not done, and no longer overdue.
    missed = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("checklist day summary")
        verbose_name_plural = _("checklist day summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "due_date"],
                name="checklist_summary_once_per_employee_day",
                violation_error_message=_("This person already has a summary for that day."),
            ),
            models.CheckConstraint(
                condition=Q(
                    done__lte=models.F("total"),
                    on_time__lte=models.F("done"),
                    missed__lte=models.F("total") - models.F("done"),
                ),
                name="checklist_summary_counts_consistent",
                violation_error_message=_("Done cannot exceed the total, nor on time exceed done."),
            ),
        ]
        indexes = [models.Index(fields=["due_date", "employee"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.due_date} {self.done}/{self.total}"
