"""Pages: who may open what (the permission matrix), and the main flows through the browser forms."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory import demo
from inventory.choices import CountStatus, JobKind, JobStatus, LossReportStatus, OrderStatus
from inventory.models import InventoryJob, LossReport, Order, StockCount, StockMovement

from ..factories import EmployeeFactory, RoleFactory, UserFactory


@pytest.fixture
def demo_stock(superuser):
    demo.load_demo()
    return demo


@pytest.fixture
def cs_agent(db):
    role = RoleFactory(code="cs_staff", access_group="Staff")
    return EmployeeFactory(role=role, user=UserFactory(groups=["Staff"]))


def pages():
    report = LossReport.objects.get()
    count = StockCount.objects.get()
    order = Order.objects.get(number="TB20250001")
    return {
        "stock": reverse("inventory:stock-list"),
        "ledger": reverse("inventory:movement-list"),
        "sku": order.lines.first().sku.get_absolute_url(),
        "counts": reverse("inventory:count-list"),
        "count": count.get_absolute_url(),
        "loss-reports": reverse("inventory:loss-report-list"),
        "loss-report": report.get_absolute_url(),
        "summary": reverse("inventory:summary") + f"?month={count.period:%Y-%m}",
        "purchase-requests": reverse("inventory:purchase-request-list"),
        "orders": reverse("inventory:order-list"),
        "order": order.get_absolute_url(),
        "flagged": reverse("inventory:flagged-orders"),
        "post-movement": reverse("inventory:movement-create"),
        "transfer": reverse("inventory:transfer"),
        "import": reverse("inventory:import"),
        "open-count": reverse("inventory:count-open"),
    }


READ = {
    "stock",
    "ledger",
    "sku",
    "counts",
    "count",
    "loss-reports",
    "loss-report",
    "summary",
    "purchase-requests",
}
OPERATE = {"orders", "order", "flagged", "post-movement", "transfer", "import", "open-count"}
MATRIX = {
    "warehouse": READ | OPERATE,
    "manager": READ | OPERATE,
    "finance": READ,
    "cs_agent": {"flagged"},
    "staff": set(),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix_of_pages(request, client_as, demo_stock, who):
    person = request.getfixturevalue(who)
    client = client_as(person)
    for name, url in pages().items():
        response = client.get(url)
        if name in MATRIX[who]:
            assert response.status_code == 200, f"{who} should open {name}"
        else:
            # Customer service opening an order no longer waiting for them is sent to their list, not home.
            refused_to = (
                reverse("inventory:flagged-orders") if (who, name) == ("cs_agent", "order") else reverse("home")
            )
            assert response.status_code == 302 and response.url == refused_to, f"{who} must not open {name}"


def test_anonymous_goes_to_login(client, demo_stock):
    response = client.get(reverse("inventory:stock-list"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_navigation_shows_the_right_links(client_as, demo_stock, warehouse, cs_agent, staff):
    assert "Warehouse" in client_as(warehouse).get(reverse("home")).content.decode()
    body = client_as(cs_agent).get(reverse("home")).content.decode()
    assert "Orders for customer service" in body and ">Warehouse<" not in body
    body = client_as(staff).get(reverse("home")).content.decode()
    assert "Orders for customer service" not in body and "Warehouse" not in body


def test_list_pages_keep_their_query_count(client_as, demo_stock, warehouse, django_assert_max_num_queries):
    client = client_as(warehouse)
    client.get(reverse("inventory:stock-list"))  # warm the session
    for name in (
        "stock",
        "ledger",
        "counts",
        "count",
        "loss-reports",
        "summary",
        "purchase-requests",
        "orders",
        "flagged",
    ):
        with django_assert_max_num_queries(16):
            assert client.get(pages()[name]).status_code == 200


def test_post_a_receipt_and_an_overdraw(client_as, demo_stock, warehouse):
    client = client_as(warehouse)
    location = demo_stock.Location.objects.get(code="A-01")
    data = {"kind": "receipt", "sku": "TS001-WHT-S", "location": location.pk, "quantity": 5, "reference": "RK-9"}
    response = client.post(reverse("inventory:movement-create"), data, follow=True)
    assert "Posted: Receipt" in response.content.decode()
    data.update(kind="shipment", quantity=100000)
    response = client.post(reverse("inventory:movement-create"), data)
    assert response.status_code == 200 and "Not enough stock" in response.content.decode()
    response = client.post(reverse("inventory:movement-create"), data | {"sku": "NOPE"})
    assert "No SKU has the code" in response.content.decode()
    assert "allow_negative" not in response.content.decode()


def test_import_page_lists_row_errors(client_as, demo_stock, warehouse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("r.csv", b"sku,location,quantity\nTS001-WHT-S,A-01,2\nBAD,A-01,1\n")
    response = client_as(warehouse).post(reverse("inventory:import"), {"kind": "receipt", "file": upload})
    body = response.content.decode()
    assert response.status_code == 200 and "Unknown SKU" in body and 'data-testid="row-errors"' in body


def test_blind_count_hides_system_figures_until_closed(client_as, demo_stock, wh_supervisor):
    client = client_as(wh_supervisor)
    warehouse_obj = StockCount.objects.get().warehouse
    this_month = datetime.date.today().replace(day=1)
    response = client.post(
        reverse("inventory:count-open"), {"warehouse": warehouse_obj.pk, "month": f"{this_month:%Y-%m}", "blind": "on"}
    )
    count = StockCount.objects.get(period=this_month)
    assert response.url == count.get_absolute_url()
    body = client.get(count.get_absolute_url()).content.decode()
    assert "Snapshot" not in body and "Expected" not in body
    for line in count.lines.all():
        client.post(
            reverse("inventory:count-line", args=[count.pk, line.pk]), {"counted_quantity": line.snapshot_quantity}
        )
    assert client.get(reverse("inventory:count-close", args=[count.pk])).status_code == 200
    client.post(reverse("inventory:count-close", args=[count.pk]), {"action": "close"})
    count.refresh_from_db()
    assert count.status == CountStatus.CLOSED
    assert "Snapshot" in client.get(count.get_absolute_url()).content.decode()


def test_finance_reviews_the_loss_report(client_as, demo_stock, finance, warehouse):
    report = LossReport.objects.get()
    url = reverse("inventory:loss-report-review", args=[report.pk])
    client_as(warehouse).post(url, {"decision": "approve"})
    report.refresh_from_db()
    assert report.status == LossReportStatus.PENDING
    response = client_as(finance).post(url, {"decision": "reject", "note": ""}, follow=True)
    assert "Say why" in response.content.decode()
    client_as(finance).post(url, {"decision": "approve", "note": "ok"})
    report.refresh_from_db()
    assert report.status == LossReportStatus.APPROVED


def test_a_loss_report_review_starts_undecided_and_keeps_the_chosen_decision_on_error(client_as, demo_stock, finance):
    report = LossReport.objects.get()
    client = client_as(finance)
    page = client.get(report.get_absolute_url()).content.decode()
    assert '<option value="" selected>' in page and '<option value="approve" selected>' not in page
    url = reverse("inventory:loss-report-review", args=[report.pk])
    response = client.post(url, {"decision": "", "note": "ok"})
    assert response.status_code == 200 and "Choose approve or reject." in response.content.decode()
    response = client.post(url, {"decision": "reject", "note": ""})
    body = response.content.decode()
    assert '<option value="reject" selected>' in body and '<option value="approve" selected>' not in body
    assert 'id="id_note-error"' in body and "Say why the loss report is rejected." in body
    report.refresh_from_db()
    assert report.status == LossReportStatus.PENDING
    client.post(url, {"decision": "reject", "note": "counted twice"})
    report.refresh_from_db()
    assert report.status == LossReportStatus.REJECTED and report.review_note == "counted twice"


def test_customer_service_resolves_a_flagged_order(client_as, demo_stock, cs_agent, warehouse):
    order = Order.objects.get(number="TB20250004")
    client = client_as(cs_agent)
    assert "TB20250004" in client.get(reverse("inventory:flagged-orders")).content.decode()
    assert client.get(order.get_absolute_url()).status_code == 200
    client.post(reverse("inventory:order-resolve", args=[order.pk]), {"note": "买家补充了门牌号"})
    order.refresh_from_db()
    assert not order.needs_customer_service
    assert client.get(order.get_absolute_url()).status_code == 302  # no longer theirs to see
    shipped_before = StockMovement.objects.filter(kind="shipment").count()
    warehouse_client = client_as(warehouse)
    for step in ("printed", "picked"):
        warehouse_client.post(reverse("inventory:order-advance", args=[order.pk]), {"status": step})
    page = warehouse_client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="pack-form"' in page
    bad = warehouse_client.post(reverse("inventory:order-pack", args=[order.pk]), {"items": "TS001-BLK-L x two"})
    assert bad.status_code == 200 and "TS001-BLK-L x two</textarea>" in bad.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED and not order.needs_customer_service  # unreadable input: nothing done
    typo = warehouse_client.post(reverse("inventory:order-pack", args=[order.pk]), {"items": "TS001-BLK-LL"})
    body = typo.content.decode()
    assert typo.status_code == 200 and "TS001-BLK-LL: not a known SKU or barcode. Scan it again." in body
    assert "TS001-BLK-LL</textarea>" in body and 'id="id_items-error"' in body
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED and not order.needs_customer_service  # a typo is not a mismatch
    warehouse_client.post(reverse("inventory:order-pack", args=[order.pk]), {"items": "TS001-BLK-L"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PACKED
    assert 'data-testid="ship-form"' in warehouse_client.get(order.get_absolute_url()).content.decode()
    warehouse_client.post(reverse("inventory:order-ship", args=[order.pk]), {"courier": "", "tracking_number": ""})
    order.refresh_from_db()
    assert order.status == OrderStatus.PACKED
    warehouse_client.post(reverse("inventory:order-ship", args=[order.pk]), {"tracking_number": "ZT778899"})
    order.refresh_from_db()
    assert (order.status, order.courier, order.tracking_number) == (OrderStatus.SHIPPED, "中通", "ZT778899")
    assert StockMovement.objects.filter(kind="shipment").count() == shipped_before + 1


def test_excel_export_runs_as_a_job_the_summary_page_polls(
    client_as, demo_stock, finance, staff, django_capture_on_commit_callbacks
):
    month = StockCount.objects.get().period
    client = client_as(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inventory:summary-export"), {"month": f"{month:%Y-%m}", "q": "TS001"})
    assert response.status_code == 302 and f"month={month:%Y-%m}" in response["Location"]
    job = InventoryJob.objects.get(kind=JobKind.SUMMARY_EXPORT)
    assert (job.status, job.search, job.month, job.requested_by) == (JobStatus.DONE, "TS001", month, finance.user)
    page = client.get(response["Location"])
    assert reverse("inventory:job-download", args=[job.pk]) in page.content.decode()
    progress = client.get(reverse("inventory:job-progress", args=[job.pk])).content.decode()
    assert "hx-get" not in progress and "Download the Excel file" in progress  # finished: polling stops
    download = client.get(reverse("inventory:job-download", args=[job.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    codes = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row)]
    assert codes and all(code.startswith("TS001") for code in codes)
    assert client_as(staff).get(reverse("inventory:job-download", args=[job.pk])).status_code == 302
    assert client_as(staff).post(reverse("inventory:summary-export"), {"month": "2025-01"}).status_code == 302
    assert InventoryJob.objects.count() == 1


def test_a_running_export_is_polled(client_as, demo_stock, finance):
    job = InventoryJob.objects.create(
        kind=JobKind.SUMMARY_EXPORT, month=datetime.date(2025, 1, 1), requested_by=finance.user, total=10, done=4
    )
    fragment = client_as(finance).get(reverse("inventory:job-progress", args=[job.pk])).content.decode()
    assert "hx-get" in fragment and 'value="4"' in fragment
    assert client_as(finance).get(reverse("inventory:job-download", args=[job.pk])).status_code == 404


def test_demo_is_idempotent(demo_stock):
    before = StockMovement.objects.count()
    assert "already loaded" in demo.load_demo()
    assert StockMovement.objects.count() == before


def test_picking_list_shows_each_line_with_colour_size_and_bins(
    client_as, demo_stock, warehouse, django_assert_max_num_queries
):
    order = Order.objects.get(number="TB20250003")  # checked and printed in the demo, waiting to be picked
    assert order.status == OrderStatus.PRINTED
    client = client_as(warehouse)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("inventory:picking-list")).content.decode()
    assert "TB20250003" in page and "JN003-BLU-30" in page and "B-01 (10)" in page
    assert "TB20250001" not in page  # already shipped
