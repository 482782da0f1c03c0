"""Customer service's answers come from customer service (`can_answer_flagged_orders`), never from the person who
handed the order over: a packer cannot wave through their own packing mismatch, by API, page or service."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory import demo, services
from inventory.exceptions import NotForYou
from inventory.models import Order
from inventory.permissions import can_answer_flagged_orders
from roles.models import Role

from ..factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "/api/inventory"
EVERY_GROUP = ("anonymous", "staff", "customer_service", "warehouse", "finance", "manager", "superuser", "made")


@pytest.fixture
def shop(superuser):
    demo.load_demo()


@pytest.fixture
def made(db):
    """A login made for the purpose: in the Warehouse group, no employee record, so no customer-service role."""
    return UserFactory(groups=["Warehouse"])


@pytest.fixture
def who(request):
    def get(name):
        if name == "anonymous":
            return None
        value = request.getfixturevalue(name)
        return getattr(value, "user", value)

    return get


def mismatch_by(user) -> Order:
    """The packer puts the red dress in the parcel instead of the blue one: the order goes to customer service."""
    order = Order.objects.get(number="TB20250002")  # picked in the demo: one DR002-BLU-S
    order = services.pack_order(order=order, items=[services.PackedItem("DR002-RED-S")], user=user)
    assert order.needs_customer_service and order.flagged_by_id == user.pk
    return order


@pytest.mark.parametrize("name", EVERY_GROUP)
def test_who_may_answer(who, name):
    assert can_answer_flagged_orders(who(name)) is (name in {"customer_service", "superuser"})


def test_the_packer_cannot_answer_their_own_mismatch(shop, warehouse):
    order = mismatch_by(warehouse.user)
    with pytest.raises(NotForYou, match="Only customer service"):
        services.resolve_order_flag(order=order, note="没问题", user=warehouse.user)
    assert Order.objects.get(pk=order.pk).needs_customer_service


def test_a_packer_in_a_customer_service_role_still_cannot_answer_their_own(shop, customer_service):
    """Even someone who is both (a customer-service role carrying Warehouse rights) does not answer their own."""
    both = EmployeeFactory(
        role=Role.objects.get(code="cs_staff"), user=UserFactory(groups=["Warehouse"])
    )  # same cs_staff role as the fixture
    order = mismatch_by(both.user)
    with pytest.raises(NotForYou, match="a colleague in customer service answers it"):
        services.resolve_order_flag(order=order, note="没问题", user=both.user)
    assert Order.objects.get(pk=order.pk).needs_customer_service
    services.resolve_order_flag(order=order, note="已与买家确认换红色", user=customer_service.user)
    assert not Order.objects.get(pk=order.pk).needs_customer_service


@pytest.mark.parametrize("name", ["manager", "warehouse", "finance", "staff"])
def test_nobody_outside_customer_service_answers(shop, who, name, customer_service):
    order = Order.objects.get(number="TB20250004")  # flagged in the demo
    with pytest.raises(NotForYou):
        services.resolve_order_flag(order=order, note="ok", user=who(name))


def test_every_way_of_handing_over_records_who(shop, warehouse):
    order = Order.objects.get(number="TB20250003")
    services.flag_order(order=order, reason="地址不全", user=warehouse.user)
    assert Order.objects.get(pk=order.pk).flagged_by == warehouse.user


@pytest.mark.parametrize("name", EVERY_GROUP)
def test_api_answer_to_a_packers_mismatch_for_every_group(api, shop, who, name, warehouse, customer_service):
    order = mismatch_by(warehouse.user)
    user = who(name)
    if user is not None:
        api.force_authenticate(user)
    response = api.post(f"{BASE}/orders/{order.pk}/resolve/", {"note": "已核对"}, format="json")
    expected = {"anonymous": 401, "customer_service": 200, "superuser": 200}.get(name, 403)
    assert response.status_code == expected, response.json()
    if expected != 200:
        assert set(response.json()) == {"detail"}
    assert Order.objects.get(pk=order.pk).needs_customer_service is (expected != 200)


def test_page_the_packer_sees_no_answer_form_and_cannot_post_one(client_as, shop, warehouse, customer_service):
    order = mismatch_by(warehouse.user)
    client = client_as(warehouse)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="waiting-for-cs"' in page and 'data-testid="resolve-form"' not in page
    response = client.post(reverse("inventory:order-resolve", args=[order.pk]), {"note": "没问题"})
    assert response.status_code == 302
    assert "permission" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Order.objects.get(pk=order.pk).needs_customer_service
    client = client_as(customer_service)
    assert 'data-testid="resolve-form"' in client.get(order.get_absolute_url()).content.decode()
    client.post(reverse("inventory:order-resolve", args=[order.pk]), {"note": "已与买家确认"})
    assert not Order.objects.get(pk=order.pk).needs_customer_service


def test_page_customer_service_answers_on_the_order_page_and_lands_on_their_list(
    client_as, shop, warehouse, customer_service
):
    """Found by a tester: answering on the order page led to that page, which customer service may no longer open
    once answered, so they landed on the start page with 'You do not have permission'."""
    order = mismatch_by(warehouse.user)
    client = client_as(customer_service)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'value="{reverse("inventory:flagged-orders")}"' in page
    response = client.post(
        reverse("inventory:order-resolve", args=[order.pk]),
        {"note": "已与买家确认", "next": reverse("inventory:flagged-orders")},
        follow=True,
    )
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert response.redirect_chain[-1][0] == reverse("inventory:flagged-orders")
    assert "permission" not in shown and not Order.objects.get(pk=order.pk).needs_customer_service


def test_page_a_customer_service_agent_who_flagged_sees_no_answer_form(client_as, shop, superuser):
    order = Order.objects.get(number="TB20250003")
    services.flag_order(order=order, reason="地址不全", user=superuser)
    page = client_as(superuser).get(order.get_absolute_url()).content.decode()
    assert 'data-testid="resolve-form"' not in page


# --- cancelling on the order page ----------------------------------------------------------------------------------


def test_page_customer_service_cancels_a_flagged_order_after_ticking_the_confirmation(
    client_as, shop, warehouse, customer_service
):
    """Found by a tester: customer service could answer a flagged order but had no way to cancel it when the buyer
    no longer wanted it. The box must be ticked; without it nothing changes and the message says why."""
    order = mismatch_by(warehouse.user)
    client = client_as(customer_service)
    assert 'data-testid="cancel-order"' in client.get(order.get_absolute_url()).content.decode()
    url = reverse("inventory:order-cancel", args=[order.pk])

    response = client.post(url, {"next": reverse("inventory:flagged-orders")})
    assert "Tick the box" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Order.objects.get(pk=order.pk).status == "picked"

    response = client.post(url, {"confirm": "on", "next": reverse("inventory:flagged-orders")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("inventory:flagged-orders")
    assert f"Order {order.number} is cancelled." in " ".join(str(m) for m in get_messages(response.wsgi_request))
    order.refresh_from_db()
    assert order.status == "cancelled" and not order.needs_customer_service


def test_page_the_warehouse_cannot_cancel_an_order_waiting_for_customer_service(client_as, shop, warehouse):
    order = mismatch_by(warehouse.user)
    client = client_as(warehouse)
    assert 'data-testid="cancel-order"' not in client.get(order.get_absolute_url()).content.decode()
    response = client.post(reverse("inventory:order-cancel", args=[order.pk]), {"confirm": "on"})
    assert "customer service or a manager decides" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert Order.objects.get(pk=order.pk).status == "picked"


@pytest.mark.parametrize("name", ["staff", "finance"])
def test_page_others_cannot_cancel_an_order(client_as, shop, name, request):
    order = Order.objects.get(number="TB20250003")
    response = client_as(request.getfixturevalue(name)).post(
        reverse("inventory:order-cancel", args=[order.pk]), {"confirm": "on"}
    )
    assert response.status_code in (302, 403)
    assert Order.objects.get(pk=order.pk).status != "cancelled"


def test_page_the_warehouse_cancels_an_order_not_yet_shipped_but_not_a_shipped_one(client_as, shop, warehouse):
    client = client_as(warehouse)
    shipped = Order.objects.filter(status="shipped").first()
    assert 'data-testid="cancel-order"' not in client.get(shipped.get_absolute_url()).content.decode()
    client.post(reverse("inventory:order-cancel", args=[shipped.pk]), {"confirm": "on"})
    assert Order.objects.get(pk=shipped.pk).status == "shipped"
    order = Order.objects.exclude(status__in=["shipped", "cancelled"]).filter(needs_customer_service=False).first()
    assert 'data-testid="cancel-order"' in client.get(order.get_absolute_url()).content.decode()
    client.post(reverse("inventory:order-cancel", args=[order.pk]), {"confirm": "on"})
    assert Order.objects.get(pk=order.pk).status == "cancelled"
