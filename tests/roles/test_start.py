"""Where each person's day starts: signing in leads to /start/, which sends them to their start page."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from roles.choices import AccessGroup
from roles.permissions import start_page

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "start-page-pass-1"


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("staff", "roles:my-checklist"),
        ("warehouse", "inventory:queue"),
        ("finance", "payroll:waiting"),
        ("manager", "roles:checklist-dashboard"),
        ("superuser", "roles:checklist-dashboard"),
    ],
)
def test_each_group_starts_on_its_page_and_may_open_it(request, client_as, who, page):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    assert start_page(user) == page
    client = client_as(person)
    response = client.get(reverse("start"))
    assert response.status_code == 302 and response.url == reverse(page)
    assert client.get(response.url).status_code == 200  # never sent to a page that refuses them


def test_several_groups_start_on_the_broadest_and_reach_the_others(client_as, warehouse):
    warehouse.user.groups.add(Group.objects.get_or_create(name=AccessGroup.FINANCE)[0])
    client = client_as(warehouse)
    assert client.get(reverse("start")).url == reverse("payroll:waiting")
    body = client.get(reverse("payroll:waiting")).content.decode()
    for other in ("inventory:queue", "roles:my-checklist", "inventory:stock-list", "payroll:run-list"):
        assert f'href="{reverse(other)}"' in body, other
    warehouse.user.groups.add(Group.objects.get_or_create(name=AccessGroup.MANAGER)[0])
    client = client_as(warehouse)  # group names are read once per request
    assert client.get(reverse("start")).url == reverse("roles:checklist-dashboard")
    body = client.get(reverse("roles:checklist-dashboard")).content.decode()
    for other in ("inventory:queue", "payroll:waiting", "roles:my-checklist"):
        assert f'href="{reverse(other)}"' in body, other


def test_a_login_with_no_group_and_no_employee_gets_the_home_page(client):
    user = UserFactory()
    assert start_page(user) is None
    client.force_login(user)
    assert client.get(reverse("start")).url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_signing_in_leads_to_the_start_page_unless_next_says_where(client, staff):
    staff.user.set_password(PASSWORD)
    staff.user.save()
    login = reverse("login")
    response = client.post(login, {"username": staff.user.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("roles:my-checklist")
    client.logout()
    target = reverse("roles:org-chart")
    response = client.post(f"{login}?next={target}", {"username": staff.user.username, "password": PASSWORD})
    assert response.url == target


def test_the_shopops_link_leads_to_the_start_page(client_as, staff):
    body = client_as(staff).get(reverse("roles:my-checklist")).content.decode()
    assert f'href="{reverse("start")}" class="brand"' in body
