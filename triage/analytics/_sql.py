"""SQL pieces the analytics queries share, written once so they run unchanged on SQLite and PostgreSQL.

Functions that each database spells differently (seconds between two timestamps, a UTC day, a JSON column's
text) compile per dialect; the rest are small builders: a conditional count, a median by window functions,
a join condition over several columns, what counts as a step event and as an abandoned session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, and_, case, func, literal_column, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from triage.analytics.rows import ABANDONED_AFTER
from triage.records.schema import EventRow, SessionRow
from triage.trees.model import ActionResult

Col = ColumnElement[Any] | InstrumentedAttribute[Any]
STEP_EVENTS = ("answer", "tried")
# written out as literals, in the index's order, so SQLite can use the partial index ix_events_steps
IS_STEP = EventRow.type.in_([literal_column(f"'{t}'") for t in STEP_EVENTS])
# action answers are stored as JSON strings; comparing the JSON text works the same on both databases
RESULTS = {r.value: f'"{r.value}"' for r in ActionResult}


class seconds_between(FunctionElement[float]):
    """Seconds from the first timestamp to the second (SQLite keeps timestamps as text)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day, "sqlite")
def _day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({col})"


@compiles(utc_day)
def _day_default(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class json_text(FunctionElement[str]):
    """A JSON column's text: comparable and groupable (PostgreSQL's ``json`` has no equality)."""

    type = String()
    inherit_cache = True
    name = "json_text"


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps JSON as text already; the bare column lets the index deliver it in order
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return col


@compiles(json_text)
def _json_text_default(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    (col,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST({col} AS TEXT)"


def count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def median(
    keys: Sequence[Col],
    value: Col,
    where: Sequence[ColumnElement[bool]],
) -> Any:
    """A subquery of ``keys`` (as k0, k1, ...) and the median of ``value`` per group: the middle row(s) by
    ``row_number()`` among ``count()`` rows."""
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    part = list(keys) or None
    inner = (
        select(
            *labelled,
            value.label("x"),
            func.row_number().over(partition_by=part, order_by=value).label("rn"),
            func.count().over(partition_by=part).label("n"),
        )
        .where(*where, value.is_not(None))
        .subquery()
    )
    ks = [inner.c[f"k{i}"] for i in range(len(keys))]
    return (
        select(*ks, func.avg(inner.c.x).label("median"))
        .where(inner.c.rn >= (inner.c.n + 1) // 2, inner.c.rn <= (inner.c.n + 2) // 2)
        .group_by(*ks)
        .subquery()
    )


def on(left: Sequence[Col], right: Sequence[Col]) -> ColumnElement[bool]:
    return and_(true(), *(a == b for a, b in zip(left, right, strict=True)))


def abandoned(now: datetime) -> ColumnElement[bool]:
    return and_(SessionRow.status == "open", SessionRow.updated_at < now - ABANDONED_AFTER)
