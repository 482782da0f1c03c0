"""Personal numbers at rest: the tables, the audit history and the backup file hold ciphertext only; keys rotate;
the ID number is found through its keyed hash and never by a part of it."""

import gzip
import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from roles import services
from roles.backup import export_data
from roles.models import Employee
from roles.permissions import OPERATOR
from shop_ops.encryption import TOKEN_PREFIX, DecryptionError, digest

from .factories import EmployeeFactory, id_number_with_check

BANK = "6222028765432109876"
NEW_BANK = "6217001357913579135"
ID_NUMBER = id_number_with_check("44030519850615432")
NEW_ID_NUMBER = id_number_with_check("11010819770707654")


def needles(numbers) -> set[str]:
    """Each number and every run of 10 of its characters: a number cut up or partly masked is still found."""
    found = set()
    for number in numbers:
        found.add(number)
        found.update(number[start : start + 10] for start in range(len(number) - 9))
    return found


def raw_dump_of_every_table() -> str:
    """Every row of every table of the database, as the database returns it (raw SQL, no field decryption)."""
    quote = connection.ops.quote_name
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (names from the database itself)
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def personal_numbers() -> set[str]:
    numbers = set()
    for bank_account, id_number in Employee.objects.values_list("bank_account", "id_number"):
        numbers.update(value for value in (bank_account, id_number) if value)
    return numbers


@pytest.fixture
def shop(db):
    """The demo shop plus one employee whose numbers changed once (two history rows with different numbers)."""
    call_command("load_demo", password="demo-pass-123", stdout=StringIO())
    employee = EmployeeFactory(bank_account=BANK, id_number=ID_NUMBER)
    services.update_employee(employee=employee, by=OPERATOR, bank_account=NEW_BANK, id_number=NEW_ID_NUMBER)
    return employee


def test_tables_history_and_backup_hold_no_clear_number(shop, tmp_path):
    numbers = personal_numbers()
    assert {BANK, NEW_BANK, ID_NUMBER, NEW_ID_NUMBER} <= numbers | {BANK, ID_NUMBER}
    assert len(numbers) > 10  # the demo employees' numbers are searched too
    history = shop.history.order_by("history_id")
    assert [(h.bank_account, h.id_number) for h in history] == [(BANK, ID_NUMBER), (NEW_BANK, NEW_ID_NUMBER)]
    wanted = needles(numbers | {BANK, ID_NUMBER})

    dump = raw_dump_of_every_table()
    assert TOKEN_PREFIX in dump
    assert not [needle for needle in wanted if needle in dump]
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account, id_number FROM roles_historicalemployee")
        stored = [value for row in cursor.fetchall() for value in row if value]
    assert stored and all(value.startswith(TOKEN_PREFIX) for value in stored)

    for name in ("backup.json", "backup.json.gz"):
        path = tmp_path / name
        export_data(path=path)
        text = (gzip.open(path, "rt") if name.endswith(".gz") else open(path)).read()  # noqa: SIM115
        assert '"bank_account": "gAAAAA' in text
        assert not [needle for needle in wanted if needle in text]
    # The needles would be found if the numbers were there: the search itself works.
    plain = json.dumps(list(Employee.history.values("bank_account", "id_number")))
    assert all(number in plain for number in (BANK, NEW_BANK, ID_NUMBER, NEW_ID_NUMBER))


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_with_the_same_keys_only(tmp_path, settings):
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    employee = EmployeeFactory(bank_account=BANK, id_number=ID_NUMBER)
    path = tmp_path / "backup.json"
    call_command("backup_data", str(path), stdout=StringIO())
    call_command("flush", interactive=False, verbosity=0)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="encrypted with a key that FIELD_ENCRYPTION_KEYS does not hold"):
        call_command("restore_data", str(path), stdout=StringIO())
    assert not Employee.objects.exists()  # all or nothing
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *keys]  # the old key among them
    call_command("restore_data", str(path), stdout=StringIO())
    restored = Employee.objects.get(pk=employee.pk)
    assert (restored.bank_account, restored.id_number, restored.id_number_digest) == (
        BANK,
        ID_NUMBER,
        digest(ID_NUMBER),
    )


def stored(table: str, pk: int) -> list[str]:
    """The bank account and ID number columns of the employee's rows in `table`, as stored."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT bank_account, id_number FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return [value for row in cursor.fetchall() for value in row]


def opens_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except Exception:  # InvalidToken
        return False
    return True


def test_rotation_moves_every_value_to_the_first_key(db, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    employee = EmployeeFactory(bank_account=BANK, id_number=ID_NUMBER)
    services.update_employee(employee=employee, by=OPERATOR, bank_account=NEW_BANK)
    EmployeeFactory(bank_account="", id_number="")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    # Before rotating, both keys read; new writes use the new key.
    assert Employee.objects.get(pk=employee.pk).bank_account == NEW_BANK
    assert all(opens_with(old, value) for value in stored("roles_employee", employee.pk))

    out = StringIO()
    call_command("rotate_encryption_keys", batch_size=1, stdout=out)
    assert "roles_employee: 2 rows read, 1 rewritten." in out.getvalue()  # the one without numbers stays
    assert "roles_historicalemployee: 3 rows read, 2 rewritten." in out.getvalue()
    for table in ("roles_employee", "roles_historicalemployee"):
        values = stored(table, employee.pk)
        assert len(values) == (2 if table == "roles_employee" else 4)
        assert all(opens_with(new, value) and not opens_with(old, value) for value in values)

    again = StringIO()
    call_command("rotate_encryption_keys", stdout=again)  # idempotent
    assert "Done: 0 rows" in again.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can go now
    assert [h.bank_account for h in employee.history.order_by("history_id")] == [BANK, NEW_BANK]
    assert Employee.objects.get(pk=employee.pk).id_number == ID_NUMBER


def test_rotation_refreshes_the_keyed_hash_after_a_new_hash_key(db, settings):
    employee = EmployeeFactory(id_number=ID_NUMBER)
    settings.FIELD_HASH_KEY = "a-new-hash-key-of-more-than-32-characters"
    assert not Employee.objects.filter(id_number_digest=digest(ID_NUMBER)).exists()
    call_command("rotate_encryption_keys", stdout=StringIO())
    assert Employee.objects.get(id_number_digest=digest(ID_NUMBER)) == employee


def test_a_value_no_key_opens_stops_rotation_with_a_clear_message(db, settings):
    EmployeeFactory(bank_account=BANK)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS"):
        call_command("rotate_encryption_keys", stdout=StringIO())


def test_reading_with_a_missing_key_names_the_setting(db, settings):
    employee = EmployeeFactory(bank_account=BANK)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="FIELD_ENCRYPTION_KEYS"):
        Employee.objects.get(pk=employee.pk)


@pytest.mark.parametrize(
    "lookup",
    ["bank_account", "bank_account__icontains", "id_number__startswith", "id_number__endswith", "id_number__in"],
)
def test_searching_inside_ciphertext_is_refused_not_silently_empty(db, lookup):
    value = ["1234"] if lookup.endswith("__in") else "1234"
    with pytest.raises(FieldError):
        list(Employee.objects.filter(**{lookup: value}))


def test_an_empty_number_stays_empty_and_null_checks_work(db):
    employee = EmployeeFactory(bank_account="", id_number="")
    assert stored("roles_employee", employee.pk) == ["", ""]
    assert Employee.objects.filter(bank_account__isnull=False).count() == 1
    assert employee.id_number_digest == ""


def find_page(client, id_number):
    return client.post(reverse("roles:employee-list"), {"id_number": id_number})


def find_api(api, id_number):
    return api.post("/api/employees/find-by-id-number/", {"id_number": id_number}, format="json")


def test_finance_finds_an_employee_by_the_whole_id_number_only(client_as, api_as, finance, manager, staff):
    wanted = EmployeeFactory(id_number=ID_NUMBER, full_name="要找的人")
    EmployeeFactory(full_name="别的人")
    spaced = f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:].lower()}"
    for who in (finance, manager):
        page = find_page(client_as(who), spaced)
        assert page.status_code == 200
        assert [e.pk for e in page.context["page"].object_list] == [wanted.pk]
        assert ID_NUMBER not in page.content.decode() and ID_NUMBER[:6] + " " not in page.content.decode()
        response = find_api(api_as(who), ID_NUMBER)
        assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
        assert response.json()["count"] == 1  # the list's answer: paginated rows
    # Typed with a Chinese input method: full-width digits (a tester found they found nobody).
    full_width = ID_NUMBER.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert [e.pk for e in find_page(client_as(finance), full_width).context["page"].object_list] == [wanted.pk]
    # A part of the number finds nothing: no substring search on personal numbers.
    for part in (ID_NUMBER[:6], ID_NUMBER[-4:], ID_NUMBER[:17]):
        page = find_page(client_as(finance), part)
        assert wanted not in page.context["page"].object_list and "Nobody has this ID number." in page.content.decode()
        assert find_api(api_as(finance), part).json()["results"] == []
        assert api_as(finance).get("/api/employees/", {"search": part}).json()["results"] == []
    # Staff see only their own record, whatever they look for; the page itself is not theirs.
    assert find_api(api_as(staff), ID_NUMBER).json()["results"] == []
    assert find_page(client_as(staff), ID_NUMBER).status_code == 302
    assert find_api(api_as(finance), "x" * 41).status_code == 400
    assert list(find_page(client_as(finance), ID_NUMBER + " " * 30).context["page"].object_list) == []


def test_an_id_number_in_the_address_is_refused_and_nobody_looked_up(client_as, api_as, finance, monkeypatch):
    from roles import selectors

    EmployeeFactory(id_number=ID_NUMBER)
    looked_up = []
    real = selectors.with_id_number
    monkeypatch.setattr(selectors, "with_id_number", lambda **kw: looked_up.append(kw) or real(**kw))
    client = client_as(finance)
    for query in ({"id_number": ID_NUMBER}, {"q": ID_NUMBER}, {"q": ID_NUMBER.lower()}):
        page = client.get(reverse("roles:employee-list"), query)
        assert page.status_code == 400
        assert "ID numbers are not looked up from the page address" in page.content.decode()
        assert list(page.context["page"].object_list) == []
        assert ID_NUMBER not in page.content.decode().split("</form>", 1)[0]  # not put back in the search box
    for address in ("/api/employees/", "/api/employees/me/", "/api/employees/find-by-id-number/"):
        response = api_as(finance).get(address, {"id_number": ID_NUMBER})
        assert response.status_code == 400 and "find-by-id-number" in response.json()["errors"]["id_number"][0]
    response = api_as(finance).post(f"/api/employees/find-by-id-number/?id_number={ID_NUMBER}", {}, format="json")
    assert response.status_code == 400
    assert looked_up == []
    # The name search still works, and the ID number box is a POST form with the CSRF token.
    page = client.get(reverse("roles:employee-list"), {"q": "要找"}).content.decode()
    assert 'method="post"' in page and 'name="csrfmiddlewaretoken"' in page and 'name="id_number"' in page


def test_numbers_are_decrypted_only_where_they_are_shown(client_as, manager, monkeypatch):
    from shop_ops import encryption

    for _ in range(5):
        EmployeeFactory(role=manager.role)
    calls = []
    real = encryption.decrypt
    monkeypatch.setattr(encryption, "decrypt", lambda token: calls.append(token) or real(token))
    client = client_as(manager)
    assert client.get(reverse("roles:org-chart")).status_code == 200
    assert client.get("/api/checklist-items/").status_code == 200
    assert calls == []  # the org chart and checklists never show the numbers
    assert client.get(reverse("roles:employee-detail", args=[manager.pk])).status_code == 200
    assert len(calls) == 2  # the detail page shows both, masked


def test_a_token_typed_as_a_number_is_a_field_error_not_a_crash(api_as, manager):
    employee = EmployeeFactory()
    token = Fernet(Fernet.generate_key()).encrypt(BANK.encode()).decode()
    with pytest.raises(ValidationError) as refused:
        services.update_employee(employee=employee, by=OPERATOR, bank_account=token)
    assert "bank_account" in refused.value.message_dict
    response = api_as(manager).patch(f"/api/employees/{employee.pk}/", {"bank_account": token}, format="json")
    assert response.status_code == 400
    assert Employee.objects.get(pk=employee.pk).bank_account == employee.bank_account
