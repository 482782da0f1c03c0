import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from inventory.exceptions import ImportRejected, InsufficientStock
from inventory.imports import MAX_IMPORT_BYTES, import_movements, import_orders
from inventory.models import Order, StockMovement

from .conftest import on_hand


def csv_file(text: str, name: str = "receipts.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="shipments.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_a_good_csv_posts_every_row(tshirt, bin_a, bin_b, warehouse):
    upload = csv_file("sku,location,quantity,reference\nTS001-WHT-M,A-01,10,RK-1\nTS001-WHT-M,B-01,5,RK-1\n")
    result = import_movements(upload=upload, kind="receipt", user=warehouse.user)
    assert (result.rows, result.created) == (2, 2)
    assert (on_hand(tshirt, bin_a), on_hand(tshirt, bin_b)) == (10, 5)


def test_chinese_headers_in_a_gb18030_csv(tshirt, bin_a, warehouse):
    upload = csv_file("商品编码,库位,数量,备注\nTS001-WHT-M,A-01,3,到货\n", encoding="gb18030")
    import_movements(upload=upload, kind="receipt", user=warehouse.user)
    assert StockMovement.objects.get().reason == "到货"


def test_every_bad_row_is_reported_and_nothing_is_saved(tshirt, bin_a, warehouse):
    upload = csv_file(
        "sku,location,quantity\n"
        "TS001-WHT-M,A-01,10\n"
        "NOPE,A-01,1\n"
        "TS001-WHT-M,Z-99,2\n"
        "TS001-WHT-M,A-01,1.5\n"
        "TS001-WHT-M,A-01,abc\n"
    )
    with pytest.raises(ImportRejected) as caught:
        import_movements(upload=upload, kind="receipt", user=warehouse.user)
    assert "4 problem(s)" in caught.value.message
    assert [(e["row"], e["column"]) for e in caught.value.errors] == [
        (3, "sku"),
        (4, "location"),
        (5, "quantity"),
        (6, "quantity"),
    ]
    assert not StockMovement.objects.exists()


def test_a_shipment_file_that_overdraws_is_refused_whole(tshirt, bin_a, warehouse):
    import_movements(
        upload=csv_file("sku,location,quantity\nTS001-WHT-M,A-01,3\n"), kind="receipt", user=warehouse.user
    )
    upload = xlsx_file([["sku", "location", "quantity"], ["TS001-WHT-M", "A-01", 2], ["TS001-WHT-M", "A-01", 2]])
    with pytest.raises(InsufficientStock) as caught:
        import_movements(upload=upload, kind="shipment", user=warehouse.user)
    assert "Not enough stock" in str(caught.value)
    assert on_hand(tshirt, bin_a) == 3


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("stock.xls", b"\xd0\xcf\x11\xe0"), "xlsx or a .csv"),
        (SimpleUploadedFile("stock.xlsx", b"not a zip"), "not a real Excel"),
        (SimpleUploadedFile("stock.csv", b""), "empty"),
        (SimpleUploadedFile("stock.csv", b"a" * (MAX_IMPORT_BYTES + 1)), "larger than 5 MB"),
        (SimpleUploadedFile("stock.csv", b"sku,quantity\nX,1\n"), "Missing column(s): location"),
    ],
)
def test_wrong_files_are_refused_with_a_clear_message(db, warehouse, upload, message):
    with pytest.raises(ImportRejected, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        import_movements(upload=upload, kind="receipt", user=warehouse.user)


def test_orders_import_groups_lines_by_order_number(tshirt, warehouse):
    from .factories import SkuFactory

    SkuFactory(code="DR001-RED-S")
    upload = xlsx_file(
        [
            ["订单号", "收件人", "电话", "收货地址", "快递公司", "商品编码", "数量"],
            ["TB1", "张三", "13800000000", "杭州", "中通", "TS001-WHT-M", 1],
            ["TB1", "张三", "13800000000", "杭州", "中通", "DR001-RED-S", 2],
            ["TB2", "李四", "", "上海", "圆通", "TS001-WHT-M", 1],
        ],
        name="orders.xlsx",
    )
    result = import_orders(upload=upload, user=warehouse.user)
    assert result.created == 2
    assert Order.objects.get(number="TB1").lines.count() == 2
    with pytest.raises(ImportRejected) as caught:
        import_orders(
            upload=xlsx_file(
                [["order_number", "recipient", "address", "sku", "quantity"], ["TB1", "x", "y", "TS001-WHT-M", 1]]
            ),
            user=warehouse.user,
        )
    assert caught.value.errors == [{"row": 2, "column": "order_number", "message": "Order TB1 exists already."}]
    assert Order.objects.count() == 2


def test_an_order_file_imported_as_receipts_says_to_choose_orders(db, warehouse):
    """Found by a tester: "导入订单" opened the import page set to receipts, and an order file then got only
    "缺少列：location。". Now the link chooses orders, and a file of the other kind says which choice reads it."""
    upload = csv_file("订单号,收件人,收货地址,商品编码,数量\nTB1,张三,杭州,TS001-WHT-M,1\n", name="orders.csv")
    with pytest.raises(ImportRejected) as caught:
        import_movements(upload=upload, kind="receipt", user=warehouse.user)
    assert "Missing column(s): location (库位)." in caught.value.message
    assert "This file looks like Orders (订单)" in caught.value.message
    receipts = csv_file("商品编码,库位,数量\nTS001-WHT-M,A-01,1\n")
    with pytest.raises(ImportRejected, match=r"looks like Receipts"):
        import_orders(upload=receipts, user=warehouse.user)


def test_import_orders_link_opens_the_page_with_orders_chosen(client_as, warehouse):
    from django.urls import reverse

    client = client_as(warehouse)
    orders_page = client.get(reverse("inventory:order-list")).content.decode()
    assert f'href="{reverse("inventory:import")}?kind=orders"' in orders_page
    page = client.get(reverse("inventory:import") + "?kind=orders").content.decode()
    assert '<option value="orders" selected>' in page
    other = client.get(reverse("inventory:import") + "?kind=x").content.decode()
    assert '<option value="orders" selected>' not in other
