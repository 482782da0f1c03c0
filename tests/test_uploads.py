"""The one upload reader (shop_ops/uploads.py) and every import that uses it, against hostile files made in code.

Every hostile file goes to every import: inventory receipts, shipments and orders through the API and the browser
form, payroll inputs through the browser form (payroll has no import endpoint in the API; formulas have no file
import). Each refusal must carry the message naming its limit, import nothing, take well under a second (asserted
with a factor for a busy 2-core machine; bench/hostile_uploads.py prints the real figures) and grow the traced
memory of the request by less than 100 MB.
"""

from __future__ import annotations

import datetime
import functools
import html
import io
import time
import tracemalloc
from dataclasses import replace

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.exceptions import ImportRejected
from inventory.imports import import_movements
from inventory.models import Order, StockMovement
from payroll.imports import ADJUSTMENTS, ATTENDANCE, COLUMNS, SALES, import_inputs
from payroll.imports import ImportRejected as PayrollRejected
from payroll.models import Adjustment, Attendance, SalesFigure
from shop_ops.uploads import UploadLimits, UploadRefused, _Workbook, read_upload

from .hostile_files import EXPECTED, HOSTILE_CSV, HOSTILE_XLSX
from .inventory.factories import LocationFactory, SkuFactory, WarehouseFactory

TIME_BOUND = 1.0  # seconds, the bound
BUSY_MACHINE_FACTOR = 4  # 2 cores shared with other suites; the bench measures the real figure
MEMORY_BOUND = 100 * 1024 * 1024
INVENTORY_HEADER = ["sku", "location", "quantity"]
ORDER_HEADER = ["order_number", "recipient", "address", "sku", "quantity"]
MONTH = datetime.date(2026, 3, 1)


@functools.cache
def hostile(name: str, sheet: str, header: tuple[str, ...]) -> tuple[str, bytes]:
    if name in HOSTILE_CSV:
        return "hostile.csv", HOSTILE_CSV[name]()
    return "hostile.xlsx", HOSTILE_XLSX[name](sheet, list(header))


def refused_within_bounds(send) -> object:
    """Run `send()` twice: timed, then under tracemalloc; assert both bounds and return the first answer."""
    started = time.perf_counter()
    answer = send()
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        send()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < TIME_BOUND * BUSY_MACHINE_FACTOR, f"took {elapsed:.2f} s"
    assert peak < MEMORY_BOUND, f"traced memory grew by {peak / 1e6:.0f} MB"
    return answer


@pytest.fixture
def stockroom(db):
    warehouse = WarehouseFactory()
    LocationFactory(warehouse=warehouse, code="A-01")
    SkuFactory(code="TS001-WHT-M")


# --- The reader ------------------------------------------------------------------------------------------------------


def _workbook_bytes(rows, *, with_dates=False) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if with_dates:
        sheet["B7"] = datetime.datetime(2026, 3, 5, 8, 30)
        sheet["C7"] = datetime.date(2026, 3, 6)
        sheet["D9"] = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_values_are_those_openpyxl_gave_before(db):
    """Text, numbers, dates, booleans, gaps and empty rows come out as openpyxl's read-only data-only mode gives."""
    raw = _workbook_bytes(
        [
            ["sku", "数量", "备注"],
            ["TS001", 3, "到货 =1+1"],
            [None, 2.5, None, "x"],
            [],
            ["  padded ", 10**12, -7, 1e-5],
        ],
        with_dates=True,
    )
    expected = []
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        if values:
            expected.append((number, tuple(values)))
    [sheet] = read_upload(SimpleUploadedFile("t.xlsx", raw))
    assert sheet.rows == expected
    assert dict(sheet.rows)[7][1:3] == (datetime.datetime(2026, 3, 5, 8, 30), datetime.datetime(2026, 3, 6))
    assert dict(sheet.rows)[9][3] is True


def test_csv_in_utf8_with_bom_and_in_gb18030(db):
    text = '商品编码,库位,数量\r\nTS001,A-01,"3\r\n4"\r\n\r\nTS002,B-01,5\r\n'
    for encoded in (b"\xef\xbb\xbf" + text.encode(), text.encode("gb18030")):
        [sheet] = read_upload(SimpleUploadedFile("t.csv", encoded))
        assert sheet.rows == [
            (1, ("商品编码", "库位", "数量")),
            (2, ("TS001", "A-01", "3\r\n4")),
            (4, ("TS002", "B-01", "5")),
        ]


def test_the_counting_stream_stops_at_the_limit_whatever_the_header_says(db):
    """The declared sizes are checked first; the stream is the guarantee when a header lies."""
    raw = _workbook_bytes([["a" * 100] for _ in range(200)])
    limits = UploadLimits.from_settings()
    workbook = _Workbook(raw, limits)
    workbook.limits = replace(limits, member_bytes=5000)  # as if the header had said less than the part holds
    with pytest.raises(UploadRefused, match=r"xl/worksheets/sheet1.xml unpacks to more than .* \(the limit for one"):
        for _chunk in workbook.chunks("xl/worksheets/sheet1.xml"):
            pass
    workbook = _Workbook(raw, limits)
    workbook.limits = replace(limits, unzipped_bytes=5000)
    with pytest.raises(UploadRefused, match=r"the limit for a whole workbook"):
        for _chunk in workbook.chunks("xl/worksheets/sheet1.xml"):
            pass


def test_an_import_may_tighten_the_limits_but_not_loosen_them(settings):
    settings.UPLOAD_MAX_ROWS = 100
    assert UploadLimits.from_settings(rows=50).rows == 50
    assert UploadLimits.from_settings(rows=500).rows == 100


def test_limits_are_settings(settings, db):
    settings.UPLOAD_MAX_COLUMNS = 5
    with pytest.raises(UploadRefused, match=r"Row 1 has more than 5 columns \(the limit\)"):
        read_upload(SimpleUploadedFile("t.csv", b"a,b,c,d,e,f\n"))


# --- Every hostile file, every import --------------------------------------------------------------------------------

XLSX_NAMES = list(HOSTILE_XLSX)
ALL_NAMES = XLSX_NAMES + list(HOSTILE_CSV)


def _message(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return str(response.json())
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("kind", ["receipt", "shipment", "orders"])
@pytest.mark.parametrize("name", ALL_NAMES)
def test_api_refuses_each_hostile_file_quickly_and_imports_nothing(api_as, warehouse, stockroom, kind, name):
    header = tuple(ORDER_HEADER if kind == "orders" else INVENTORY_HEADER)
    filename, data = hostile(name, "Sheet", header)
    client = api_as(warehouse)

    def send():
        upload = SimpleUploadedFile(filename, data)
        return client.post("/api/inventory/imports/", {"kind": kind, "file": upload}, format="multipart")

    response = refused_within_bounds(send)
    assert response.status_code == 400
    assert EXPECTED[name] in _message(response)
    assert not StockMovement.objects.exists() and not Order.objects.exists()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_inventory_form_refuses_each_hostile_file(client_as, warehouse, stockroom, name):
    filename, data = hostile(name, "Sheet", tuple(INVENTORY_HEADER))
    client = client_as(warehouse)

    def send():
        upload = SimpleUploadedFile(filename, data)
        return client.post(reverse("inventory:import"), {"kind": "receipt", "file": upload})

    response = refused_within_bounds(send)
    assert response.status_code == 200  # the form again, with the message
    assert EXPECTED[name] in _message(response)
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("sheet", [ADJUSTMENTS, ATTENDANCE, SALES])
@pytest.mark.parametrize("name", XLSX_NAMES)
def test_payroll_form_refuses_each_hostile_workbook(client_as, manager, sheet, name):
    filename, data = hostile(name, sheet, tuple(COLUMNS[sheet]))
    client = client_as(manager)

    def send():
        upload = SimpleUploadedFile(filename, data)
        return client.post(reverse("payroll:inputs", args=["2026-03"]), {"form": "import", "file": upload})

    response = refused_within_bounds(send)
    assert response.status_code == 200
    expected = "not an Excel workbook" if name == "not_a_zip" else EXPECTED[name]
    assert expected in _message(response)
    assert not (Adjustment.objects.exists() or Attendance.objects.exists() or SalesFigure.objects.exists())


@pytest.mark.parametrize(
    ("name", "expected"),
    [("csv_many_rows", "too large: larger than 2 MB"), ("csv_nul_bytes", "not an Excel workbook")],
)
def test_payroll_form_refuses_a_csv(client_as, manager, name, expected):
    """Payroll reads only workbooks (and at most 2 MB): a CSV is refused before any parsing."""
    upload = SimpleUploadedFile("inputs.csv", HOSTILE_CSV[name]())
    response = client_as(manager).post(reverse("payroll:inputs", args=["2026-03"]), {"form": "import", "file": upload})
    assert expected in _message(response)
    assert not Adjustment.objects.exists()


# --- Numbers out of range (issue 12, section 4) -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2147483648", "9223372036854775808", "1e400", "1000001"])
def test_an_out_of_range_quantity_is_a_row_error_showing_what_was_typed(warehouse, stockroom, typed):
    upload = SimpleUploadedFile("r.csv", f"sku,location,quantity\nTS001-WHT-M,A-01,{typed}\n".encode())
    with pytest.raises(ImportRejected) as caught:
        import_movements(upload=upload, kind="receipt", user=warehouse.user)
    assert caught.value.errors == [
        {"row": 2, "column": "quantity", "message": f"“{typed}” is more than 1000000, the most one row can move."}
    ]
    assert not StockMovement.objects.exists()


def test_an_out_of_range_quantity_in_a_workbook_through_the_api(api_as, warehouse, stockroom):
    raw = _workbook_bytes([ORDER_HEADER, ["TB1", "张三", "杭州", "TS001-WHT-M", 2**31]])
    upload = SimpleUploadedFile("orders.xlsx", raw)
    response = api_as(warehouse).post("/api/inventory/imports/", {"kind": "orders", "file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["rows"] == [
        {"row": 2, "column": "quantity", "message": "“2147483648” is more than 1000000, the most one row can move."}
    ]
    assert not Order.objects.exists()


def test_out_of_range_payroll_numbers_are_row_errors_showing_what_was_typed(superuser):
    from roles.models import Department

    from .factories import EmployeeFactory

    employee = EmployeeFactory()
    Department.objects.filter(code="sales").delete()
    department = employee.role.department
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in {
        ADJUSTMENTS: [[employee.employee_number, "bonus", "1e30", "huge"]],
        ATTENDANCE: [[employee.employee_number, 2**31, 0]],
        SALES: [[department.code, 1e20, "12345678901234567890"]],
    }.items():
        book.create_sheet(sheet).append(COLUMNS[sheet])
        for row in rows:
            book[sheet].append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(PayrollRejected) as caught:
        import_inputs(upload=SimpleUploadedFile("in.xlsx", buffer.getvalue()), month=MONTH, user=superuser)
    messages = {(e.sheet, e.column): e.message for e in caught.value.errors}
    assert messages[(ADJUSTMENTS, "amount")] == "'1e30' is out of range (at most 10,000,000.00)"
    assert messages[(ATTENDANCE, "days_worked")] == "'2147483648' is out of range (at most 31)"
    assert messages[(SALES, "sales")] == "'1e+20' is out of range (at most 1,000,000,000.00)"
    assert messages[(SALES, "gross_profit")] == "'12345678901234567890' is out of range (at most 1,000,000,000.00)"
    assert not (Adjustment.objects.exists() or Attendance.objects.exists() or SalesFigure.objects.exists())
