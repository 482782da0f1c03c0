"""Who did something is shown by name (|person: the employee's 姓名, the login only for a login with no employee
record), on every page that names a person, in a query count that does not grow with the rows shown."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import LossReport, StockCount, StockMovement
from payroll import services as payroll_services
from payroll.choices import ComponentKind
from payroll.engine import ComponentSpec
from payroll.models import Adjustment, PayrollExport, PayrollRun, SalaryStructure, SalesFigure
from roles.choices import AccessGroup
from roles.models import DutyAssignment

from .factories import DepartmentFactory, DutyFactory, EmployeeFactory, RoleFactory, UserFactory
from .inventory.factories import LocationFactory, SkuFactory
from .payroll.conftest import POLICY

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 1, 1)


def _people(count: int) -> list:
    """Logins with employee records named 经手人1, 经手人2...; their logins (login-1...) must not be shown."""
    return [
        EmployeeFactory(
            full_name=f"经手人{number}", user=UserFactory(username=f"login-{number}", groups=[AccessGroup.STAFF])
        ).user
        for number in range(1, count + 1)
    ]


def _month_of(user) -> datetime.date:
    """A month of each person's own, for records of which there is one a month."""
    return datetime.date(2000 + user.pk // 12, 1 + user.pk % 12, 1)


def _movements(users):
    sku, location, now = SkuFactory(), LocationFactory(), timezone.now()
    for user in users:
        StockMovement.objects.create(
            sku=sku,
            location=location,
            kind="receipt",
            quantity=1,
            unit_cost=Decimal("1.00"),
            value=Decimal("1.00"),
            created_by=user,
            occurred_at=now,
            posted_at=now,
        )
    return reverse("inventory:movement-list")


def _inputs(users):
    for user in users:
        Adjustment.objects.create(
            month=MONTH, employee=EmployeeFactory(), kind="bonus", amount=Decimal("10.00"), reason="r", entered_by=user
        )
        SalesFigure.objects.create(
            month=MONTH, department=DepartmentFactory(), sales=Decimal(1), gross_profit=Decimal(1), entered_by=user
        )
    return reverse("payroll:inputs", args=[MONTH.strftime("%Y-%m")])


def _runs(users):
    now = timezone.now()
    for user in users:
        PayrollRun.objects.create(month=_month_of(user), started_by=user, started_at=now)
    return reverse("payroll:run-list")


def _assignments(users):
    duty = DutyFactory()
    for number, user in enumerate(users):
        DutyAssignment.objects.create(
            duty=duty,
            employee=EmployeeFactory(),
            valid_from=datetime.date(2026, 1, 1) + datetime.timedelta(days=number),
            created_by=user,
        )
    return reverse("roles:duty-assign", args=[duty.pk])


def _loss_reports(users):
    now = timezone.now()
    for user in users:
        count = StockCount.objects.create(
            warehouse=LocationFactory().warehouse,
            period=_month_of(user),
            status="closed",
            snapshot_at=now,
            closed_at=now,
        )
        LossReport.objects.create(count=count, status="approved", reviewed_by=user, reviewed_at=now)
    return reverse("inventory:loss-report-list")


def _audit(users):
    for user in users:
        role = RoleFactory()
        role.history.update(history_user=user)
    return reverse("roles:audit")


def _structure_versions(users):
    structure = SalaryStructure.objects.first() or payroll_services.create_structure(
        code="names", name="Names", role=RoleFactory()
    )
    for user in users:
        payroll_services.save_structure_version(
            structure=structure,
            effective_from=_month_of(user),
            components=[ComponentSpec("base_pay", "Base pay", ComponentKind.EARNING, "base")],
            user=user,
        )
    return reverse("payroll:structure-detail", args=[structure.pk])


def _insurance_policies(users):
    for user in users:
        payroll_services.save_insurance_policy(city=f"City {user.pk}", user=user, **POLICY)
    return reverse("payroll:insurance-list")


def _pool_rules(users):
    for user in users:
        payroll_services.save_pool_rule(department=DepartmentFactory(), rate=Decimal("0.40"), user=user)
    return reverse("payroll:pool-rule-list")


def _tax_openings(users):
    for user in users:
        payroll_services.save_tax_opening_balance(
            employee=EmployeeFactory(),
            year=timezone.localdate().year,
            income=Decimal("1000.00"),
            special_deductions=Decimal(0),
            additional_deductions=Decimal(0),
            tax_withheld=Decimal(0),
            user=user,
        )
    return reverse("payroll:tax-opening-list")


def _pay_profiles(users):
    for user in users:
        payroll_services.save_pay_profile(employee=EmployeeFactory(), user=user, base_salary=Decimal("3000.00"))
    return reverse("payroll:profile-list")


def _exports(users):
    """The run's page lists its current exports, each with who asked for it."""
    run = PayrollRun.objects.filter(month=MONTH).first() or PayrollRun.objects.create(
        month=MONTH, status="approved", attempt=1, approved_at=timezone.now(), approved_by=users[0]
    )
    for user in users:
        PayrollExport.objects.create(
            run=run,
            attempt=1,
            status="done",
            file="payroll/exports/names.xlsx",
            requested_by=user,
            finished_at=timezone.now(),
        )
    return reverse("payroll:run-detail", args=[MONTH.strftime("%Y-%m")])


@pytest.mark.parametrize(
    "make",
    [
        _movements,
        _inputs,
        _runs,
        _assignments,
        _loss_reports,
        _audit,
        _structure_versions,
        _insurance_policies,
        _pool_rules,
        _tax_openings,
        _pay_profiles,
        _exports,
    ],
    ids=lambda make: make.__name__,
)
def test_pages_name_people_not_logins_in_a_fixed_number_of_queries(
    make, client_as, manager, django_assert_max_num_queries
):
    manager.user.groups.add(*_groups(AccessGroup.FINANCE, AccessGroup.WAREHOUSE))
    client = client_as(manager)
    people = _people(4)  # first: the audit trail lists their logins' own history too
    url = make(people[:1])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(100) as one:  # the audit trail reads each audited model
        assert client.get(url).status_code == 200
    make(people[1:])
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    for number in (1, 2, 3, 4):
        assert f"经手人{number}" in page
        # The audit trail names the logins as records too ("User: login-2"), and who made a change by name with the
        # login beside it ("经手人2 (login-2)": a name can be shared or copied, a login cannot); nowhere a bare login.
        shown = page.replace(f"User: login-{number}", "").replace(f"经手人{number} (login-{number})", "")
        assert f"login-{number}" not in shown


def _groups(*names):
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name__in=names))


def test_a_loss_reports_reviewer_is_named_on_its_page(client_as, warehouse):
    (reviewer,) = _people(1)
    _loss_reports([reviewer])
    page = client_as(warehouse).get(LossReport.objects.get().get_absolute_url()).content.decode()
    assert "经手人1" in page and "login-1" not in page


def test_the_log_out_button_names_the_person(client_as, staff, superuser):
    page = client_as(staff).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"退出登录 ({staff.full_name})" in page and staff.user.username not in page
    admin = client_as(superuser).get(reverse("home")).content.decode()
    assert f"({superuser.username})" in admin  # no employee record: the login


def test_the_home_page_shows_its_figures_and_my_checklist_for_staff(client_as, staff, manager, superuser):
    from roles.models import Department, Employee, Role

    page = client_as(staff).get(reverse("home")).content.decode()
    for name, figure in (
        ("departments", Department.objects.count()),
        ("roles", Role.objects.count()),
        ("employees", Employee.objects.current().count()),
    ):
        assert f'data-testid="home-{name}">{figure}</p>' in page
    assert reverse("roles:my-checklist") in page
    assert reverse("roles:my-checklist") not in client_as(superuser).get(reverse("home")).content.decode()


def test_the_audit_trail_labels_reviewed_at_in_chinese(client_as, manager, warehouse):
    (reviewer,) = _people(1)
    _loss_reports([reviewer])
    report = LossReport.objects.get()
    report.review_note = "ok"
    report.reviewed_at = timezone.now() - datetime.timedelta(days=1)
    report.save()
    page = client_as(manager).get(reverse("roles:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审核时间" in page and "Reviewed at" not in page


def test_location_pickers_show_the_warehouse_by_name(client_as, warehouse):
    location = LocationFactory()
    location.warehouse.name = "杭州主仓"
    location.warehouse.save()
    client = client_as(warehouse)
    for url in (reverse("inventory:stock-list"), reverse("inventory:movement-create")):
        page = client.get(url).content.decode()
        assert f"杭州主仓 / {location.code}</option>" in page
        assert f"{location.warehouse.code} / " not in page


def test_an_exports_progress_box_names_who_asked_for_it(client_as, finance):
    (asker,) = _people(1)
    _exports([asker])
    box = client_as(finance).get(reverse("payroll:export-progress", args=[PayrollExport.objects.get().pk]))
    assert "经手人1" in box.content.decode() and "login-1" not in box.content.decode()


def test_a_login_without_an_employee_record_is_shown_by_the_name_on_the_login(client_as, finance):
    admin = UserFactory(username="admin-login", first_name="Li", last_name="Ming", is_superuser=True)
    _insurance_policies([admin])
    page = client_as(finance).get(reverse("payroll:insurance-list")).content.decode()
    assert "Li Ming" in page and "admin-login" not in page


def test_the_api_gives_the_name_beside_the_login(api_as, finance, manager):
    """API clients keep reading the login fields; a `…_name` field beside each gives what people are shown."""
    (person,) = _people(1)
    _structure_versions([person])
    _tax_openings([person])
    _exports([person])
    _runs([person])
    _loss_reports([person])
    _movements([person])
    finance.user.groups.add(*_groups(AccessGroup.WAREHOUSE, AccessGroup.MANAGER))
    client = api_as(finance)
    checks = [
        ("/api/payroll/structures/", lambda body: body["results"][0]["versions"][0], "created_by"),
        ("/api/payroll/tax-openings/", lambda body: body["results"][0], "entered_by"),
        ("/api/payroll/exports/", lambda body: body["results"][0], "requested_by"),
        ("/api/payroll/runs/", lambda body: next(r for r in body["results"] if r["started_by"]), "started_by"),
        ("/api/inventory/loss-reports/", lambda body: body["results"][0], "reviewed_by"),
        ("/api/inventory/movements/", lambda body: body["results"][0], "created_by"),
    ]
    for url, pick, field in checks:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        record = pick(response.json())
        assert record[field] == "login-1", url
        assert record[f"{field}_name"] == "经手人1", url
