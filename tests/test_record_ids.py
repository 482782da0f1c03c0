"""Record ids in URLs: a number no id can be (beyond 2**63 - 1, the largest BigAutoField) is a plain 404 on every
route, pages and API alike, never a 500 from a query that SQLite cannot bind (shop_ops/converters.py,
shop_ops/prepared.py). And every error under /api/ is JSON, also the ones Django answers itself with DEBUG on."""

import pytest
from django.test import Client

from roles.services.checklists import _LOCKED_ITEM
from shop_ops.converters import MAX_ID, IdConverter

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
TOO_BIG = str(MAX_ID + 1)  # 9223372036854775808: 19 digits, one past the largest id


@pytest.mark.parametrize("value", ["0", TOO_BIG, "9999999999999999999"])
def test_the_id_converter_refuses_numbers_no_id_can_be(value):
    with pytest.raises(ValueError):
        IdConverter().to_python(value)
    assert IdConverter().to_python(str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize("number", [HUGE, TOO_BIG])
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/payroll/payslips/{}/"),
        ("post", "/checklist/items/{}/tick/"),
        ("post", "/checklist/items/{}/untick/"),
        ("get", "/inventory/orders/{}/"),
        ("get", "/inventory/counts/1/lines/{}/"),
        ("get", "/employees/{}/"),
    ],
)
def test_pages_answer_404_for_ids_beyond_any_record(client_as, manager, method, path, number):
    response = getattr(client_as(manager), method)(path.format(number))
    assert response.status_code == 404


@pytest.mark.parametrize("number", [HUGE, TOO_BIG, str(MAX_ID)])
@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/api/checklist-items/{}/tick/"),
        ("post", "/api/checklist-items/{}/untick/"),
        ("get", "/api/payroll/payslips/{}/"),
        ("get", "/api/employees/{}/"),
    ],
)
def test_api_answers_json_404_for_ids_beyond_any_record(api_as, manager, method, path, number):
    response = getattr(api_as(manager), method)(path.format(number), {}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_prepared_query_finds_nothing_for_an_integer_no_column_holds():
    """The net below the converter: services called with such an id (the API's tick action) find no row."""
    assert _LOCKED_ITEM.objects(int(HUGE)) == []
    assert _LOCKED_ITEM.objects(-(2**63) - 1) == []


@pytest.mark.parametrize(
    "path", ["/api/employees/abc/", "/api/employees/１/", "/api/payroll/payslips/-1/", "/api/nope/"]
)
def test_unknown_api_urls_are_json_404_also_with_debug_on(client_as, manager, settings, path):
    settings.DEBUG = True  # Django then answers with its HTML debug page, bypassing handler404
    response = client_as(manager).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_under_api_is_json_also_with_debug_on(manager, settings, monkeypatch):
    from roles.api import checklists

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(checklists.ChecklistItemViewSet, "list", broken)
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(manager.user)
    response = client.get("/api/checklist-items/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error; it has been logged."}
    assert "boom" not in response.content.decode()


def test_a_browser_asking_for_html_still_gets_the_api_error_as_json(client_as, manager):
    response = client_as(manager).post("/api/checklist-items/1/tick/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_their_html_404(client_as, manager, settings):
    settings.DEBUG = True
    response = client_as(manager).get("/employees/abc/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
