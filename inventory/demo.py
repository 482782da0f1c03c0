"""Demo data of the warehouse for `manage.py load_demo`: a small clothing catalogue with auxiliary materials, one
warehouse with bin locations, a month of movements and orders, and one finished count with its loss report.
Idempotent: it only creates anything when the demo warehouse does not exist yet."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import services
from .choices import MovementKind, OrderStatus, SkuKind
from .models import Location, Order, Sku, Warehouse
from .money import to_cent
from .selectors import month_bounds
from .services import MovementInput, OrderInput

STYLES = [
    # style, name, colours, sizes, unit cost, warning level
    ("TS001", "纯棉圆领T恤", ["白", "黑"], ["S", "M", "L"], "25.50", 10),
    ("DR002", "碎花连衣裙", ["红", "蓝"], ["S", "M"], "68.00", 5),
    ("JN003", "修身牛仔裤", ["蓝"], ["28", "30", "32"], "82.00", 6),
]
MATERIALS = [
    ("MAT-TAG", "吊牌", "0.20", 500, 2000),
    ("MAT-BAG", "包装袋", "0.50", 300, 1000),
    ("MAT-GIFT", "礼品袜子", "3.00", 50, 200),
]
COLOUR_CODES = {"白": "WHT", "黑": "BLK", "红": "RED", "蓝": "BLU"}
BINS = ["A-01", "A-02", "B-01", "B-02", "C-01"]


def load_demo() -> str:
    """Create the warehouse demo if missing; running it twice changes nothing. Returns a one-line summary."""
    if Warehouse.objects.filter(code="hz-main").exists():
        return "Inventory demo: already loaded (0 created)."
    user = _demo_user()
    with transaction.atomic():
        warehouse = Warehouse.objects.create(code="hz-main", name="杭州主仓")
        locations = {
            code: Location.objects.create(warehouse=warehouse, code=code, name=f"货架 {code}") for code in BINS
        }
        skus = _catalogue()
        last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        start, _end = month_bounds(last_month)
        _movements(skus=skus, locations=locations, user=user, start=start)
        _count(warehouse=warehouse, skus=skus, locations=locations, user=user, month=last_month)
        orders = _orders(skus=skus, user=user)
        services.raise_purchase_requests()
    return f"Inventory demo: 1 warehouse, {len(locations)} locations, {len(skus)} SKUs, {orders} orders created."


def _demo_user():
    User = get_user_model()
    return (
        User.objects.filter(username="wh_supervisor").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )


def _catalogue() -> dict[str, Sku]:
    skus = {}
    barcodes = iter(range(6_901_234_500_001, 6_901_234_600_000))
    for style, name, colours, sizes, cost, warning in STYLES:
        for colour in colours:
            for size in sizes:
                code = f"{style}-{COLOUR_CODES[colour]}-{size}"
                skus[code] = Sku.objects.create(
                    code=code,
                    style_code=style,
                    name=name,
                    colour=colour,
                    size=size,
                    barcode=str(next(barcodes)),
                    unit_cost=Decimal(cost),
                    sale_price=to_cent(Decimal(cost) * Decimal("2.5")),  # a clothing shop's usual mark-up
                    warning_level=warning,
                )
    for code, name, cost, warning, reorder in MATERIALS:
        skus[code] = Sku.objects.create(
            code=code,
            style_code=code,
            name=name,
            kind=SkuKind.MATERIAL,
            is_listed=False,
            unit_cost=Decimal(cost),
            warning_level=warning,
            reorder_quantity=reorder,
        )
    return skus


def _movements(*, skus, locations, user, start) -> None:
    """A month of receipts, shipments, a return, a transfer and a damaged item, backdated into last month."""
    bins = list(locations.values())
    home = {sku.code: bins[index % 3] for index, sku in enumerate(skus.values())}
    receipts = []
    for index, sku in enumerate(skus.values()):
        quantity = 2000 if sku.kind == SkuKind.MATERIAL else 40 - 3 * (index % 5)
        receipts.append(MovementInput(sku.pk, home[sku.code].pk, MovementKind.RECEIPT, quantity, "月初到货", "RK-0001"))
    services.post_movements(movements=receipts, user=user, occurred_at=start + datetime.timedelta(days=1, hours=9))
    day = 3
    for index, sku in enumerate(s for s in skus.values() if s.kind == SkuKind.GOODS):
        shipped = 5 + 7 * (index % 4)
        services.post_movements(
            movements=[
                MovementInput(sku.pk, home[sku.code].pk, MovementKind.SHIPMENT, -shipped, "日常发货", f"FH-{day:04d}")
            ],
            user=user,
            occurred_at=start + datetime.timedelta(days=day % 25 + 2, hours=15),
        )
        day += 1
    tags, tee = skus["MAT-TAG"], skus["TS001-WHT-M"]
    tee_bin = home[tee.code]
    services.post_movements(
        movements=[
            MovementInput(tags.pk, home[tags.code].pk, MovementKind.SHIPMENT, -1700, "打印吊牌", "DP-01"),
            MovementInput(tee.pk, tee_bin.pk, MovementKind.RETURN, 1, "七天无理由退货", "TH-0001"),
            MovementInput(tee.pk, tee_bin.pk, MovementKind.LOSS, -1, "发货前检查发现破损", "BS-0001"),
            MovementInput(tee.pk, tee_bin.pk, MovementKind.TRANSFER_OUT, -5, "补货到拣货位", "TR-0001"),
            MovementInput(tee.pk, locations["C-01"].pk, MovementKind.TRANSFER_IN, 5, "补货到拣货位", "TR-0001"),
        ],
        user=user,
        occurred_at=start + datetime.timedelta(days=20, hours=11),
    )


def _count(*, warehouse, skus, locations, user, month) -> None:
    """Last month's count, finished: two shortages and a surplus; its loss report waits for finance."""
    count = services.open_stock_count(warehouse=warehouse, period=month, user=user)
    found = {"DR002-RED-M": -2, "JN003-BLU-30": -1, "TS001-BLK-S": 1}
    for line in count.lines.select_related("sku"):
        services.record_count(
            line=line, counted_quantity=max(line.snapshot_quantity + found.get(line.sku.code, 0), 0), user=user
        )
    # Counted and closed on the month's last evening, so last month's summary (进销存) shows the count difference.
    _start, end = month_bounds(month)
    services.close_stock_count(count=count, user=user, at=end - datetime.timedelta(hours=6))


def _orders(*, skus, user) -> int:
    rows = [
        ("TB20250001", "王芳", "浙江省杭州市西湖区文三路 1 号", "中通", [("TS001-WHT-M", 1), ("MAT-GIFT", 1)]),
        ("TB20250002", "李娜", "上海市浦东新区世纪大道 100 号", "圆通", [("DR002-BLU-S", 1)]),
        ("TB20250003", "张伟", "江苏省南京市鼓楼区中山路 8 号", "顺丰", [("JN003-BLU-30", 2)]),
        ("TB20250004", "刘洋", "广东省广州市天河区体育西路 5 号", "中通", [("TS001-BLK-L", 1)]),
        ("TB20250005", "陈静", "北京市朝阳区建国路 88 号", "韵达", [("DR002-RED-S", 200)]),
    ]
    created = services.create_orders(
        orders=[
            OrderInput(
                number=n,
                recipient=r,
                address=a,
                courier=c,
                phone="13800000000",
                lines=[(skus[s].pk, q) for s, q in lines],
            )
            for n, r, a, c, lines in rows
        ]
    )
    by_number = {o.number: o for o in Order.objects.filter(number__in=[r[0] for r in rows])}
    for number, steps in (("TB20250001", 4), ("TB20250002", 2), ("TB20250003", 1)):
        order = by_number[number]
        for step in [OrderStatus.PRINTED, OrderStatus.PICKED][:steps]:
            order = services.advance_order(order=order, to_status=step, user=user)
        if steps > 2:
            packed = [services.PackedItem(line.sku.code, line.quantity) for line in order.lines.select_related("sku")]
            order = services.pack_order(order=order, items=packed, user=user)
            order = services.ship_order(order=order, tracking_number="SF1234567890", user=user)
    services.flag_order(order=by_number["TB20250004"], reason="收件地址缺门牌号, 请与买家核对", user=user)
    order = services.advance_order(order=by_number["TB20250005"], to_status=OrderStatus.PRINTED, user=user)
    services.advance_order(order=order, to_status=OrderStatus.PICKED, user=user)  # short: goes to customer service
    return len(created)
