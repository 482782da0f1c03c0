"""Found by a tester: one warehouse worker (the demo's `picker`) recorded 0 on every line of the supervisor's count and
closed it, writing the warehouse's stock off at once; finance's review of the loss report comes after and undoes
nothing. Closing a count is the warehouse supervisor's (仓库主管) or a manager's: page, API, service and the job."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.choices import CountStatus, JobKind, JobStatus, MovementKind
from inventory.exceptions import NotForYou
from inventory.models import InventoryJob, LossReport, StockCount, StockMovement
from roles.choices import AccessGroup, EmployeeStatus

from ..factories import EmployeeFactory, RoleFactory, UserFactory
from .conftest import on_hand
from .factories import SkuFactory

pytestmark = pytest.mark.django_db

BASE = "/api/inventory"
REFUSAL = "Only the warehouse supervisor or a manager closes a count"


@pytest.fixture
def picker(db):
    """An ordinary counter of the warehouse (配货员): Warehouse rights, not the supervisor's role."""
    role = RoleFactory(code="picker", access_group=AccessGroup.WAREHOUSE)
    return EmployeeFactory(role=role, user=UserFactory(groups=[AccessGroup.WAREHOUSE]))


@pytest.fixture
def zeroed(main_warehouse, bin_a, stock, wh_supervisor, picker):
    """A count the supervisor opened; the picker has recorded 0 on every line."""
    skus = [SkuFactory() for _ in range(3)]
    for sku in skus:
        stock(sku, bin_a, MovementKind.RECEIPT, 40)
    count = services.open_stock_count(warehouse=main_warehouse, period=timezone.localdate(), user=wh_supervisor.user)
    for line in count.lines.all():
        services.record_count(line=line, counted_quantity=0, user=picker.user)
    return count, skus


def _untouched(count, skus, bin_a):
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN and count.closed_by is None
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_CORRECTION).exists()
    assert not LossReport.objects.exists()
    assert [on_hand(sku, bin_a) for sku in skus] == [40, 40, 40]


def test_a_counter_cannot_close_the_count_and_nothing_is_written_off(zeroed, picker, bin_a):
    count, skus = zeroed
    with pytest.raises(NotForYou, match=REFUSAL) as refused:
        services.close_stock_count(count=count, user=picker.user)
    assert refused.value.status_code == 403
    _untouched(count, skus, bin_a)


def test_opening_the_count_oneself_gives_no_right_to_close_it(main_warehouse, bin_a, stock, picker):
    sku = SkuFactory()
    stock(sku, bin_a, MovementKind.RECEIPT, 40)
    count = services.open_stock_count(warehouse=main_warehouse, period=timezone.localdate(), user=picker.user)
    services.record_count(line=count.lines.get(), counted_quantity=0, user=picker.user)
    with pytest.raises(NotForYou, match=REFUSAL):
        services.close_stock_count(count=count, user=picker.user)
    assert on_hand(sku, bin_a) == 40


@pytest.mark.parametrize("closer", ["wh_supervisor", "manager", "superuser"])
def test_the_supervisor_a_manager_or_a_superuser_closes(request, zeroed, bin_a, closer):
    count, skus = zeroed
    user = request.getfixturevalue(closer)
    services.close_stock_count(count=count, user=getattr(user, "user", user))
    count.refresh_from_db()
    assert count.status == CountStatus.CLOSED
    assert [on_hand(sku, bin_a) for sku in skus] == [0, 0, 0]
    assert LossReport.objects.get(count=count).status == "pending"


def test_a_supervisor_who_has_left_cannot_close(zeroed, wh_supervisor, manager, bin_a):
    count, skus = zeroed
    wh_supervisor.status = EmployeeStatus.LEFT
    wh_supervisor.leave_date = datetime.date(2025, 1, 31)
    wh_supervisor.save()
    with pytest.raises(NotForYou):
        services.close_stock_count(count=count, user=wh_supervisor.user)
    _untouched(count, skus, bin_a)


def test_api_answers_403_with_the_reason(api_as, zeroed, picker, wh_supervisor, bin_a):
    count, skus = zeroed
    response = api_as(picker).post(f"{BASE}/counts/{count.pk}/close/")
    assert response.status_code == 403
    assert REFUSAL in response.json()["detail"]
    _untouched(count, skus, bin_a)
    response = api_as(wh_supervisor).post(f"{BASE}/counts/{count.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_page_offers_no_close_to_a_counter_and_refuses_the_post(client_as, zeroed, picker, wh_supervisor, bin_a):
    count, skus = zeroed
    client = client_as(picker)
    page = client.get(reverse("inventory:count-close", args=[count.pk])).content.decode()
    assert 'data-testid="not-closer"' in page and 'data-testid="confirm-close"' not in page
    response = client.post(reverse("inventory:count-close", args=[count.pk]), {"action": "close"}, follow=True)
    assert REFUSAL in response.content.decode()
    _untouched(count, skus, bin_a)
    page = client_as(wh_supervisor).get(reverse("inventory:count-close", args=[count.pk])).content.decode()
    assert 'data-testid="confirm-close"' in page and 'data-testid="not-closer"' not in page


def test_the_close_job_of_a_requester_without_the_right_fails_and_the_count_opens_again(zeroed, picker, bin_a):
    count, skus = zeroed
    StockCount.objects.filter(pk=count.pk).update(status=CountStatus.CLOSING, closed_by=picker.user)
    job = InventoryJob.objects.create(kind=JobKind.COUNT_CLOSE, count=count, total=3, requested_by=picker.user)
    job = services.run_count_close_job(job_id=job.pk)
    assert job.status == JobStatus.FAILED and REFUSAL in job.error
    _untouched(count, skus, bin_a)


def test_a_big_count_closed_by_the_supervisor_runs_as_a_job(
    zeroed, wh_supervisor, bin_a, monkeypatch, django_capture_on_commit_callbacks
):
    count, skus = zeroed
    monkeypatch.setattr(services.counts, "COUNT_CLOSE_INLINE_LINES", 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.close_stock_count(count=count, user=wh_supervisor.user)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert [on_hand(sku, bin_a) for sku in skus] == [0, 0, 0]
