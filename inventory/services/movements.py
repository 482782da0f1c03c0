"""Stock movements: the ledger and the stock levels change together, only through here."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import INBOUND_KINDS, OUTBOUND_KINDS, MovementKind
from ..exceptions import InsufficientStock, InventoryError
from ..models import Location, Sku, StockLevel, StockMovement
from ..money import to_cent
from ..permissions import can_override_negative

# The most units one movement may move, and so the most one count line may record (a count line becomes a movement).
MAX_QUANTITY = 1_000_000


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
    if movement.kind == MovementKind.LOSS and not movement.reason.strip():
        # A write-off outside a count has no loss report: its reason is all finance and the ledger will have.
        return _("Say why the stock is written off (broken, lost…): a loss needs its reason.")
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
            from ..selectors import blind_warehouse_ids

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
