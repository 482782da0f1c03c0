import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from openpyxl import load_workbook

from inventory import selectors
from inventory.choices import MovementKind
from inventory.exports import summary_workbook
from inventory.services import MovementInput, post_movements
from shop_ops.excel import excel_text

from .factories import SkuFactory

MARCH, APRIL = datetime.date(2025, 3, 1), datetime.date(2025, 4, 1)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    start, _ = selectors.month_bounds(day)
    return start.replace(day=day.day, hour=hour)


@pytest.fixture
def history(tshirt, bin_a, bin_b, warehouse):
    def post(when, kind, quantity, location=bin_a, sku=tshirt):
        movement = MovementInput(sku.pk, location.pk, kind, quantity, "破损" if kind == MovementKind.LOSS else "")
        post_movements(movements=[movement], user=warehouse.user, occurred_at=when)

    post(at(datetime.date(2025, 2, 10)), MovementKind.RECEIPT, 50)
    post(at(datetime.date(2025, 3, 1), hour=0), MovementKind.RECEIPT, 30)  # first minute of March (Shanghai time)
    post(at(datetime.date(2025, 3, 5)), MovementKind.SHIPMENT, -12)
    post(at(datetime.date(2025, 3, 6)), MovementKind.RETURN, 2)
    post(at(datetime.date(2025, 3, 7)), MovementKind.TRANSFER_OUT, -5)
    post(at(datetime.date(2025, 3, 7)), MovementKind.TRANSFER_IN, 5, location=bin_b)
    post(at(datetime.date(2025, 3, 20)), MovementKind.LOSS, -1)
    post(at(datetime.date(2025, 3, 31)), MovementKind.COUNT_CORRECTION, -3)
    post(at(datetime.date(2025, 4, 2)), MovementKind.SHIPMENT, -10)
    return tshirt


def test_monthly_summary_from_the_ledger(history):
    summary = selectors.monthly_summary(month=MARCH)
    (row,) = summary.rows
    assert row.qty == {
        "opening": 50,
        "received": 30,
        "shipped": 12,
        "returned": 2,
        "transferred": 0,
        "count_difference": -3,
        "lost": 1,
        "closing": 66,
    }
    assert row.value["opening"] == Decimal("1275.00")  # 50 x 25.50
    assert row.value["closing"] == Decimal("1683.00")
    assert summary.total_qty["closing"] == 66


def test_closing_of_a_month_is_the_opening_of_the_next(history):
    for month, following in ((datetime.date(2025, 2, 1), MARCH), (MARCH, APRIL)):
        this = {r.sku.pk: r for r in selectors.monthly_summary(month=month).rows}
        nxt = {r.sku.pk: r for r in selectors.monthly_summary(month=following).rows}
        for pk, row in this.items():
            assert row.qty["closing"] == nxt[pk].qty["opening"]
            assert row.value["closing"] == nxt[pk].value["opening"]


def test_summary_query_count_does_not_grow_with_skus(history, bin_a, warehouse, django_assert_max_num_queries):
    for sku in SkuFactory.create_batch(15):
        post_movements(movements=[MovementInput(sku.pk, bin_a.pk, "receipt", 3)], user=warehouse.user)
    # On PostgreSQL two more, constant: custom plans for the grouped read, set and put back (shop_ops/plans.py).
    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 2):
        assert len(selectors.monthly_summary(month=datetime.date.today()).rows) == 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=1+1", "=1+1"), ("+86", "+86"), ("-x", "-x"), ("@SUM(A1)", "@SUM(A1)"), ("\tx\x00", "\tx"), ("ok", "ok")],
)
def test_excel_text_is_the_text_less_what_xml_cannot_carry(text, expected):
    assert excel_text(text) == expected


def test_excel_export_has_header_filters_formats_and_live_totals(history, bin_a, warehouse):
    evil = SkuFactory(code='=HYPERLINK("http://x")', name="@cmd", unit_cost=Decimal("10.00"))
    post_movements(
        movements=[MovementInput(evil.pk, bin_a.pk, "receipt", 4)], user=warehouse.user, occurred_at=at(MARCH)
    )
    data = summary_workbook(selectors.monthly_summary(month=MARCH))
    sheet = load_workbook(BytesIO(data)).active
    assert sheet.title == "2025-03"
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:T3"
    assert sheet["A1"].value == "SKU" and sheet["E1"].value == "Opening (qty)"
    codes = {sheet.cell(row=r, column=1).value for r in (2, 3)}
    assert '=HYPERLINK("http://x")' in codes  # exactly the code: a string cell marked text (quote prefix)
    assert all(sheet.cell(row=r, column=c).data_type == "s" for r in (2, 3) for c in (1, 2, 3, 4))
    assert all(sheet.cell(row=r, column=c).quotePrefix for r in (2, 3) for c in (1, 2, 3, 4))
    assert "@cmd" in {sheet.cell(row=r, column=2).value for r in (2, 3)}
    assert sheet["A4"].value == "Total"
    assert sheet["L4"].value == "=SUM(L2:L3)"  # closing qty
    assert sheet["E2"].number_format == "#,##0;-#,##0"
    assert sheet["T2"].number_format == "#,##0.00;-#,##0.00"


def test_export_job_writes_the_file_reports_progress_and_is_idempotent(
    history, warehouse, monkeypatch, django_capture_on_commit_callbacks
):
    from inventory import exports, tasks
    from inventory.choices import JobStatus
    from inventory.services import request_summary_export

    seen = []
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    original = exports.summary_workbook

    def spy(summary, *, progress=None):
        return original(summary, progress=lambda done: (seen.append(done), progress(done)))

    monkeypatch.setattr(exports, "summary_workbook", spy)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_summary_export(month=APRIL, user=warehouse.user)
    job.refresh_from_db()
    rows = len(selectors.monthly_summary(month=APRIL).rows)
    assert job.status == JobStatus.DONE and job.done == job.total == rows and rows and seen == list(range(1, rows + 1))
    with job.file.open("rb") as handle:
        sheet = load_workbook(BytesIO(handle.read())).active
    assert sheet.title == "2025-04" and sheet.max_row == rows + 2  # header, rows, totals
    name = job.file.name
    assert tasks.export_summary_job(job.pk) == JobStatus.DONE  # a second run leaves the finished job alone
    job.refresh_from_db()
    assert job.file.name == name and len(seen) == rows


def test_a_failed_export_is_recorded_on_the_job(warehouse, monkeypatch):
    from inventory import exports
    from inventory.choices import JobKind, JobStatus
    from inventory.models import InventoryJob
    from inventory.services import run_summary_export_job

    job = InventoryJob.objects.create(kind=JobKind.SUMMARY_EXPORT, month=MARCH, requested_by=warehouse.user)

    def broken(summary, *, progress=None):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "summary_workbook", broken)
    with pytest.raises(OSError):
        run_summary_export_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == "disk full" and not job.file


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("zh-hans", ["SKU", "名称", "颜色", "尺码", "期初 (数量)", "入库 (数量)"], "(qty)"),
        ("en", ["SKU", "Name", "Colour", "Size", "Opening (qty)", "Received (qty)"], "数量"),
    ],
)
def test_the_export_is_in_the_language_of_the_page_that_asked(
    history, warehouse, django_capture_on_commit_callbacks, language, expected, absent
):
    """The worker has no request: the headers follow the language the export was asked in (issue 13)."""
    from django.utils import translation

    from inventory.services import request_summary_export

    with django_capture_on_commit_callbacks() as queued, translation.override(language):
        job = request_summary_export(month=MARCH, user=warehouse.user)
    worker_language = "en" if language == "zh-hans" else "zh-hans"
    with translation.override(worker_language):  # the worker's own language is not the page's
        for run in queued:
            run()
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        headers = [cell.value for cell in load_workbook(BytesIO(handle.read())).active[1]]
    assert headers[:6] == expected
    assert not any(absent in str(header) for header in headers)
