"""Every write to the warehouse goes through these functions: they hold the rules; views, the API, imports and
Celery tasks call them. Stock changes only through `post_movements`, which writes the ledger and the levels in one
transaction."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop_ops import jobs
from shop_ops.guards import FIRST_YEAR, LAST_YEAR, date_in_range
from shop_ops.plans import job_statements
from shop_ops.typed import plain_text

from .choices import (
    ACTIVE_PURCHASE_STATUSES,
    INBOUND_KINDS,
    OUTBOUND_KINDS,
    CountStatus,
    JobKind,
    JobStatus,
    LossReportStatus,
    MovementKind,
    OrderStatus,
    PurchaseRequestStatus,
    SkuKind,
)
from .exceptions import InsufficientStock, InvalidTransition, InventoryConflict, InventoryError, NotForYou
from .models import (
    InventoryJob,
    Location,
    LossReport,
    LossReportLine,
    Order,
    OrderLine,
    PurchaseRequest,
    Sku,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Warehouse,
)
from .money import to_cent
from .permissions import can_answer_flagged_orders, can_cancel_flagged_orders, can_override_negative

# The most units one movement may move, and so the most one count line may record (a count line becomes a movement).
MAX_QUANTITY = 1_000_000
# Counts with more lines than this close in a background job with a progress bar; smaller ones close at once.
COUNT_CLOSE_INLINE_LINES = 500
COUNT_CLOSE_CHUNK = settings.INVENTORY_COUNT_CLOSE_CHUNK


@dataclass(frozen=True)
class MovementInput:
    """One movement to post. `quantity` is the signed change (+ in, - out); see `signed_quantity`."""

    sku_id: int
    location_id: int
    kind: str
    quantity: int
    reason: str = ""
    reference: str = ""


def signed_quantity(*, kind: str, quantity: int) -> int:
    """Forms and files give a number of units; the ledger wants the sign of the direction the kind moves stock."""
    if kind in OUTBOUND_KINDS:
        return -abs(quantity)
    if kind in INBOUND_KINDS:
        return abs(quantity)
    return quantity


_MOVEMENT_KINDS = frozenset(MovementKind.values)


def _check_input(movement: MovementInput) -> str | None:
    if movement.kind not in _MOVEMENT_KINDS:
        return _("Unknown movement kind “%(kind)s”.") % {"kind": movement.kind}
    if not isinstance(movement.quantity, int) or isinstance(movement.quantity, bool) or movement.quantity == 0:
        return _("The quantity must be a whole number other than zero.")
    if movement.kind in INBOUND_KINDS and movement.quantity < 0:
        return _("A %(kind)s adds stock: its quantity must be positive.") % {"kind": movement.kind}
    if movement.kind in OUTBOUND_KINDS and movement.quantity > 0:
        return _("A %(kind)s takes stock out: its quantity must be negative.") % {"kind": movement.kind}
    if len(movement.reason) > 200 or len(movement.reference) > 60:
        return _("The reason is limited to 200 characters and the reference to 60.")
    return None


def post_movements(
    *,
    movements: Sequence[MovementInput],
    user,
    allow_negative: bool = False,
    occurred_at: datetime.datetime | None = None,
) -> list[StockMovement]:
    """Post a batch of movements all-or-nothing: the ledger rows and the stock levels change in one transaction.

    Levels are locked in primary-key order (so two batches never deadlock) and changed in the database by adding
    each delta (`on_hand = on_hand + delta`, one statement per batch). A level may go below zero only with
    `allow_negative`, which only a manager may use; the override is recorded on the movement.
    """
    if not movements:
        raise InventoryError(_("Nothing to post: give at least one movement."))
    for index, movement in enumerate(movements):
        problem = _check_input(movement)
        if problem:
            raise InventoryError(
                _("Movement %(n)s: %(problem)s") % {"n": index + 1, "problem": problem}, field="movements"
            )
    if allow_negative and not can_override_negative(user):
        raise InventoryError(_("Only a manager may post stock below zero."), field="allow_negative")

    sku_ids = {m.sku_id for m in movements}
    location_ids = {m.location_id for m in movements}
    # Plain tuples, not model instances: a batch of thousands spends its time here otherwise.
    skus = _sku_codes_and_costs(ids=sku_ids)
    locations = dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "code"))
    missing = [str(i) for i in sku_ids - set(skus)] + [str(i) for i in location_ids - set(locations)]
    if missing:
        raise InventoryError(_("Unknown SKU or location: %(ids)s.") % {"ids": ", ".join(missing)}, field="movements")

    deltas: dict[tuple[int, int], int] = defaultdict(int)
    for movement in movements:
        deltas[(movement.sku_id, movement.location_id)] += movement.quantity

    with transaction.atomic():
        level_ids = _level_ids(keys=set(deltas))
        # Lock in a stable order: two batches touching the same levels wait for each other instead of deadlocking.
        levels = _lock_levels(ids=sorted(level_ids.values()))
        now = timezone.now()  # read after the locks, so a count snapshot and this posting are ordered in time
        shortages, short_locations = [], []
        negative_keys = set()
        changes = []  # (level id, delta, below zero afterwards)
        for pk, sku_id, location_id, level_on_hand in levels:
            key = (sku_id, location_id)
            delta = deltas[key]
            after = level_on_hand + delta
            if after < 0:
                negative_keys.add(key)
                if delta < 0 and not allow_negative:
                    short_locations.append(location_id)
                    shortages.append(
                        {
                            "sku": skus[sku_id][0],
                            "location": locations[location_id],
                            "on_hand": level_on_hand,
                            "change": delta,
                        }
                    )
            changes.append((pk, delta, after < 0))
        if shortages:
            from .selectors import blind_warehouse_ids

            # The refusal must not tell a counter the figure a blind count hides (inventory/permissions.py).
            hidden = blind_warehouse_ids(user=user)
            blind = set(
                Location.objects.filter(pk__in=short_locations, warehouse_id__in=hidden).values_list("pk", flat=True)
            )
            for shortage, location_id in zip(shortages, short_locations, strict=True):
                if location_id in blind:
                    shortage["on_hand"] = None
            listed = "; ".join(
                _("%(sku)s at %(location)s has %(on_hand)s, the batch takes %(need)s") % {**s, "need": -s["change"]}
                if s["on_hand"] is not None
                else _("%(sku)s at %(location)s has too little for the batch (%(need)s; under a blind count)")
                % {**s, "need": -s["change"]}
                for s in shortages
            )
            raise InsufficientStock(
                _("Not enough stock: %(list)s. Nothing was posted.") % {"list": listed}, shortages=shortages
            )
        _apply_level_deltas(changes=changes, now=now)
        when = occurred_at or now
        rows = []
        for m in movements:
            cost = skus[m.sku_id][1]
            rows.append(
                # The model's concrete fields in order: id, sku, location, kind, quantity, unit_cost, value, reason,
                # reference, negative_override, created_by, occurred_at, posted_at.
                (
                    None,
                    m.sku_id,
                    m.location_id,
                    m.kind,
                    m.quantity,
                    cost,
                    to_cent(cost * m.quantity),
                    m.reason,
                    m.reference,
                    (m.sku_id, m.location_id) in negative_keys,
                    user.pk,
                    when,
                    now,
                )
            )
        return _insert_movements(rows)


def _sku_codes_and_costs(*, ids: set[int]) -> dict[int, tuple[str, Decimal]]:
    if connection.vendor == "postgresql":
        with _server_cursor() as cursor:
            cursor.execute(
                f"SELECT id, code, unit_cost FROM {Sku._meta.db_table} WHERE id = ANY(%s::bigint[])",  # noqa: S608
                [list(ids)],
            )
            return {pk: (code, cost) for pk, code, cost in cursor.fetchall()}
    return {
        pk: (code, cost) for pk, code, cost in Sku.objects.filter(pk__in=ids).values_list("pk", "code", "unit_cost")
    }


def _lock_levels(*, ids: list[int]) -> list[tuple[int, int, int, int]]:
    """(id, sku, location, on hand) of these levels, locked FOR UPDATE in id order."""
    if connection.vendor == "postgresql":
        with _server_cursor() as cursor:
            cursor.execute(
                f"SELECT id, sku_id, location_id, on_hand FROM {StockLevel._meta.db_table} "  # noqa: S608
                "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                [ids],
            )
            return cursor.fetchall()
    return list(
        StockLevel.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "sku_id", "location_id", "on_hand")
    )


def _server_cursor():
    """A psycopg cursor that binds parameters on the server (Django's default cursor inlines them as text): column
    arrays of a few thousand values travel far cheaper this way. Same connection, so same transaction."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _apply_level_deltas(*, changes: list[tuple[int, int, bool]], now) -> None:
    """Add each level's delta in the database (on_hand = on_hand + delta, never a value computed in Python), for
    levels already locked by the caller. PostgreSQL gets one UPDATE ... FROM unnest(...) for the whole batch; other
    databases one UPDATE with an F() expression per level. The CHECK constraint still guards against negatives."""
    if not changes:
        return
    if connection.vendor == "postgresql":
        ids, amounts, negatives = (list(column) for column in zip(*changes, strict=True))
        table = StockLevel._meta.db_table
        with _server_cursor() as cursor:
            # Only the model's table name is interpolated; every value is a parameter.
            cursor.execute(
                f"UPDATE {table} AS level SET on_hand = level.on_hand + batch.delta, "  # noqa: S608
                "allow_negative = batch.allow_negative, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::integer[], %s::boolean[]) AS batch(id, delta, allow_negative) "
                "WHERE level.id = batch.id",
                [now, ids, amounts, negatives],
            )
        return
    for pk, delta, negative in changes:
        StockLevel.objects.filter(pk=pk).update(on_hand=F("on_hand") + delta, allow_negative=negative, updated_at=now)


_MOVEMENT_COLUMNS = (
    ("sku_id", "bigint"),
    ("location_id", "bigint"),
    ("kind", "varchar"),
    ("quantity", "integer"),
    ("unit_cost", "numeric"),
    ("value", "numeric"),
    ("reason", "varchar"),
    ("reference", "varchar"),
    ("negative_override", "boolean"),
    ("created_by_id", "bigint"),
    ("occurred_at", "timestamptz"),
    ("posted_at", "timestamptz"),
)


def _insert_movements(rows: list[tuple]) -> list[StockMovement]:
    """Write the ledger rows of a batch (tuples in the model's field order, id None) and return them as saved
    movements. PostgreSQL: one INSERT ... SELECT FROM unnest(column arrays) RETURNING id, a dozen parameters however
    big the batch; elsewhere Django's bulk_create."""
    if connection.vendor != "postgresql":
        return StockMovement.objects.bulk_create([StockMovement(*row) for row in rows], batch_size=1000)
    table = StockMovement._meta.db_table
    names = ", ".join(name for name, _type in _MOVEMENT_COLUMNS)
    arrays = ", ".join(f"%s::{db_type}[]" for _name, db_type in _MOVEMENT_COLUMNS)
    columns = [list(column) for column in zip(*rows, strict=True)][1:]
    with _server_cursor() as cursor:
        cursor.execute(
            # Table and column names come from the model; every value is a parameter.
            f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) "  # noqa: S608
            f"WITH ORDINALITY AS batch({names}, n) ORDER BY n RETURNING id",
            columns,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    attnames = [field.attname for field in StockMovement._meta.concrete_fields]
    return [
        StockMovement.from_db(connection.alias, attnames, (pk, *row[1:])) for pk, row in zip(ids, rows, strict=True)
    ]


def _level_ids(*, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Ids of the levels for these (sku, location) pairs, creating missing rows (a concurrent creator is harmless)."""
    sku_ids = {k[0] for k in keys}
    location_ids = {k[1] for k in keys}

    def read() -> dict[tuple[int, int], int]:
        if connection.vendor == "postgresql":
            # Join the exact pairs (one probe of the unique index each) instead of an IN x IN cross product.
            pairs = sorted(keys)
            with _server_cursor() as cursor:
                cursor.execute(
                    f"SELECT level.sku_id, level.location_id, level.id FROM {StockLevel._meta.db_table} AS level "  # noqa: S608
                    "JOIN unnest(%s::bigint[], %s::bigint[]) AS pair(sku_id, location_id) "
                    "ON level.sku_id = pair.sku_id AND level.location_id = pair.location_id",
                    [[p[0] for p in pairs], [p[1] for p in pairs]],
                )
                return {(s, loc): pk for s, loc, pk in cursor.fetchall()}
        found = StockLevel.objects.filter(sku_id__in=sku_ids, location_id__in=location_ids).values_list(
            "sku_id", "location_id", "pk"
        )
        return {(s, loc): pk for s, loc, pk in found if (s, loc) in keys}

    ids = read()
    missing = keys - set(ids)
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(sku_id=s, location_id=loc) for s, loc in missing], ignore_conflicts=True, batch_size=1000
        )
        ids = read()
    return ids


def post_movement(
    *,
    sku: Sku,
    location: Location,
    kind: str,
    quantity: int,
    user,
    reason: str = "",
    reference: str = "",
    allow_negative: bool = False,
) -> StockMovement:
    """One movement from a form or the API: `quantity` is a number of units, signed here by the kind."""
    if kind not in MovementKind.values or kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        raise InventoryError(_("Post transfers with the transfer form."), field="kind")
    if kind == MovementKind.COUNT_CORRECTION:
        raise InventoryError(_("Count corrections are posted by closing a stock count."), field="kind")
    (movement,) = post_movements(
        movements=[
            MovementInput(
                sku_id=sku.pk,
                location_id=location.pk,
                kind=kind,
                quantity=signed_quantity(kind=kind, quantity=quantity),
                reason=reason,
                reference=reference,
            )
        ],
        user=user,
        allow_negative=allow_negative,
    )
    return movement


def transfer_stock(
    *, sku: Sku, from_location: Location, to_location: Location, quantity: int, user, reason: str = ""
) -> list[StockMovement]:
    """Move units between two bin locations (调拨): a transfer_out and a transfer_in in one batch."""
    if from_location.pk == to_location.pk:
        raise InventoryError(_("Choose two different locations."), field="to_location")
    if quantity <= 0:
        raise InventoryError(_("The quantity must be at least 1."), field="quantity")
    reference = f"TR-{timezone.now():%Y%m%d%H%M%S}"
    return post_movements(
        movements=[
            MovementInput(sku.pk, from_location.pk, MovementKind.TRANSFER_OUT, -quantity, reason, reference),
            MovementInput(sku.pk, to_location.pk, MovementKind.TRANSFER_IN, quantity, reason, reference),
        ],
        user=user,
    )


@transaction.atomic
def set_sku_listed(*, sku: Sku, listed: bool, user=None) -> Sku:
    """Mark a SKU listed or delisted in the shop (缺货或过季产品及时通知店铺下架)."""
    sku = Sku.objects.select_for_update().get(pk=sku.pk)
    sku.is_listed = listed
    sku._history_user = user
    sku.save(update_fields=["is_listed"])  # save(), not update(): the audit history records who delisted it
    return sku


# --- Catalogue (SKUs, auxiliary materials, warehouses, bin locations) ------------------------------------------------


def _save_checked(instance, *, user):
    """full_clean (field rules, unique and check constraints, as field errors), then save with the editor named in
    the audit history; a race past the check still meets the database constraint."""
    instance.full_clean()
    instance._history_user = user
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise InventoryConflict(_("Someone saved a clashing record meanwhile; reload and try again.")) from None
    return instance


def check_sku_code_free(*, code: str, pk: int | None = None) -> None:
    """A SKU code is matched whatever its letter case (`selectors.sku_key`), so two codes may not differ only in
    case; raises naming the SKU that has the code already."""
    from .selectors import sku_key

    taken = Sku.objects.annotate(code_key=Upper("code")).filter(code_key=sku_key(code)).exclude(pk=pk).first()
    if taken is not None:
        raise InventoryConflict(
            _("SKU %(existing)s already has this code (letter case does not matter): %(code)s.")
            % {"existing": taken, "code": code},
            field="code",
        )


def save_sku(*, sku: Sku, user) -> Sku:
    """Create or edit a SKU or an auxiliary material (吊牌, 包装袋, 礼品). Prices, warning level and listing are kept
    in the audit history. Stock is never edited here: it changes only through movements."""
    check_sku_code_free(code=sku.code, pk=sku.pk)
    if sku.kind == SkuKind.MATERIAL:
        sku.is_listed = False  # materials are never sold in the shop, so never on the delisting list
    return _save_checked(sku, user=user)


@dataclass(frozen=True)
class ColourInput:
    name: str  # 白
    code: str  # WHT, part of the SKU code


@transaction.atomic
def create_product(
    *,
    style_code: str,
    name: str,
    colours: Sequence[ColourInput],
    sizes: Sequence[str],
    unit_cost: Decimal,
    sale_price: Decimal,
    user,
    warning_level: int = 0,
    reorder_quantity: int = 0,
) -> list[Sku]:
    """A new product (款) as its grid of SKUs, one per colour and size, coded STYLE-COLOUR-SIZE; all or none."""
    style_code = style_code.strip()
    if not colours or not sizes:
        raise InventoryError(_("Give at least one colour and one size."), field="colours" if not colours else "sizes")
    codes = [f"{style_code}-{colour.code}-{size}" for colour in colours for size in sizes]
    if len(set(codes)) != len(codes):
        raise InventoryError(_("A colour or size is listed twice."), field="colours")
    from .selectors import skus_by_code

    taken = sorted(sku.code for sku in skus_by_code(codes).values())  # TS001-wht-M would be TS001-WHT-M typed again
    if taken:
        raise InventoryConflict(
            _("These SKUs exist already: %(list)s.") % {"list": ", ".join(taken)}, field="style_code"
        )
    created = []
    for colour in colours:
        for size in sizes:
            sku = Sku(
                code=f"{style_code}-{colour.code}-{size}",
                style_code=style_code,
                name=name,
                colour=colour.name,
                size=size,
                unit_cost=unit_cost,
                sale_price=sale_price,
                warning_level=warning_level,
                reorder_quantity=reorder_quantity,
            )
            try:
                created.append(_save_checked(sku, user=user))
            except ValidationError as exc:
                raise InventoryError(
                    _("%(code)s: %(problem)s") % {"code": sku.code, "problem": " ".join(exc.messages)},
                    field="style_code",
                ) from None
    return created


def save_warehouse(*, warehouse: Warehouse, user) -> Warehouse:
    """Create or rename a warehouse (仓库)."""
    return _save_checked(warehouse, user=user)


def save_location(*, location: Location, user) -> Location:
    """Create or edit a bin location (库位). A location holding stock cannot move to another warehouse: its levels
    and ledger rows would silently change warehouse."""
    if location.pk:
        before = Location.objects.only("warehouse_id").get(pk=location.pk)
        if before.warehouse_id != location.warehouse_id and location.levels.exclude(on_hand=0).exists():
            raise InventoryConflict(
                _("Location %(code)s holds stock; transfer it out before moving the location to another warehouse.")
                % {"code": location.code},
                field="warehouse",
            )
    return _save_checked(location, user=user)


# --- Stock counts (盘点) -------------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def count_day_of(month: datetime.date) -> int:
    """The day of `month` the monthly count opens: INVENTORY_COUNT_DAY, or the month's last day when it is 0 or
    beyond the month's length."""
    last = calendar.monthrange(month.year, month.month)[1]
    configured = settings.INVENTORY_COUNT_DAY
    return last if not configured or configured > last else configured


@transaction.atomic
def open_stock_count(*, warehouse: Warehouse, period: datetime.date, user=None, blind: bool = False) -> StockCount:
    """Open the count of a warehouse for a month: every stock level there gets a line with its system quantity now.

    The levels are locked while the snapshot is read, so a posting is either in the snapshot or after it. One count
    of a warehouse at a time (two would each correct the same difference), of a month that has begun and is not
    before the warehouse's last closed count.
    """
    period = month_start(period)
    this_month = month_start(timezone.localdate())
    if period > this_month:
        raise InventoryError(
            _("%(month)s has not begun; count this month (%(now)s) or an earlier one.")
            % {"month": f"{period:%Y-%m}", "now": f"{this_month:%Y-%m}"},
            field="period",
        )
    Warehouse.objects.select_for_update().filter(pk=warehouse.pk).first()  # one opening per warehouse at a time
    under_way = (
        StockCount.objects.filter(warehouse=warehouse, status__in=[CountStatus.OPEN, CountStatus.CLOSING])
        .order_by("pk")
        .first()
    )
    if under_way is not None:
        raise InventoryConflict(
            _(
                "%(warehouse)s already has the count of %(month)s under way (opened %(opened)s); close or cancel it "
                "before opening another."
            )
            % {
                "warehouse": warehouse,
                "month": f"{under_way.period:%Y-%m}",
                "opened": f"{timezone.localtime(under_way.snapshot_at):%Y-%m-%d %H:%M}",
            }
        )
    if StockCount.objects.filter(warehouse=warehouse, period=period).exclude(status=CountStatus.CANCELLED).exists():
        raise InventoryConflict(
            _("%(warehouse)s already has a count for %(month)s.") % {"warehouse": warehouse, "month": f"{period:%Y-%m}"}
        )
    last_closed = StockCount.objects.filter(warehouse=warehouse, status=CountStatus.CLOSED).order_by("-period").first()
    if last_closed is not None and period < last_closed.period:
        raise InventoryConflict(
            _("%(warehouse)s was last counted for %(last)s; a count of an earlier month (%(month)s) cannot follow it.")
            % {"warehouse": warehouse, "last": f"{last_closed.period:%Y-%m}", "month": f"{period:%Y-%m}"},
            field="period",
        )
    # Lock first (a posting in flight finishes before the snapshot, a later one waits and is posted after it), then
    # copy the levels into lines inside the database: one INSERT ... SELECT however many levels.
    list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(location__warehouse=warehouse)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = StockCount(warehouse=warehouse, period=period, blind=blind, opened_by=user, snapshot_at=timezone.now())
    try:
        with transaction.atomic():
            count.save()
    except IntegrityError:
        raise InventoryConflict(
            _("This warehouse already has a count for that month or a count under way; reload and see.")
        ) from None
    _snapshot_lines(count=count)
    return count


def _snapshot_lines(*, count: StockCount) -> None:
    lines, levels, locations = (
        StockCountLine._meta.db_table,
        StockLevel._meta.db_table,
        Location._meta.db_table,
    )
    with job_statements(), connection.cursor() as cursor:  # planned for this warehouse (shop_ops/plans.py)
        cursor.execute(
            # Only the models' table names are interpolated; every value is a parameter.
            f"INSERT INTO {lines} (count_id, sku_id, location_id, snapshot_quantity, movements_since_snapshot, "  # noqa: S608
            f"adjusted) SELECT %s, level.sku_id, level.location_id, level.on_hand, 0, %s FROM {levels} AS level "
            f"INNER JOIN {locations} AS location ON location.id = level.location_id WHERE location.warehouse_id = %s "
            "ORDER BY level.id",
            [count.pk, False, count.warehouse_id],
        )


@transaction.atomic
def record_count(*, line: StockCountLine, counted_quantity: int, user) -> StockCountLine:
    """Record what a counter found on the shelf; the movements posted since the snapshot move the expected figure."""
    count = StockCount.objects.select_for_update().get(pk=line.count_id)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(
            _("This count is %(status)s; counting is over.") % {"status": count.get_status_display()}
        )
    if counted_quantity is None or counted_quantity < 0:
        raise InventoryError(_("The counted quantity must be zero or more."), field="counted_quantity")
    if counted_quantity > MAX_QUANTITY:
        raise InventoryError(
            _("%(n)s is more than %(max)s, the most one line may hold (as for a movement); check the count.")
            % {"n": counted_quantity, "max": MAX_QUANTITY},
            field="counted_quantity",
        )
    now = timezone.now()
    moved = StockMovement.objects.filter(
        sku_id=line.sku_id, location_id=line.location_id, posted_at__gt=count.snapshot_at, posted_at__lte=now
    ).aggregate(total=Sum("quantity", default=0))["total"]
    line.counted_quantity = counted_quantity
    line.counted_at = now
    line.counted_by = user
    line.movements_since_snapshot = moved
    line.save(update_fields=["counted_quantity", "counted_at", "counted_by", "movements_since_snapshot"])
    return line


@transaction.atomic
def cancel_stock_count(*, count: StockCount, user) -> StockCount:
    """Drop an open count (nothing was posted yet); the month may then be counted again."""
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status != CountStatus.OPEN:
        raise InvalidTransition(_("Only an open count can be cancelled."))
    count.status = CountStatus.CANCELLED
    count.closed_by = user
    count.closed_at = timezone.now()
    count._history_user = user
    count.save(update_fields=["status", "closed_by", "closed_at"])
    return count


def close_stock_count(*, count: StockCount, user, at: datetime.datetime | None = None) -> InventoryJob | None:
    """Close a fully counted count: post a count_correction for every difference and write the loss report.

    The corrections are dated when the count is closed (`at`, default now: the demo closes last month's count in
    last month), so the month's summary shows the count difference.
    A small count closes at once, all-or-nothing (returns None). A big one becomes a job row the page polls; the
    Celery task closes it in chunks and can be re-run safely after a failure (returns the job).
    """
    with transaction.atomic():
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        if count.status != CountStatus.OPEN:
            raise InvalidTransition(_("This count is %(status)s, not open.") % {"status": count.get_status_display()})
        uncounted = count.lines.filter(counted_quantity__isnull=True).count()
        if uncounted:
            raise InventoryConflict(
                _("%(n)s line(s) are not counted yet; count every line before closing.") % {"n": uncounted}
            )
        overtaken = (
            StockMovement.objects.filter(
                kind=MovementKind.COUNT_CORRECTION,
                location__warehouse_id=count.warehouse_id,
                posted_at__gt=count.snapshot_at,
            )
            .exclude(reference=f"COUNT-{count.pk}")
            .order_by("posted_at")
            .first()
        )
        if overtaken is not None:
            # Its differences were measured against stock another count has corrected since: they would count twice.
            raise InventoryConflict(
                _(
                    "Another count of this warehouse (%(reference)s) posted corrections after this count's snapshot; "
                    "cancel this count and open a new one."
                )
                % {"reference": overtaken.reference}
            )
        total = count.lines.count()
        count.status = CountStatus.CLOSING
        count.closed_by = user
        count.closed_at = at or timezone.now()
        count.save(update_fields=["status", "closed_by", "closed_at"])
        if total <= COUNT_CLOSE_INLINE_LINES:
            _finish_count_close(count=count, user=user, job=None)
            return None
        job = InventoryJob.objects.create(kind=JobKind.COUNT_CLOSE, count=count, total=total, requested_by=user)
        from .tasks import close_stock_count_job  # the task module imports services; import here avoids the cycle

        jobs.enqueue(close_stock_count_job, args=[job.pk])
        return job


def run_count_close_job(*, job_id: int) -> InventoryJob:
    """Worker side of a big count close: chunk by chunk (each its own transaction, each line corrected once), then
    the loss report. Safe to run twice: a finished job is left alone, an interrupted one continues."""
    job = InventoryJob.objects.select_related("count", "requested_by").get(pk=job_id)
    if job.status == JobStatus.DONE:
        return job
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="")
    try:
        with job_statements():  # chunk statements run many times: unprepared (shop_ops/plans.py)
            _finish_count_close(count=job.count, user=job.requested_by, job=job)
    except Exception as exc:
        InventoryJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(getattr(exc, "message", exc)), finished_at=timezone.now()
        )
        raise
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, done=job.total, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _finish_count_close(*, count: StockCount, user, job: InventoryJob | None) -> None:
    reference = f"COUNT-{count.pk}"
    reason = _("Stock count %(month)s") % {"month": f"{count.period:%Y-%m}"}
    pending = count.lines.filter(adjusted=False).select_related("sku").order_by("pk")
    done = count.lines.filter(adjusted=True).count()
    while True:
        chunk = list(pending[:COUNT_CLOSE_CHUNK])
        if not chunk:
            break
        corrections = [
            MovementInput(
                line.sku_id, line.location_id, MovementKind.COUNT_CORRECTION, line.difference, reason, reference
            )
            for line in chunk
            if line.difference
        ]
        with transaction.atomic():  # a chunk's corrections and its "adjusted" marks commit together
            if corrections:
                post_movements(movements=corrections, user=user, occurred_at=count.closed_at)
            StockCountLine.objects.filter(pk__in=[line.pk for line in chunk]).update(adjusted=True)
        done += len(chunk)
        if job is not None:
            InventoryJob.objects.filter(pk=job.pk).update(done=done)
    with transaction.atomic():
        _write_loss_report(count=count)
        count = StockCount.objects.select_for_update().get(pk=count.pk)
        count.status = CountStatus.CLOSED
        count.closed_at = count.closed_at or timezone.now()
        count._history_user = user  # a worker has no request: name the closer in the audit history
        count.save(update_fields=["status", "closed_at"])


def _write_loss_report(*, count: StockCount) -> None:
    """The report finance reviews: every shortage, and every surplus beside them (a count that finds more than the
    system had adds stock, which needs the same second pair of eyes as a loss)."""
    differences = [
        line for line in count.lines.select_related("sku").order_by("sku__code", "location__code") if line.difference
    ]
    if differences and not LossReport.objects.filter(count=count).exists():
        report = LossReport.objects.create(count=count)
        lines = [
            LossReportLine(
                report=report,
                sku_id=line.sku_id,
                location_id=line.location_id,
                surplus=line.difference > 0,
                quantity=abs(line.difference),
                unit_cost=line.sku.unit_cost,
                value=to_cent(line.sku.unit_cost * abs(line.difference)),
            )
            for line in differences
        ]
        LossReportLine.objects.bulk_create(lines, batch_size=1000)
        short = [line for line in lines if not line.surplus]
        over = [line for line in lines if line.surplus]
        report.total_quantity = sum(line.quantity for line in short)
        report.total_value = to_cent(sum((line.value for line in short), start=to_cent(0)))
        report.surplus_quantity = sum(line.quantity for line in over)
        report.surplus_value = to_cent(sum((line.value for line in over), start=to_cent(0)))
        report.save(update_fields=["total_quantity", "total_value", "surplus_quantity", "surplus_value"])


@transaction.atomic
def review_loss_report(*, report: LossReport, approve: bool, user, note: str = "") -> LossReport:
    """Finance approves or rejects a pending 报损单; a rejection needs a note saying why."""
    from .permissions import can_review_loss_reports

    if not can_review_loss_reports(user):
        raise InventoryError(_("Only finance reviews loss reports."))
    report = LossReport.objects.select_for_update().get(pk=report.pk)
    if report.status != LossReportStatus.PENDING:
        raise InvalidTransition(
            _("This loss report is already %(status)s.") % {"status": report.get_status_display().lower()}
        )
    note = (note or "").strip()
    if not approve and not note:
        raise InventoryError(_("Say why the loss report is rejected."), field="note")
    if len(note) > 500:
        raise InventoryError(_("The note is limited to 500 characters."), field="note")
    report.status = LossReportStatus.APPROVED if approve else LossReportStatus.REJECTED
    report.reviewed_by = user
    report.reviewed_at = timezone.now()
    report.review_note = note
    report._history_user = user  # named explicitly: the API and tasks have no history middleware request
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return report


# --- Purchase requests (进货单) ------------------------------------------------------------------------------------

PURCHASE_TRANSITIONS = {
    PurchaseRequestStatus.OPEN: {PurchaseRequestStatus.ORDERED, PurchaseRequestStatus.CANCELLED},
    PurchaseRequestStatus.ORDERED: {PurchaseRequestStatus.RECEIVED, PurchaseRequestStatus.CANCELLED},
}


def _refill_quantity(sku: Sku, on_hand: int) -> int:
    return sku.reorder_quantity or max(2 * sku.warning_level - on_hand, 1)


@dataclass
class DailyPurchaseCheck:
    raised: list[PurchaseRequest]
    updated: int
    to_delist: list[str]


def raise_purchase_requests() -> DailyPurchaseCheck:
    """The morning check (每天补充警戒库存): a draft 进货单 for every SKU at or below its warning level that has no
    open request; the drafts this job raised earlier and nobody has ordered yet get today's quantity; and the listed
    goods that are out of stock, for the shop manager to delist (they show on the stock page).

    Safe to run twice and next to a person raising one by hand: the partial unique constraint keeps one open
    request per SKU and conflicting inserts are skipped.
    """
    with job_statements():  # one pass over the catalogue: planned for its own values (shop_ops/plans.py)
        return _raise_purchase_requests()


def _raise_purchase_requests() -> DailyPurchaseCheck:
    low = (
        Sku.objects.filter(warning_level__gt=0)
        .annotate(total=Sum("levels__on_hand", default=0))
        .filter(total__lte=F("warning_level"))
    )
    candidates = low.exclude(purchase_requests__status__in=ACTIVE_PURCHASE_STATUSES)
    requests = [
        PurchaseRequest(
            sku=sku,
            quantity=_refill_quantity(sku, sku.total),
            on_hand_when_raised=sku.total,
            reason=_("At or below the warning level (%(level)s)") % {"level": sku.warning_level},
        )
        for sku in candidates
    ]
    updated = 0
    with transaction.atomic():
        PurchaseRequest.objects.bulk_create(requests, ignore_conflicts=True)
        # Drafts raised by this job (no person named) that are still open follow the stock; a person's request or
        # one already ordered is left as it is.
        drafts = (
            PurchaseRequest.objects.select_for_update()
            .filter(status=PurchaseRequestStatus.OPEN, created_by__isnull=True, sku__in=low.values("pk"))
            .exclude(pk__in=[r.pk for r in requests if r.pk])
        )
        totals = {sku.pk: sku for sku in low.filter(pk__in=drafts.values("sku_id"))}
        for draft in drafts:
            sku = totals[draft.sku_id]
            quantity = _refill_quantity(sku, sku.total)
            if (draft.quantity, draft.on_hand_when_raised) != (quantity, sku.total):
                draft.quantity, draft.on_hand_when_raised = quantity, sku.total
                draft.save(update_fields=["quantity", "on_hand_when_raised", "updated_at"])
                updated += 1
    from .selectors import skus_to_delist

    return DailyPurchaseCheck(
        raised=requests, updated=updated, to_delist=list(skus_to_delist().values_list("code", flat=True))
    )


@transaction.atomic
def create_purchase_request(*, sku: Sku, quantity: int, user, reason: str = "") -> PurchaseRequest:
    """A receiving clerk raises a 进货单 by hand."""
    if quantity < 1:
        raise InventoryError(_("The quantity must be at least 1."), field="quantity")
    if PurchaseRequest.objects.filter(sku=sku, status__in=ACTIVE_PURCHASE_STATUSES).exists():
        raise InventoryConflict(_("%(sku)s already has an open purchase request.") % {"sku": sku.code}, field="sku")
    on_hand = sku.levels.aggregate(total=Sum("on_hand", default=0))["total"]
    try:
        with transaction.atomic():
            return PurchaseRequest.objects.create(
                sku=sku, quantity=quantity, created_by=user, reason=reason, on_hand_when_raised=on_hand
            )
    except IntegrityError:
        raise InventoryConflict(_("%(sku)s already has an open purchase request.") % {"sku": sku.code}) from None


@transaction.atomic
def change_purchase_request_status(
    *,
    request: PurchaseRequest,
    status: str,
    user,
    location: Location | None = None,
    received_quantity: int | None = None,
) -> PurchaseRequest:
    """Move a 进货单 along open → ordered → received (or cancelled). Receiving posts the receipt at `location`."""
    request = PurchaseRequest.objects.select_for_update().select_related("sku").get(pk=request.pk)
    if status not in PURCHASE_TRANSITIONS.get(request.status, set()):
        raise InvalidTransition(
            _("A purchase request that is %(current)s cannot become %(new)s.")
            % {
                "current": request.get_status_display(),
                "new": PurchaseRequestStatus(status).label if status in PurchaseRequestStatus.values else status,
            }
        )
    if status == PurchaseRequestStatus.RECEIVED:
        if location is None:
            raise InventoryError(_("Choose the location the goods were put away at."), field="location")
        quantity = received_quantity or request.quantity
        post_movements(
            movements=[
                MovementInput(
                    request.sku_id,
                    location.pk,
                    MovementKind.RECEIPT,
                    quantity,
                    _("Purchase request received"),
                    f"PR-{request.pk}",
                )
            ],
            user=user,
        )
    request.status = status
    request._history_user = user
    request.save(update_fields=["status", "updated_at"])
    return request


# --- Orders (打单 → 配货 → 打包 → 发货) ---------------------------------------------------------------------------

ORDER_STEPS = {
    OrderStatus.NEW: OrderStatus.PRINTED,
    OrderStatus.PRINTED: OrderStatus.PICKED,
    OrderStatus.PICKED: OrderStatus.PACKED,
    OrderStatus.PACKED: OrderStatus.SHIPPED,
}


def _locked_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _shortages_for(order: Order) -> list[str]:
    lines = list(order.lines.select_related("sku"))
    totals = dict(
        StockLevel.objects.filter(sku_id__in=[line.sku_id for line in lines])
        .values_list("sku_id")
        .annotate(total=Sum("on_hand"))
    )
    return [
        f"{line.sku.code} ({totals.get(line.sku_id, 0)}/{line.quantity})"
        for line in lines
        if totals.get(line.sku_id, 0) < line.quantity
    ]


def advance_order(*, order: Order, to_status: str, user) -> Order:
    """Move an order one step on: checked and printed (审核打印), then picked (配货); or cancel it. Packing goes
    through `pack_order` (the packing check) and shipping through `ship_order` (courier and tracking number).
    Flagged orders wait for customer service. Picking an order the shelves cannot fill flags it for customer service
    instead (缺货订单第一时间移交客服)."""
    if to_status == OrderStatus.PACKED:
        raise InvalidTransition(_("Pack an order with the packing check: scan what goes into the parcel."))
    if to_status == OrderStatus.SHIPPED:
        raise InvalidTransition(_("Ship an order with its courier and tracking number."))
    with transaction.atomic():
        order = _locked_order(order)
        if to_status == OrderStatus.CANCELLED:
            if order.status == OrderStatus.SHIPPED:
                raise InvalidTransition(_("A shipped order cannot be cancelled; record a return instead."))
            if order.needs_customer_service and not can_cancel_flagged_orders(user):
                # Whether the customer still wants it is what customer service is asking.
                raise NotForYou(
                    _(
                        "Order %(number)s is with customer service (%(reason)s); customer service or a manager "
                        "decides whether it is cancelled."
                    )
                    % {"number": order.number, "reason": order.flag_reason}
                )
            order.status = OrderStatus.CANCELLED
            order.needs_customer_service = False  # the cancellation is customer service's answer
            order.save(update_fields=["status", "needs_customer_service", "updated_at"])
            return order
        if ORDER_STEPS.get(order.status) != to_status:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; it cannot move to that step.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        if order.needs_customer_service:
            raise InvalidTransition(
                _("Order %(number)s waits for customer service: %(reason)s")
                % {"number": order.number, "reason": order.flag_reason}
            )
        if to_status == OrderStatus.PICKED:
            short = _shortages_for(order)
            if short:
                order.needs_customer_service = True
                order.flag_reason = (_("Out of stock: %(list)s") % {"list": ", ".join(short)})[:200]
                order.flagged_by, order.flagged_at = user, timezone.now()
                order.save(
                    update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"]
                )
                return order
        order.status = to_status
        order.save(update_fields=["status", "updated_at"])
        return order


@dataclass(frozen=True)
class PackedItem:
    """What the packer scanned into the parcel: a SKU code or barcode and how many."""

    code: str
    quantity: int = 1


def _describe(sku: Sku) -> str:
    return " ".join(part for part in (sku.code, sku.colour, sku.size) if part)


def _packed_skus(items: Sequence[PackedItem]) -> dict[str, Sku]:
    """The SKU behind each scanned code (a SKU code in any letter case or width, or a barcode), keyed by the code
    as scanned (stripped); unknown codes are left out."""
    from .selectors import sku_key, skus_by_code

    codes = {item.code.strip() for item in items}
    by_code = skus_by_code(codes)
    barcodes = {plain_text(code) for code in codes if sku_key(code) not in by_code}
    by_barcode = {sku.barcode: sku for sku in Sku.objects.filter(barcode__in=barcodes).exclude(barcode="")}
    found = {code: by_code[sku_key(code)] for code in codes if sku_key(code) in by_code}
    found |= {code: by_barcode[plain_text(code)] for code in codes if plain_text(code) in by_barcode}
    return found


def packing_mismatches(*, order: Order, items: Sequence[PackedItem]) -> list[str]:
    """Compare the parcel with the order line by line: SKU (so item number, colour and size) and quantity. Returns a
    readable list of every difference; empty when the parcel is right."""
    expected: dict[int, int] = defaultdict(int)
    skus: dict[int, Sku] = {}
    for line in order.lines.select_related("sku"):
        expected[line.sku_id] += line.quantity
        skus[line.sku_id] = line.sku
    found = _packed_skus(items)
    problems, packed = [], defaultdict(int)
    for item in items:
        if item.quantity < 1:
            problems.append(_("%(code)s: the quantity must be at least 1.") % {"code": item.code})
            continue
        sku = found.get(item.code.strip())
        if sku is None:
            problems.append(_("%(code)s is not a known SKU or barcode.") % {"code": item.code})
            continue
        packed[sku.pk] += item.quantity
        skus[sku.pk] = sku
    extras = {pk: n for pk, n in packed.items() if pk not in expected}
    for pk, want in expected.items():
        got = packed.get(pk, 0)
        sku = skus[pk]
        if got == want:
            continue
        if got:
            problems.append(
                _("%(sku)s: %(got)s packed, the order has %(want)s.")
                % {"sku": _describe(sku), "got": got, "want": want}
            )
            continue
        # Nothing of this SKU: name the look-alike that went in instead (same item number, other colour or size).
        swap = next((skus[x] for x in extras if sku.style_code and skus[x].style_code == sku.style_code), None)
        if swap is None:
            problems.append(_("%(sku)s × %(want)s is missing.") % {"sku": _describe(sku), "want": want})
            continue
        differs = []
        if swap.colour != sku.colour:
            differs.append(_("colour %(want)s, not %(got)s") % {"want": sku.colour, "got": swap.colour})
        if swap.size != sku.size:
            differs.append(_("size %(want)s, not %(got)s") % {"want": sku.size, "got": swap.size})
        problems.append(
            _("%(sku)s was ordered but %(other)s was packed (%(what)s).")
            % {"sku": _describe(sku), "other": _describe(swap), "what": ", ".join(differs) or _("another SKU")}
        )
        extras.pop(swap.pk)
    for pk, n in extras.items():
        problems.append(_("%(sku)s × %(n)s is not in the order.") % {"sku": _describe(skus[pk]), "n": n})
    return problems


def pack_order(*, order: Order, items: Sequence[PackedItem], user) -> Order:
    """The packing check (打包核对): what went into the parcel must match the order in SKU, colour, size and quantity.
    A match packs the order; a mismatch blocks packing and hands the order to customer service with the differences
    (the order stays picked, nothing is posted). A code that is no SKU or barcode at all is a typo or a bad scan:
    it is refused with "scan again" and the order stays where it was."""
    if not items:
        raise InventoryError(_("Scan or type at least one item."), field="items")
    found = _packed_skus(items)
    unknown = list(dict.fromkeys(item.code.strip() for item in items if item.code.strip() not in found))
    if unknown:
        raise InventoryError(
            _("%(codes)s: not a known SKU or barcode. Scan it again.") % {"codes": ", ".join(unknown)}, field="items"
        )
    with transaction.atomic():
        order = _locked_order(order)
        if order.status != OrderStatus.PICKED:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; only a picked order can be packed.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        if order.needs_customer_service:
            raise InvalidTransition(
                _("Order %(number)s waits for customer service: %(reason)s")
                % {"number": order.number, "reason": order.flag_reason}
            )
        problems = packing_mismatches(order=order, items=items)
        if problems:
            order.needs_customer_service = True
            order.flag_reason = (_("Packing check failed: %(list)s") % {"list": " ".join(problems)})[:200]
            order.flagged_by, order.flagged_at = user, timezone.now()
            order.save(
                update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"]
            )
            return order
        order.status = OrderStatus.PACKED
        order.save(update_fields=["status", "updated_at"])
        return order


def ship_order(*, order: Order, tracking_number: str, user, courier: str = "") -> Order:
    """Hand a packed order to the courier (发货): record courier and tracking number and post the shipment movements
    from the bins holding the most, all in one transaction (将每天发出的订单在系统中减除)."""
    tracking_number = plain_text(tracking_number)  # ＳＦ１２３… from a Chinese keyboard is stored as SF123…
    if not tracking_number:
        raise InventoryError(_("Enter the tracking number."), field="tracking_number")
    if len(tracking_number) > 40:
        raise InventoryError(_("The tracking number is limited to 40 characters."), field="tracking_number")
    with transaction.atomic():
        order = _locked_order(order)
        if order.status != OrderStatus.PACKED:
            raise InvalidTransition(
                _("Order %(number)s is %(status)s; only a packed order can be shipped.")
                % {"number": order.number, "status": order.get_status_display()}
            )
        if order.needs_customer_service:
            raise InvalidTransition(_("Order %(number)s waits for customer service.") % {"number": order.number})
        courier = (courier or "").strip() or order.courier
        if not courier:
            raise InventoryError(_("Enter the courier."), field="courier")
        _ship(order=order, user=user)
        order.status = OrderStatus.SHIPPED
        order.courier, order.tracking_number = courier[:30], tracking_number
        order.save(update_fields=["status", "courier", "tracking_number", "shipped_at", "updated_at"])
        return order


def _ship(*, order: Order, user) -> None:
    """Take each line from the location holding most of that SKU (将每天发出的订单在系统中减除)."""
    movements = []
    for line in order.lines.all():
        level = (
            StockLevel.objects.filter(sku_id=line.sku_id, on_hand__gte=line.quantity).order_by("-on_hand", "pk").first()
        )
        if level is None:
            raise InsufficientStock(
                _("No single location holds %(n)s of %(sku)s; transfer stock first or flag the order.")
                % {"n": line.quantity, "sku": line.sku.code},
                shortages=[],
            )
        movements.append(
            MovementInput(
                line.sku_id, level.location_id, MovementKind.SHIPMENT, -line.quantity, _("Order shipped"), order.number
            )
        )
    post_movements(movements=movements, user=user)
    order.shipped_at = timezone.now()


@transaction.atomic
def flag_order(*, order: Order, reason: str, user) -> Order:
    """Hand a doubtful order to customer service (有疑义的订单移交客服); it stops until they resolve it. An order
    already with customer service is not handed over again: the first reason and who gave it stay."""
    order = _locked_order(order)
    reason = (reason or "").strip()
    if not reason:
        raise InventoryError(_("Say what customer service should check."), field="reason")
    if order.status in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        raise InvalidTransition(_("A shipped or cancelled order cannot be flagged."))
    if order.needs_customer_service:
        since = order.flagged_at or order.updated_at
        raise InvalidTransition(
            _("Order %(number)s is already with customer service since %(since)s, by %(who)s: %(reason)s")
            % {
                "number": order.number,
                "since": f"{timezone.localtime(since):%Y-%m-%d %H:%M}",
                "who": order.flagged_by or "—",
                "reason": order.flag_reason,
            },
            field="reason",
        )
    order.needs_customer_service = True
    order.flag_reason = reason[:200]
    order.flagged_by, order.flagged_at = user, timezone.now()
    order.save(update_fields=["needs_customer_service", "flag_reason", "flagged_by", "flagged_at", "updated_at"])
    return order


@transaction.atomic
def resolve_order_flag(*, order: Order, note: str, user) -> Order:
    """Customer service answers a flagged order; the warehouse carries on from the step it stopped at. Only
    customer service answers (`can_answer_flagged_orders`), and never the person who handed the order over."""
    if not can_answer_flagged_orders(user):
        raise NotForYou(_("Only customer service answers an order handed to customer service."))
    order = _locked_order(order)
    note = (note or "").strip()
    if not order.needs_customer_service:
        raise InvalidTransition(_("This order is not waiting for customer service."))
    if order.flagged_by_id is not None and order.flagged_by_id == user.pk:
        raise NotForYou(
            _("You handed this order to customer service; a colleague in customer service answers it, not you.")
        )
    if not note:
        raise InventoryError(_("Write what was agreed with the customer."), field="note")
    order.needs_customer_service = False
    order.resolution_note = note[:200]
    order.save(update_fields=["needs_customer_service", "resolution_note", "updated_at"])
    return order


@dataclass(frozen=True)
class OrderInput:
    number: str
    recipient: str
    address: str
    lines: list[tuple[int, int]]  # (sku_id, quantity)
    phone: str = ""
    courier: str = ""


@transaction.atomic
def create_orders(*, orders: Sequence[OrderInput]) -> list[Order]:
    """Create orders with their lines, all or none (an import of the day's orders)."""
    numbers = [o.number for o in orders]
    taken = set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
    if taken:
        raise InventoryConflict(_("These orders exist already: %(list)s.") % {"list": ", ".join(sorted(taken))})
    created = Order.objects.bulk_create(
        [
            Order(number=o.number, recipient=o.recipient, address=o.address, phone=o.phone, courier=o.courier)
            for o in orders
        ]
    )
    if not all(order.pk for order in created):  # SQLite before 3.35 returns no ids from bulk_create
        created = list(Order.objects.filter(number__in=numbers))
    by_number = {order.number: order for order in created}
    OrderLine.objects.bulk_create(
        [OrderLine(order=by_number[o.number], sku_id=s, quantity=q) for o in orders for s, q in o.lines]
    )
    return created


# --- Excel export of the 进销存 summary (a job row the page polls) ---------------------------------------------------


def request_summary_export(*, month: datetime.date, user, text: str = "") -> InventoryJob:
    """Queue the Excel export of a month's summary: a job row now, the file written by a Celery task, which the page
    polls until it offers the download."""
    text = (text or "").strip()
    if len(text) > 100:
        raise InventoryError(_("The search text is limited to 100 characters."), field="q")
    if not date_in_range(month):
        raise InventoryError(
            _("Choose a month between %(first)d and %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            field="month",
        )
    from .tasks import export_summary_job

    with transaction.atomic():
        job = InventoryJob.objects.create(
            kind=JobKind.SUMMARY_EXPORT, month=month_start(month), search=text, requested_by=user
        )
        # The worker writes the headers in the language of the page that asked for the file.
        jobs.enqueue(export_summary_job, args=[job.pk, translation.get_language() or settings.LANGUAGE_CODE])
    return job


def run_summary_export_job(*, job_id: int) -> InventoryJob:
    """Worker side of an export: compute the summary, stream it to .xlsx with progress every 1 000 rows, store the
    file on the job. Safe to run twice: a finished job is left alone, a failed one is redone from the start."""
    from django.core.files.base import ContentFile

    from .exports import summary_workbook
    from .selectors import blind_warehouse_ids, monthly_summary

    job = InventoryJob.objects.get(pk=job_id, kind=JobKind.SUMMARY_EXPORT)
    if job.status == JobStatus.DONE:
        return job
    InventoryJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, error="", done=0)
    try:
        # Written for the person who asked: a blind-counted warehouse hidden from them is left out of their file.
        hidden = blind_warehouse_ids(user=job.requested_by) if job.requested_by_id else frozenset()
        summary = monthly_summary(month=job.month, text=job.search, hidden_warehouses=hidden)
        total = len(summary.rows)
        InventoryJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            InventoryJob.objects.filter(pk=job.pk).update(done=min(done, total))

        data = summary_workbook(summary, progress=progress)
        job.file.save(f"stock-summary-{job.month:%Y-%m}-{job.pk}.xlsx", ContentFile(data), save=False)
    except Exception as exc:
        InventoryJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(getattr(exc, "message", exc))[:1000], finished_at=timezone.now()
        )
        raise
    InventoryJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, done=total, file=job.file.name, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job
