"""A rejected loss report (报损单) is no dead end: the warehouse reads finance's reason and the next step, recounts the
goods, corrects each difference (stock follows the change) and sends the report back to finance with a note."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.choices import LossReportStatus, MovementKind
from inventory.exceptions import InvalidTransition, InventoryConflict, InventoryError, NotForYou, RecheckRefused
from inventory.models import LossReport, StockMovement
from inventory.selectors import monthly_summary
from inventory.services.movements import MAX_QUANTITY

from .conftest import on_hand
from .factories import SkuFactory

pytestmark = pytest.mark.django_db

R = MovementKind.RECEIPT
MAY = datetime.date(2025, 5, 1)


@pytest.fixture
def rejected(tshirt, bin_a, bin_b, stock, warehouse, main_warehouse, wh_supervisor, finance):
    """Counted 0 of 5 T-shirts at A-01 and 4 of 2 caps at B-01: 5 short, 2 over; finance rejected it."""
    cap = SkuFactory(code="CAP-01")
    stock(tshirt, bin_a, R, 5)
    stock(cap, bin_b, R, 2)
    count = services.open_stock_count(warehouse=main_warehouse, period=MAY)
    for line in count.lines.select_related("sku"):
        services.record_count(line=line, counted_quantity=0 if line.sku == tshirt else 4, user=warehouse.user)
    services.close_stock_count(count=count, user=wh_supervisor.user)
    report = count.loss_report
    services.review_loss_report(
        report=report, approve=False, note="5 件 T 恤不可能全丢，请复盘 A-01", user=finance.user
    )
    report.refresh_from_db()
    return report


def _lines(report):
    return {line.sku.code: line for line in report.lines.select_related("sku")}


def _last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def rejected_last_month(tshirt, bin_a, stock, warehouse, main_warehouse, wh_supervisor, finance):
    """Last month's count, closed on its last evening: 2 of 21 T-shirts missing at A-01; finance rejected it."""
    month = _last_month()
    stock(tshirt, bin_a, R, 21, occurred_at=_at(month, 9))
    count = services.open_stock_count(warehouse=main_warehouse, period=month)
    services.record_count(line=count.lines.get(), counted_quantity=19, user=warehouse.user)
    last_evening = _at((month + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1), 20)
    services.close_stock_count(count=count, user=wh_supervisor.user, at=last_evening)
    report = count.loss_report
    services.review_loss_report(report=report, approve=False, note="请复盘", user=finance.user)
    report.refresh_from_db()
    return report


class TestResubmit:
    def test_the_recount_corrects_stock_and_the_report_goes_back_to_finance(
        self, rejected, tshirt, bin_a, bin_b, wh_supervisor
    ):
        lines = _lines(rejected)
        assert on_hand(tshirt, bin_a) == 0
        report = services.resubmit_loss_report(
            report=rejected,
            differences={lines["TS001-WHT-M"].pk: -1, lines["CAP-01"].pk: 0},
            note="A-01 后排找到 4 件；帽子是上月入库未登记，实际无差异",
            user=wh_supervisor.user,
        )
        report.refresh_from_db()
        assert report.status == LossReportStatus.PENDING
        assert (report.rechecked_by, report.recheck_note[:6]) == (wh_supervisor.user, "A-01 后")
        assert report.review_note.startswith("5 件 T 恤")  # finance's reason stays with the report
        assert (report.total_quantity, report.surplus_quantity) == (1, 0)
        assert report.total_value == lines["TS001-WHT-M"].unit_cost
        assert list(report.lines.values_list("sku__code", "quantity", "surplus")) == [("TS001-WHT-M", 1, False)]
        # Stock follows the recount: 4 T-shirts back at A-01, the 2 extra caps taken off again.
        assert on_hand(tshirt, bin_a) == 4
        assert on_hand(lines["CAP-01"].sku, bin_b) == 2
        recheck = StockMovement.objects.filter(reason__startswith="Loss report recheck")
        assert sorted(recheck.values_list("quantity", flat=True)) == [-2, 4]
        assert set(recheck.values_list("kind", flat=True)) == {MovementKind.COUNT_CORRECTION}

    def test_unchanged_differences_post_nothing(self, rejected, wh_supervisor):
        before = StockMovement.objects.count()
        services.resubmit_loss_report(report=rejected, differences={}, note="复盘确认无误", user=wh_supervisor.user)
        assert StockMovement.objects.count() == before
        rejected.refresh_from_db()
        assert (rejected.status, rejected.total_quantity, rejected.surplus_quantity) == ("pending", 5, 2)

    def test_refusals_say_why_and_change_nothing(self, rejected, warehouse, wh_supervisor, main_warehouse, finance):
        line = rejected.lines.first()
        with pytest.raises(NotForYou):
            services.resubmit_loss_report(report=rejected, differences={}, note="x", user=warehouse.user)
        with pytest.raises(InventoryError, match="what you rechecked"):
            services.resubmit_loss_report(report=rejected, differences={line.pk: 0}, note=" ", user=wh_supervisor.user)
        with pytest.raises(InventoryError, match="not on this loss report"):
            services.resubmit_loss_report(report=rejected, differences={10**9: 0}, note="x", user=wh_supervisor.user)
        june = services.open_stock_count(warehouse=main_warehouse, period=datetime.date(2025, 6, 1))
        with pytest.raises(InventoryConflict, match="2025-06 is under way"):
            services.resubmit_loss_report(report=rejected, differences={line.pk: 0}, note="x", user=wh_supervisor.user)
        assert services.recheck_refusal(report=rejected)
        services.cancel_stock_count(count=june, user=wh_supervisor.user)
        services.resubmit_loss_report(report=rejected, differences={}, note="复盘确认无误", user=wh_supervisor.user)
        with pytest.raises(InvalidTransition, match="Only a rejected"):
            services.resubmit_loss_report(report=rejected, differences={}, note="x", user=wh_supervisor.user)
        assert LossReport.objects.get().status == LossReportStatus.PENDING


class TestRecountedQuantityIsBounded:
    """A rechecked difference implies a recounted quantity (expected + difference), bounded like a count's entry."""

    def test_beyond_a_count_line_or_below_zero_is_refused_per_line_and_nothing_is_saved(
        self, rejected, tshirt, bin_a, bin_b, wh_supervisor
    ):
        lines = _lines(rejected)
        cap, shirt = lines["CAP-01"], lines["TS001-WHT-M"]
        movements = StockMovement.objects.count()
        with pytest.raises(RecheckRefused) as refused:
            services.resubmit_loss_report(
                report=rejected,
                # Caps: 2 expected + 999 999 = 1 000 001 counted; T-shirts: 5 expected - 6 = -1 counted.
                differences={cap.pk: MAX_QUANTITY - 1, shirt.pk: -6},
                note="复盘",
                user=wh_supervisor.user,
            )
        assert set(refused.value.errors) == {f"line_{cap.pk}", f"line_{shirt.pk}"}
        assert "1,000,001 counted" in refused.value.errors[f"line_{cap.pk}"]
        assert "CAP-01 at B-01" in refused.value.errors[f"line_{cap.pk}"]
        assert "-1 counted" in refused.value.errors[f"line_{shirt.pk}"]
        rejected.refresh_from_db()
        assert rejected.status == LossReportStatus.REJECTED and rejected.surplus_quantity == 2
        assert StockMovement.objects.count() == movements
        assert (on_hand(cap.sku, bin_b), on_hand(tshirt, bin_a)) == (4, 0)

    def test_the_bounds_themselves_are_accepted(self, rejected, tshirt, bin_a, bin_b, wh_supervisor):
        lines = _lines(rejected)
        cap, shirt = lines["CAP-01"], lines["TS001-WHT-M"]
        services.resubmit_loss_report(
            report=rejected,
            differences={cap.pk: MAX_QUANTITY - 2, shirt.pk: -5},  # 1 000 000 caps counted, no T-shirt
            note="复盘",
            user=wh_supervisor.user,
        )
        assert on_hand(cap.sku, bin_b) == MAX_QUANTITY and on_hand(tshirt, bin_a) == 0


class TestRecheckDating:
    """The recheck's corrections are dated like the count's own, so each month's 进销存 matches its loss report."""

    def test_corrections_are_dated_when_the_count_closed(self, rejected_last_month, tshirt, wh_supervisor):
        count = rejected_last_month.count
        line = rejected_last_month.lines.get()
        before = timezone.now()
        services.resubmit_loss_report(
            report=rejected_last_month, differences={line.pk: 0}, note="找到 2 件", user=wh_supervisor.user
        )
        correction = StockMovement.objects.get(reason__startswith="Loss report recheck")
        assert correction.quantity == 2 and correction.occurred_at == count.closed_at
        assert correction.posted_at >= before  # when it really was posted stays on record
        last, this = monthly_summary(month=count.period), monthly_summary(month=timezone.localdate())
        assert [(r.sku.code, r.qty["count_difference"], r.qty["closing"]) for r in last.rows] == [(tshirt.code, 0, 21)]
        assert [(r.sku.code, r.qty["count_difference"], r.qty["opening"]) for r in this.rows] == [(tshirt.code, 0, 21)]


class TestPages:
    def test_the_rejected_report_shows_the_reason_and_the_next_step(self, client_as, rejected, warehouse, finance):
        finance.full_name = "财务王芳"
        finance.save()
        page = client_as(warehouse).get(rejected.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "5 件 T 恤不可能全丢，请复盘 A-01" in page and "财务王芳" in page
        assert "下一步" in page
        assert 'data-testid="recheck-who"' in page  # a counter is told who sends it back
        assert rejected.count.get_absolute_url() in page
        listing = client_as(warehouse).get(reverse("inventory:loss-report-list")).content.decode()
        assert "5 件 T 恤不可能全丢" in listing
        queue = client_as(warehouse).get(reverse("inventory:queue")).content.decode()
        assert 'data-testid="waiting-loss-reports-rejected"' in queue

    def test_the_supervisor_rechecks_from_a_prefilled_form(self, client_as, rejected, wh_supervisor, tshirt, bin_a):
        client = client_as(wh_supervisor)
        page = client.get(rejected.get_absolute_url()).content.decode()
        url = reverse("inventory:loss-report-recheck", args=[rejected.pk])
        assert url in page
        form = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        lines = _lines(rejected)
        assert f'name="line_{lines["TS001-WHT-M"].pk}" value="-5"' in form
        assert f'name="line_{lines["CAP-01"].pk}" value="2"' in form
        # Each line says the count's figures, so the difference is not taken from today's stock (a tester's mistake).
        count_line = rejected.count.lines.get(sku__code="TS001-WHT-M")
        expected, counted = count_line.expected_quantity, count_line.counted_quantity
        assert f"盘点时系统数 {expected}，实盘 {counted}。差异 = 现在复盘的数量 − {expected}。" in form
        # A note left out loses nothing typed and says what is missing.
        kept = client.post(url, {f"line_{lines['TS001-WHT-M'].pk}": "-1", f"line_{lines['CAP-01'].pk}": "2"})
        assert kept.status_code == 200 and 'value="-1"' in kept.content.decode()
        assert "Say what you rechecked" in kept.content.decode()
        done = client.post(
            url,
            {f"line_{lines['TS001-WHT-M'].pk}": "-1", f"line_{lines['CAP-01'].pk}": "2", "note": "后排找到 4 件"},
        )
        assert done.status_code == 302 and done["Location"] == rejected.get_absolute_url()
        rejected.refresh_from_db()
        assert rejected.status == LossReportStatus.PENDING and on_hand(tshirt, bin_a) == 4
        shown = client.get(rejected.get_absolute_url()).content.decode()
        assert "后排找到 4 件" in shown and 'data-testid="rechecked"' in shown
        again = client.get(url).content.decode()  # nothing left to recheck: the page says so, no form
        assert "not rejected: there is nothing to recheck" in again and 'data-testid="recheck-form"' not in again

    def test_only_those_who_close_counts_open_the_recheck(self, client_as, rejected, warehouse, finance):
        url = reverse("inventory:loss-report-recheck", args=[rejected.pk])
        for person in (warehouse, finance):
            assert client_as(person).get(url).status_code in (302, 403)
        assert rejected.lines.count() == 2


def test_a_rejected_report_shows_no_english_in_chinese(client_as, rejected, wh_supervisor, warehouse):
    from ..test_chinese_pages import english_on, translated_english, visible_text

    phrases = translated_english()
    recheck = reverse("inventory:loss-report-recheck", args=[rejected.pk])
    for person, url in (
        (wh_supervisor, rejected.get_absolute_url()),
        (warehouse, rejected.get_absolute_url()),
        (wh_supervisor, recheck),
        (warehouse, reverse("inventory:queue")),
    ):
        page = client_as(person).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert english_on(visible_text(page), phrases) == [], url
        # The catalogue lists translated phrases only: the new ones are named here, so a missing translation fails.
        for english in ("Rejected by", "Next step", "Recheck", "Send back", "recount", "rejected", "finance"):
            assert english not in visible_text(page), (url, english)


class TestRecheckPageBoundsAndDating:
    def test_a_difference_beyond_a_count_line_shows_under_its_line_in_chinese(
        self, client_as, rejected, wh_supervisor, bin_b
    ):
        lines = _lines(rejected)
        cap, shirt = lines["CAP-01"], lines["TS001-WHT-M"]
        url = reverse("inventory:loss-report-recheck", args=[rejected.pk])
        response = client_as(wh_supervisor).post(
            url,
            {f"line_{cap.pk}": "1000000", f"line_{shirt.pk}": "-5", "note": "复盘"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        page = response.content.decode()
        assert response.status_code == 200 and 'value="1000000"' in page
        under_cap = page.split(f'id="id_line_{cap.pk}-error"')[1].split("</small>")[0]
        assert "CAP-01（B-01）：差异 +1,000,000 即实盘 1,000,002" in under_cap
        assert f'id="id_line_{shirt.pk}-error"' not in page  # the T-shirt line is fine
        assert "0 到 1,000,000 之间" in under_cap and "counted" not in page
        rejected.refresh_from_db()
        assert rejected.status == LossReportStatus.REJECTED and on_hand(cap.sku, bin_b) == 4

    def test_the_summary_of_the_counted_month_matches_the_rechecked_report(
        self, client_as, api_as, rejected_last_month, tshirt, wh_supervisor, finance
    ):
        line = rejected_last_month.lines.get()
        url = reverse("inventory:loss-report-recheck", args=[rejected_last_month.pk])
        done = client_as(wh_supervisor).post(url, {f"line_{line.pk}": "-1", "note": "找到 1 件"})
        assert done.status_code == 302
        rejected_last_month.refresh_from_db()
        assert (rejected_last_month.status, rejected_last_month.total_quantity) == ("pending", 1)
        month = rejected_last_month.count.period
        for shown, difference in ((month, -1), (timezone.localdate(), 0)):
            data = api_as(finance).get(f"/api/inventory/summary/?month={shown:%Y-%m}").json()
            assert [(r["sku_code"], r["qty"]["count_difference"]) for r in data["rows"]] == [(tshirt.code, difference)]
