import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from inventory import demo
from inventory.models import LossReport, Order, Sku, StockCount, StockMovement
from inventory.services import MovementInput, post_movements

from .test_views import cs_agent  # noqa: F401  (fixture)

BASE = "/api/inventory"


@pytest.fixture
def demo_stock(superuser):
    demo.load_demo()


def endpoints():
    count = StockCount.objects.get()
    return {
        "skus": f"{BASE}/skus/",
        "levels": f"{BASE}/levels/",
        "movements": f"{BASE}/movements/",
        "counts": f"{BASE}/counts/",
        "count-lines": f"{BASE}/counts/{count.pk}/lines/",
        "loss-reports": f"{BASE}/loss-reports/",
        "summary": f"{BASE}/summary/?month={count.period:%Y-%m}",
        "purchase-requests": f"{BASE}/purchase-requests/",
        "orders": f"{BASE}/orders/",
        "flagged": f"{BASE}/orders/flagged/",
    }


READ = {"skus", "levels", "movements", "counts", "count-lines", "loss-reports", "summary", "purchase-requests"}
MATRIX = {
    "warehouse": READ | {"orders", "flagged"},
    "manager": READ | {"orders", "flagged"},
    "finance": READ,
    "cs_agent": {"flagged"},
    "staff": set(),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_api_permission_matrix(request, api_as, demo_stock, who):
    client = api_as(request.getfixturevalue(who))
    for name, url in endpoints().items():
        expected = 200 if name in MATRIX[who] else 403
        assert client.get(url).status_code == expected, f"{who} {name}"


def test_anonymous_gets_401_or_403(api, demo_stock):
    assert api.get(f"{BASE}/levels/").status_code in (401, 403)


def test_post_a_batch_all_or_nothing(api_as, demo_stock, warehouse, finance, manager):
    sku = Sku.objects.get(code="TS001-WHT-S")
    level = sku.levels.get()
    batch = {
        "movements": [
            {"sku": sku.pk, "location": level.location_id, "kind": "shipment", "quantity": 1, "reference": "FH-1"},
            {"sku": sku.pk, "location": level.location_id, "kind": "shipment", "quantity": 10_000},
        ]
    }
    before = StockMovement.objects.count()
    response = api_as(warehouse).post(f"{BASE}/movements/", batch, format="json")
    assert response.status_code == 409 and "Not enough stock" in response.json()["detail"]
    assert StockMovement.objects.count() == before
    assert api_as(finance).post(f"{BASE}/movements/", batch, format="json").status_code == 403
    response = api_as(warehouse).post(f"{BASE}/movements/", batch | {"allow_negative": True}, format="json")
    assert response.status_code == 400 and response.json()["errors"] == {
        "allow_negative": ["Only a manager may post stock below zero."]
    }
    response = api_as(manager).post(f"{BASE}/movements/", batch | {"allow_negative": True}, format="json")
    assert response.status_code == 201
    assert [row["quantity"] for row in response.json()] == [-1, -10_000]
    assert response.json()[1]["negative_override"] is True


def test_bad_kind_and_unknown_params(api_as, demo_stock, warehouse):
    client = api_as(warehouse)
    sku = Sku.objects.first()
    response = client.post(
        f"{BASE}/movements/",
        {"movements": [{"sku": sku.pk, "location": 1, "kind": "count_correction", "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 400 and "kind" in response.json()["errors"]["movements"][0]
    assert client.get(f"{BASE}/levels/?skucode=x").status_code == 400
    assert client.get(f"{BASE}/summary/?mnth=2025-01").status_code == 400
    assert client.get(f"{BASE}/movements/?kind=receipt&kind=return&sku_code=TS001-WHT-M").status_code == 200


def test_count_flow_through_the_api(api_as, demo_stock, wh_supervisor, main_warehouse_api):
    client = api_as(wh_supervisor)
    this_month = timezone.localdate().replace(day=1)  # a count is of a month that has begun
    response = client.post(
        f"{BASE}/counts/", {"warehouse": main_warehouse_api.pk, "period": f"{this_month:%Y-%m-%d}", "blind": True}
    )
    assert response.status_code == 201, response.json()
    count_id = response.json()["id"]
    lines = client.get(f"{BASE}/counts/{count_id}/lines/?page_size=500").json()["results"]
    assert "snapshot_quantity" not in lines[0]  # blind
    for line in lines:
        assert (
            client.post(f"{BASE}/counts/{count_id}/record/", {"line": line["id"], "counted_quantity": 0}).status_code
            == 200
        )
    response = client.post(f"{BASE}/counts/{count_id}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert client.post(f"{BASE}/counts/{count_id}/close/").status_code == 409
    lines = client.get(f"{BASE}/counts/{count_id}/lines/").json()["results"]
    assert "difference" in lines[0]


@pytest.fixture
def main_warehouse_api(demo_stock):
    return StockCount.objects.get().warehouse


def test_finance_approves_and_rejects(api_as, demo_stock, finance, warehouse):
    report = LossReport.objects.get()
    assert api_as(warehouse).post(f"{BASE}/loss-reports/{report.pk}/approve/").status_code == 403
    response = api_as(finance).post(f"{BASE}/loss-reports/{report.pk}/reject/", {"note": ""})
    assert response.status_code == 400 and response.json()["errors"] == {
        "note": ["Say why the loss report is rejected."]
    }
    assert api_as(finance).post(f"{BASE}/loss-reports/{report.pk}/approve/").json()["status"] == "approved"
    assert api_as(finance).post(f"{BASE}/loss-reports/{report.pk}/approve/").status_code == 409


def test_summary_and_export(api_as, demo_stock, finance, django_capture_on_commit_callbacks):
    month = StockCount.objects.get().period
    data = api_as(finance).get(f"{BASE}/summary/?month={month:%Y-%m}").json()
    assert data["total_qty"]["closing"] == sum(r["qty"]["closing"] for r in data["rows"])
    client = api_as(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/summary/export/", {"month": f"{month:%Y-%m}"})
    assert response.status_code == 202 and response.json()["status"] == "queued"
    job = client.get(f"{BASE}/jobs/{response.json()['id']}/").json()
    assert job["status"] == "done" and job["done"] == job["total"] == len(data["rows"])
    download = client.get(job["download_url"])
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet["A1"].value == "SKU" and sheet.max_row == len(data["rows"]) + 2
    bad = client.post(f"{BASE}/summary/export/", {"month": "March"})
    assert bad.status_code == 400 and "month" in bad.json()["errors"]


def test_import_endpoint_reports_rows(api_as, demo_stock, warehouse):
    client = api_as(warehouse)
    upload = SimpleUploadedFile("r.csv", b"sku,location,quantity\nNOPE,A-01,1\nTS001-WHT-S,A-01,x\n")
    response = client.post(f"{BASE}/imports/", {"kind": "receipt", "file": upload}, format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]["rows"]] == [(2, "sku"), (3, "quantity")]
    upload = SimpleUploadedFile("r.csv", b"sku,location,quantity\nTS001-WHT-S,A-01,4\n")
    response = client.post(f"{BASE}/imports/", {"kind": "receipt", "file": upload}, format="multipart")
    assert response.status_code == 201 and response.json() == {"rows": 1, "created": 1}


def test_orders_and_customer_service(api_as, demo_stock, warehouse, cs_agent):  # noqa: F811
    flagged = api_as(cs_agent).get(f"{BASE}/orders/flagged/").json()["results"]
    assert {o["number"] for o in flagged} == {"TB20250004", "TB20250005"}
    order = Order.objects.get(number="TB20250004")
    assert api_as(cs_agent).post(f"{BASE}/orders/{order.pk}/advance/", {"status": "printed"}).status_code == 403
    response = api_as(cs_agent).post(f"{BASE}/orders/{order.pk}/resolve/", {"note": "已核对地址"})
    assert response.status_code == 200 and response.json()["needs_customer_service"] is False
    response = api_as(warehouse).post(f"{BASE}/orders/{order.pk}/advance/", {"status": "packed"})
    assert response.status_code == 409
    client = api_as(warehouse)
    for step in ("printed", "picked"):
        assert client.post(f"{BASE}/orders/{order.pk}/advance/", {"status": step}).status_code == 200
    picking = client.get(f"{BASE}/orders/picking-list/").json()
    assert "TB20250004" not in {o["number"] for o in picking}
    typo = client.post(f"{BASE}/orders/{order.pk}/pack/", {"items": [{"code": "TS001-BLK-MM"}]}, format="json")
    assert typo.status_code == 400 and "Scan it again" in str(typo.json())  # a typo is not handed over
    order.refresh_from_db()
    assert not order.needs_customer_service
    wrong = client.post(
        f"{BASE}/orders/{order.pk}/pack/", {"items": [{"code": "ＴＳ００１－ＢＬＫ－Ｍ"}]}, format="json"
    )
    assert wrong.status_code == 409 and "was ordered but TS001-BLK-M" in wrong.json()["detail"]
    assert wrong.json()["order"]["needs_customer_service"] is True
    api_as(cs_agent).post(f"{BASE}/orders/{order.pk}/resolve/", {"note": "拣错, 已换货"})
    client = api_as(warehouse)
    packed = client.post(f"{BASE}/orders/{order.pk}/pack/", {"items": [{"code": "TS001-BLK-L"}]}, format="json")
    assert packed.status_code == 200 and packed.json()["status"] == "packed"
    no_tracking = client.post(f"{BASE}/orders/{order.pk}/ship/", {"courier": "中通"}, format="json")
    assert no_tracking.status_code == 400 and "tracking_number" in no_tracking.json()["errors"]
    shipped = client.post(f"{BASE}/orders/{order.pk}/ship/", {"tracking_number": "ZT1"}, format="json").json()
    assert (shipped["status"], shipped["tracking_number"]) == ("shipped", "ZT1")


def test_list_query_counts_do_not_grow(api_as, demo_stock, warehouse, django_assert_max_num_queries):
    client = api_as(warehouse)
    sku, location = Sku.objects.first(), Sku.objects.first().levels.first().location
    for url in (f"{BASE}/movements/", f"{BASE}/orders/", f"{BASE}/levels/", f"{BASE}/loss-reports/"):
        with django_assert_max_num_queries(8):
            client.get(url)
    post_movements(movements=[MovementInput(sku.pk, location.pk, "receipt", 1)] * 30, user=warehouse.user)
    with django_assert_max_num_queries(8):
        client.get(f"{BASE}/movements/")
