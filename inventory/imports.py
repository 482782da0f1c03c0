"""Receipts, shipments and orders from an uploaded .xlsx or .csv file.

Every row is checked before anything is saved; a file with any bad row is refused as a whole, with each bad row's
number (as the spreadsheet shows it, header = row 1), column and message. A good file is posted in one transaction.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from shop_ops.uploads import UploadLimits, UploadRefused, read_upload

from .choices import MovementKind
from .exceptions import ImportRejected
from .models import Location
from .selectors import sku_key, skus_by_code
from .services import MovementInput, OrderInput, create_orders, post_movements, signed_quantity

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MAX_LISTED_ERRORS = 200
MAX_ROW_QUANTITY = 1_000_000  # as in the movement form and API
IMPORT_KINDS = (MovementKind.RECEIPT, MovementKind.SHIPMENT, MovementKind.RETURN)

# Header names accepted for each column (English or the Chinese a warehouse sheet usually has).
ALIASES = {
    "sku": {"sku", "sku code", "商品编码", "sku编码", "货品编码"},
    "location": {"location", "库位", "货位"},
    "quantity": {"quantity", "qty", "数量"},
    "reference": {"reference", "单号", "入库单号", "参考号"},
    "reason": {"reason", "note", "备注"},
    "order_number": {"order_number", "order", "订单号"},
    "recipient": {"recipient", "收件人"},
    "phone": {"phone", "电话", "手机"},
    "address": {"address", "地址", "收货地址"},
    "courier": {"courier", "快递公司", "快递"},
}
MOVEMENT_COLUMNS = (("sku", "location", "quantity"), ("reference", "reason"))
ORDER_COLUMNS = (("order_number", "recipient", "address", "sku", "quantity"), ("phone", "courier"))


@dataclass
class ImportResult:
    rows: int
    created: int


def read_table(upload) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (row number, {column: text}), read by the shared upload reader within its limits
    (`shop_ops/uploads.py`, at most MAX_IMPORT_BYTES and MAX_IMPORT_ROWS here)."""
    limits = UploadLimits.from_settings(file_bytes=MAX_IMPORT_BYTES, rows=MAX_IMPORT_ROWS)
    try:
        sheets = read_upload(upload, formats=("xlsx", "csv"), limits=limits)
    except UploadRefused as exc:
        raise ImportRejected(exc.message) from None
    table = sheets[0].rows if sheets else []
    if not table:
        raise ImportRejected(_("The file has no header row."))
    # The header is row 1 (an empty row 1 means no known columns, as before).
    header_values, data = (table[0][1], table[1:]) if table[0][0] == 1 else ((), table)
    header = [str(h or "").strip().lower() for h in header_values]
    rows = []
    for number, values in data:
        cells = ["" if v is None else str(_plain(v)).strip() for v in values]
        if not any(cells):
            continue
        rows.append((number, {header[i]: cells[i] for i in range(min(len(header), len(cells))) if header[i]}))
    if not rows:
        raise ImportRejected(_("The file has a header but no data rows."))
    return rows


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _columns(rows, required, optional) -> dict[str, str]:
    """Map our column names to the file's header names."""
    present = set().union(*(r.keys() for _n, r in rows))
    mapping, missing = {}, []
    for column in (*required, *optional):
        found = next((h for h in present if h in ALIASES[column]), None)
        if found:
            mapping[column] = found
        elif column in required:
            missing.append(column)
    if missing:
        message = _("Missing column(s): %(list)s.") % {"list": ", ".join(_with_chinese(c) for c in missing)}
        # A file of the other kind (an order export sent as receipts): say which choice reads it.
        for other, choice in ((ORDER_COLUMNS, _("Orders (订单)")), (MOVEMENT_COLUMNS, _("Receipts (入库单)"))):
            fits = all(any(h in ALIASES[c] for h in present) for c in other[0])
            if other[0] != tuple(required) and fits:
                hint = _("This file looks like %(kind)s: choose that under “What the file holds”.")
                message += " " + hint % {"kind": choice}
                break
        raise ImportRejected(
            message,
            errors=[{"row": 1, "column": _with_chinese(c), "message": _("This column is required.")} for c in missing],
        )
    return mapping


def _with_chinese(column: str) -> str:
    """`location (库位)`: the column's name and the Chinese header a warehouse sheet usually has for it."""
    chinese = sorted(name for name in ALIASES[column] if not name.isascii())
    return f"{column} ({chinese[0]})" if chinese else column


class _Errors(list):
    def add(self, row: int, column: str, message: str) -> None:
        self.append({"row": row, "column": column, "message": str(message)})

    def raise_if_any(self) -> None:
        if self:
            shown = self[:MAX_LISTED_ERRORS]
            raise ImportRejected(
                _("%(n)s problem(s) in the file; nothing was imported. Fix them and upload it again.")
                % {"n": len(self)},
                errors=shown,
            )


def _quantity(text: str, row: int, errors: _Errors) -> int | None:
    """A row's quantity: a whole number from 1 to MAX_ROW_QUANTITY, refused with the text as typed otherwise (so
    nothing out of range reaches the database, where it would overflow)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors.add(row, "quantity", _("“%(value)s” is not a number.") % {"value": text[:30]})
        return None
    if number != number.to_integral_value() or number < 1:
        errors.add(row, "quantity", _("The quantity must be a whole number of at least 1."))
        return None
    if number > MAX_ROW_QUANTITY:
        errors.add(
            row,
            "quantity",
            _("“%(value)s” is more than %(n)s, the most one row can move.")
            % {"value": text[:30], "n": MAX_ROW_QUANTITY},
        )
        return None
    return int(number)


def _lookups(rows, mapping):
    sku_codes = {r.get(mapping["sku"], "") for _n, r in rows}
    skus = skus_by_code(sku_codes)
    locations: dict[str, list[Location]] = {}
    if "location" in mapping:
        codes = {r.get(mapping["location"], "") for _n, r in rows}
        for location in Location.objects.filter(code__in=codes):
            locations.setdefault(location.code, []).append(location)
    return skus, locations


def import_movements(*, upload, kind: str, user) -> ImportResult:
    """Receipts, shipments or returns from a file, posted all-or-nothing."""
    if kind not in IMPORT_KINDS:
        raise ImportRejected(_("Choose receipts, shipments or returns."))
    rows = read_table(upload)
    mapping = _columns(rows, *MOVEMENT_COLUMNS)
    skus, locations = _lookups(rows, mapping)
    errors = _Errors()
    movements = []
    for number, row in rows:
        code = row.get(mapping["sku"], "")
        sku = skus.get(sku_key(code))
        if sku is None:
            errors.add(number, "sku", _("Unknown SKU “%(code)s”.") % {"code": code[:40]} if code else _("Required."))
        place = row.get(mapping["location"], "")
        matches = locations.get(place, [])
        if len(matches) != 1:
            errors.add(
                number,
                "location",
                _("Unknown location “%(code)s”.") % {"code": place[:30]}
                if not matches
                else _("Location “%(code)s” exists in several warehouses.") % {"code": place},
            )
        quantity = _quantity(row.get(mapping["quantity"], ""), number, errors)
        reference = row.get(mapping.get("reference", ""), "")
        reason = row.get(mapping.get("reason", ""), "")
        if len(reference) > 60:
            errors.add(number, "reference", _("At most 60 characters."))
        if len(reason) > 200:
            errors.add(number, "reason", _("At most 200 characters."))
        if sku and len(matches) == 1 and quantity:
            movements.append(
                MovementInput(
                    sku.pk, matches[0].pk, kind, signed_quantity(kind=kind, quantity=quantity), reason, reference
                )
            )
    errors.raise_if_any()
    with transaction.atomic():
        created = post_movements(movements=movements, user=user)
    return ImportResult(rows=len(rows), created=len(created))


def import_orders(*, upload, user) -> ImportResult:
    """The day's orders from a file, one row per order line (order number repeated on each of its lines)."""
    rows = read_table(upload)
    mapping = _columns(rows, *ORDER_COLUMNS)
    skus, _locations = _lookups(rows, mapping)
    errors = _Errors()
    orders: OrderedDict[str, dict] = OrderedDict()
    for number, row in rows:
        order_number = row.get(mapping["order_number"], "")
        if not order_number or len(order_number) > 40:
            errors.add(number, "order_number", _("Required, at most 40 characters."))
            continue
        head = {
            key: row.get(mapping[key], "") if key in mapping else ""
            for key in ("recipient", "address", "phone", "courier")
        }
        for key, limit in (("recipient", 60), ("address", 200), ("phone", 20), ("courier", 30)):
            if key in ("recipient", "address") and not head[key]:
                errors.add(number, key, _("Required."))
            elif len(head[key]) > limit:
                errors.add(number, key, _("At most %(n)s characters.") % {"n": limit})
        order = orders.setdefault(order_number, {"head": head, "lines": {}, "row": number})
        if order["head"] != head:
            errors.add(
                number,
                "order_number",
                _("Order %(n)s has different recipient details on row %(row)s.")
                % {"n": order_number, "row": order["row"]},
            )
        code = row.get(mapping["sku"], "")
        sku = skus.get(sku_key(code))
        if sku is None:
            errors.add(number, "sku", _("Unknown SKU “%(code)s”.") % {"code": code[:40]} if code else _("Required."))
        quantity = _quantity(row.get(mapping["quantity"], ""), number, errors)
        if sku and quantity:
            if sku.pk in order["lines"]:
                errors.add(
                    number, "sku", _("%(code)s appears twice in order %(n)s.") % {"code": code, "n": order_number}
                )
            order["lines"][sku.pk] = quantity
    from .models import Order

    for existing in Order.objects.filter(number__in=list(orders)).values_list("number", flat=True):
        errors.add(orders[existing]["row"], "order_number", _("Order %(n)s exists already.") % {"n": existing})
    errors.raise_if_any()
    created = create_orders(
        orders=[OrderInput(number=n, lines=list(o["lines"].items()), **o["head"]) for n, o in orders.items()]
    )
    return ImportResult(rows=len(rows), created=len(created))
