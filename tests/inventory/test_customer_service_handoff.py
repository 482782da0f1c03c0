"""An order handed to customer service stays theirs: a second flag is refused (the first reason and who gave it
stay), the warehouse may not cancel it (customer service or a manager decides, which ends the hand-over), and a
cancelled order never waits in customer service's list."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory import services
from inventory.choices import OrderStatus
from inventory.exceptions import InvalidTransition, NotForYou
from inventory.models import Order, OrderLine

from .factories import SkuFactory

pytestmark = pytest.mark.django_db
BASE = "/api/inventory"


@pytest.fixture
def order(db):
    order = Order.objects.create(number="TB-CS-1", recipient="张三", address="杭州市西湖区")
    OrderLine.objects.create(order=order, sku=SkuFactory(code="DR002-BLU-S"), quantity=1)
    return order


@pytest.fixture
def picker(warehouse):
    from tests.conftest import _employee_in

    return _employee_in("Warehouse")


def test_a_second_flag_is_refused_and_the_first_stays(order, warehouse, picker):
    services.flag_order(order=order, reason="买家要求确认地址", user=warehouse.user)
    with pytest.raises(InvalidTransition, match=rf"already with customer service since .* by {warehouse.user}"):
        services.flag_order(order=order, reason="x", user=picker.user)
    order.refresh_from_db()
    assert (order.flag_reason, order.flagged_by_id) == ("买家要求确认地址", warehouse.user.pk)
    assert order.flagged_at is not None


def test_once_answered_the_order_may_be_flagged_again(order, warehouse, picker, customer_service):
    services.flag_order(order=order, reason="买家要求确认地址", user=warehouse.user)
    services.resolve_order_flag(order=order, note="地址已确认", user=customer_service.user)
    services.flag_order(order=order, reason="颜色待确认", user=picker.user)
    order.refresh_from_db()
    assert (order.flag_reason, order.flagged_by_id) == ("颜色待确认", picker.user.pk)


def test_page_a_second_flag_shows_the_first(client_as, order, warehouse, picker):
    url = reverse("inventory:order-flag", kwargs={"pk": order.pk})
    client_as(warehouse).post(url, {"reason": "买家要求确认地址"})
    response = client_as(picker).post(url, {"reason": "x"})
    assert response.status_code == 302
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "买家要求确认地址" in shown and "already with customer service" in shown
    order.refresh_from_db()
    assert (order.flag_reason, order.flagged_by_id) == ("买家要求确认地址", warehouse.user.pk)


def test_api_a_second_flag_is_refused(api_as, order, warehouse, picker):
    api_as(warehouse).post(f"{BASE}/orders/{order.pk}/flag/", {"reason": "买家要求确认地址"}, format="json")
    response = api_as(picker).post(f"{BASE}/orders/{order.pk}/flag/", {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert Order.objects.get(pk=order.pk).flag_reason == "买家要求确认地址"


def test_the_warehouse_may_not_cancel_a_flagged_order(order, warehouse, picker):
    services.flag_order(order=order, reason="买家要求确认地址", user=warehouse.user)
    with pytest.raises(NotForYou, match="customer service or a manager decides"):
        services.advance_order(order=order, to_status=OrderStatus.CANCELLED, user=picker.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW and order.needs_customer_service


@pytest.mark.parametrize("who", ["manager", "customer_service"])
def test_customer_service_or_a_manager_cancels_and_the_hand_over_ends(request, client_as, order, warehouse, who):
    services.flag_order(order=order, reason="买家要求确认地址", user=warehouse.user)
    services.advance_order(order=order, to_status=OrderStatus.CANCELLED, user=request.getfixturevalue(who).user)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and not order.needs_customer_service
    listed = client_as(warehouse).get(reverse("inventory:flagged-orders")).content.decode()
    assert order.number not in listed


def test_api_the_picker_cannot_cancel_a_flagged_order(api_as, order, warehouse, picker):
    services.flag_order(order=order, reason="买家要求确认地址", user=warehouse.user)
    response = api_as(picker).post(f"{BASE}/orders/{order.pk}/advance/", {"status": "cancelled"}, format="json")
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_a_cancelled_order_still_marked_is_never_listed(client_as, order, warehouse):
    """Orders cancelled before this rule may still carry the mark: the list leaves them out."""
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, needs_customer_service=True, flag_reason="旧的"
    )
    assert order.number not in client_as(warehouse).get(reverse("inventory:flagged-orders")).content.decode()
    assert not services_flagged(order)


def services_flagged(order) -> bool:
    from inventory.selectors import flagged_orders

    return flagged_orders().filter(pk=order.pk).exists()
