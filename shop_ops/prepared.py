"""Queries that every request makes (session, signed-in user) or that the busiest pages make, compiled by the ORM
once per process instead of once per request.

Reading the session and the signed-in user are two tiny indexed lookups, yet turning their querysets into SQL
costs the web process several times more than PostgreSQL takes to answer them (measured: about 0.3–0.8 ms of
CPU to compile and build the objects against 0.06 ms to run the SQL). `PreparedQuery` keeps the SQL the ORM
produced and only swaps in the parameters: the query is still written as a queryset, so a changed model or
database changes the SQL with it, and it still runs through Django's connection (query logging, transactions,
errors handled as any other query).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


def _adapt(connection, value):
    """A value as the database adapter receives it among a compiled query's parameters."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return connection.ops.adapt_datefield_value(value)
    return value


# Integer columns are at most signed 64-bit (BigAutoField) on both databases.
_SMALLEST_INT, _LARGEST_INT = -(2**63), 2**63 - 1


def _out_of_range(value) -> bool:
    return isinstance(value, int) and not _SMALLEST_INT <= value <= _LARGEST_INT


def _marker(kind: type, number: int):
    """A value of `kind` that no real query passes: the stand-in for the parameter at compile time."""
    if kind is int:
        return -424_242 - number
    if kind is str:
        return f"shopops-prepared-marker-{number}"
    if kind is datetime.date:
        return datetime.date(1901, 1, 1) + datetime.timedelta(days=number)
    raise TypeError(f"PreparedQuery parameters are int, str or datetime.date, not {kind.__name__}.")


class PreparedQuery:
    """`make_queryset(*parameters)` built and compiled once per database; `rows(*values)` (a `values_list` query)
    or `objects(*values)` (a model query, `select_related` followed) runs that SQL with the values in the
    parameters' places and returns what the queryset would have.

    `kinds` are the parameters' types (int, str or datetime.date): the queryset is compiled with a stand-in value
    of each, which must then occur among the SQL's parameters exactly where it was passed (a date may be used
    several times); compiling fails if one is not found. Integer parameters are compared for equality: a value
    outside the 64-bit range matches nothing, so the query returns no rows without reaching the database.
    """

    def __init__(self, make_queryset: Callable[..., QuerySet], *kinds: type):
        self.make_queryset = make_queryset
        self.markers = [_marker(kind, number) for number, kind in enumerate(kinds)]
        self._compiled: dict[tuple[str, str], tuple] = {}

    def _compile(self, using: str):
        connection = connections[using]
        key = (using, connection.settings_dict["NAME"])
        compiled = self._compiled.get(key)
        if compiled is None:
            compiler = self.make_queryset(*self.markers).query.get_compiler(using)
            sql, params = compiler.as_sql()
            params = list(params)
            positions = []
            for marker in self.markers:
                found = [i for i, param in enumerate(params) if param == _adapt(connection, marker)]
                if not found or (len(found) > 1 and not isinstance(marker, datetime.date)):
                    raise ValueError(f"Marker {marker!r} appears {len(found)} times in the parameters: {params!r}")
                positions.append(found)
            klass_info = compiler.klass_info  # None for a values_list query
            populators = get_related_populators(klass_info, compiler.select, using) if klass_info else []
            # What results_iter() would work out on every call: the converters of the selected columns.
            columns = [column[0] for column in compiler.select[: compiler.col_count]]
            if compiler.has_composite_fields(columns):
                raise ValueError("PreparedQuery does not read composite primary keys.")
            converters = compiler.get_converters(columns)
            compiled = self._compiled[key] = (compiler, sql, params, positions, populators, converters)
        return compiled

    def _run(self, values, using):
        compiled = self._compile(using)
        compiler, sql, params, positions, _, converters = compiled
        if any(_out_of_range(value) for value in values):
            # An id no column can hold (a URL such as /payslips/99999999999999999999/) matches no row, as the ORM's
            # own lookups answer; SQLite could not even bind it (OverflowError, a 500).
            return compiled, []
        connection = connections[using]
        params = list(params)
        for found, value in zip(positions, values, strict=True):
            for position in found:
                params[position] = _adapt(connection, value)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if converters:
            return compiled, map(tuple, compiler.apply_converters(fetched, converters))
        return compiled, fetched

    def rows(self, *values: Any, using: str = "default") -> list[tuple]:
        return list(self._run(values, using)[1])

    def objects(self, *values: Any, using: str = "default") -> list:
        """Model instances, as iterating the queryset gives them (related objects of `select_related` filled in,
        fields left out by `only` deferred, annotations set)."""
        (compiler, *_, populators, _), rows = self._run(values, using)
        klass_info, select = compiler.klass_info, compiler.select
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        annotations = compiler.annotation_col_map.items()
        found = []
        for row in rows:
            instance = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found
