"""Login names: a safe set, one normal form, no look-alike of an existing login, wherever a login is made or
renamed (the employee service behind pages and API, the admin's user forms)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from roles import services
from roles.demo import read_seed
from roles.logins import clean_login_name, login_skeleton, normalise_login_name
from roles.models import Employee

from ..factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

CYRILLIC_I = "\u0456"


@pytest.fixture
def accountant(db):
    return UserFactory(username="finance")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("new.person", "new.person"),
        ("Li_Ming2", "li_ming2"),
        ("  wang-fang  ", "wang-fang"),
        ("ｚｈａｏ", "zhao"),  # full-width letters: NFKC
        ("ab", "ab"),
        ("a" * 32, "a" * 32),
    ],
)
def test_names_are_stored_in_their_normal_form(typed, stored):
    assert clean_login_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (f"f{CYRILLIC_I}nance", "Use only the letters a–z"),  # Cyrillic і
        ("fin\u200bance", "Use only the letters a–z"),  # zero-width space
        ("fin\u200dance", "Use only the letters a–z"),  # zero-width joiner
        ("fin\x00ance", "Use only the letters a–z"),
        ("fin ance", "Use only the letters a–z"),
        ("zhāng", "Use only the letters a–z"),
        ("张伟", "Use only the letters a–z"),
        ("-dash", "Use only the letters a–z"),
        ("a", "2 to 32 characters"),
        ("a" * 33, "2 to 32 characters"),
        ("x" * 100_000, "2 to 32 characters"),
        ("   ", "Enter a login name"),
    ],
)
def test_names_outside_the_safe_set_are_refused_with_the_reason(typed, reason):
    with pytest.raises(ValidationError, match=reason):
        clean_login_name(typed)


@pytest.mark.parametrize(
    "typed", ["finance", "Finance", "FINANCE", "finance ", " finance", "ｆｉｎａｎｃｅ", "ＦＩＮＡＮＣＥ"]
)
def test_case_and_width_variants_of_an_existing_login_are_taken(accountant, typed):
    with pytest.raises(ValidationError, match="This login name is taken"):
        clean_login_name(typed)


@pytest.mark.parametrize("typed", ["f1nance", "flnance", "fínance", "finarnce", "fi.nance"])
def test_look_alikes_of_an_existing_login_are_refused(typed):
    UserFactory(username="finance")
    UserFactory(username="fi_nance")
    UserFactory(username="finamce")
    with pytest.raises(ValidationError):
        clean_login_name(typed)


@pytest.mark.parametrize("typed", ["fi.nance", "ad.min", "m-anager", "pi.cker", "f_i_n_a_n_c_e"])
def test_a_separator_slipped_into_an_existing_login_is_a_look_alike(typed):
    """Found by an attack: `ad.min` was accepted beside `admin` (separators were only alike to each other)."""
    for existing in ("finance", "admin", "manager", "picker"):
        UserFactory(username=existing)
    with pytest.raises(ValidationError, match="looks too much like"):
        clean_login_name(typed)


def test_look_alike_message_names_the_existing_login(accountant):
    with pytest.raises(ValidationError, match="looks too much like the existing login “finance”"):
        clean_login_name("f1nance")


def test_an_older_login_outside_the_rules_is_still_protected():
    UserFactory(username="Admin")
    for typed in ("admin", "ADMIN", "adm1n"):
        with pytest.raises(ValidationError):
            clean_login_name(typed)


def test_skeletons():
    assert login_skeleton("ecom-manager") == login_skeleton("ecom_manager") == login_skeleton("ecom.manager")
    assert login_skeleton("rnary") == login_skeleton("mary")
    assert login_skeleton("w0lf") == login_skeleton("wolf")
    assert normalise_login_name("ＡＢ ") == "ab"


def test_every_demo_login_keeps_its_name_and_none_looks_like_another():
    names = [item["username"] for item in read_seed()["demo_employees"]] + ["admin"]
    for index, name in enumerate(names):
        assert clean_login_name(name) == name
        UserFactory(username=name)
        for later in names[index + 1 :]:
            assert login_skeleton(later) != login_skeleton(name), (later, name)


def test_the_service_refuses_a_look_alike_and_saves_nothing(manager, accountant):
    with pytest.raises(ValidationError) as refused:
        services.create_employee(
            username=f"f{CYRILLIC_I}nance",
            password="long-enough-pass-1",
            by=manager.user,
            employee_number="E7001",
            full_name="假会计",
            role=RoleFactory(),
            hire_date="2026-01-05",
        )
    assert "username" in refused.value.message_dict
    assert get_user_model().objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (f"f{CYRILLIC_I}nance", "Use only the letters a–z"),
        ("Finance", "taken"),
        ("finance\u200b", "Use only the letters a–z"),
        ("ｆｉｎａｎｃｅ", "taken"),
        ("f1nance", "looks too much like"),
    ],
)
def test_api_refuses_look_alikes_naming_the_field(api_as, manager, accountant, typed, error):
    response = api_as(manager).post(
        "/api/employees/",
        {
            "new_username": typed,
            "password": "a-good-long-password",
            "employee_number": "E0779",
            "full_name": "假会计",
            "role": RoleFactory().pk,
            "hire_date": "2025-05-05",
        },
        format="json",
    )
    assert response.status_code == 400
    assert error in response.json()["errors"]["new_username"][0]
    assert not Employee.objects.filter(employee_number="E0779").exists()


def test_page_refuses_a_look_alike(client_as, manager, accountant):
    response = client_as(manager).post(
        reverse("roles:employee-create"),
        {
            "username": f"f{CYRILLIC_I}nance",
            "password": "a-good-long-password",
            "employee_number": "E0901",
            "full_name": "假会计",
            "role": RoleFactory().pk,
            "hire_date": "2025-06-01",
            "status": "active",
            "phone": "13900003333",
            "bank_account": "",
            "id_number": "",
        },
    )
    assert response.status_code == 200
    assert "Use only the letters a–z" in response.context["form"].errors["username"][0]


def test_admin_user_creation_follows_the_rules(client_as, superuser, accountant):
    client = client_as(superuser)
    for typed in (f"f{CYRILLIC_I}nance", "Finance", "f1nance"):
        response = client.post(
            "/admin/auth/user/add/",
            {
                "username": typed,
                "password1": "a-good-long-pass-9",
                "password2": "a-good-long-pass-9",
                "usable_password": "true",
            },
        )
        assert response.status_code == 200, typed
        assert response.context["adminform"].form.errors["username"], typed
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "Auditor",
            "password1": "a-good-long-pass-9",
            "password2": "a-good-long-pass-9",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="auditor").exists()


def test_admin_rename_follows_the_rules_and_keeps_unchanged_names(client_as, superuser, accountant):
    other = UserFactory(username="Old_Name")
    client = client_as(superuser)
    url = f"/admin/auth/user/{other.pk}/change/"
    base = {"is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = client.post(url, {**base, "username": "f1nance"})
    assert response.status_code == 200
    assert "looks too much like" in str(response.context["adminform"].form.errors["username"])
    response = client.post(url, {**base, "username": "Old_Name"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.username == "Old_Name"
