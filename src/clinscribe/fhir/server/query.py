"""Search criteria as SQL: each parameter of a type is a token, date or reference field.

The comparisons a date prefix means are written once in `fhir.core.search_dates`; here they
become SQL for an instant column (a point) or a day column (`[day, day + 1)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import SQLColumnExpression, and_, false, not_, or_, true

from clinscribe.fhir.core.search import Criterion, TokenValue
from clinscribe.fhir.core.search_dates import Comparison, condition, instant_end_op

Column = SQLColumnExpression[Any]


@dataclass(frozen=True)
class TokenField:
    """A coded column: its code expression and its system (a constant, or None for none)."""

    code: Column
    system: str | None = None
    system_column: Column | None = None  # when each row names its own system

    def clause(self, value: TokenValue) -> Column:
        code = self.code == value.code if value.code is not None else self.code.is_not(None)
        if value.system is None:
            return code
        if self.system_column is not None:
            if value.system == "":
                return and_(code, self.system_column.is_(None))
            return and_(code, self.system_column == value.system)
        if value.system != (self.system or ""):
            return false()
        return code


@dataclass(frozen=True)
class DateField:
    """A date column: `instant` (a timestamp, a point) or `day` (a date, the whole day)."""

    column: Column
    kind: Literal["instant", "day"] = "instant"

    def _compare(self, c: Comparison) -> Column:
        if self.kind == "instant":
            op = instant_end_op(c.op) if c.edge == "end" else c.op
            return _op(self.column, op, c.bound)
        # A day [d, d+1): start >= X is d >= ceil(X); end > X is d >= floor(X).
        floor = c.bound.date()
        ceil = floor if c.bound == _midnight(floor, c.bound) else floor + timedelta(days=1)
        if c.edge == "start":
            return _op(self.column, ">=" if c.op in (">=", ">") else "<", ceil)
        return self.column >= floor if c.op in (">", ">=") else self.column < floor

    def clause(self, value: Any) -> Column:
        cond = condition(value)
        both = and_(*(self._compare(c) for c in cond.all_of))
        return not_(both) if cond.negated else both


@dataclass(frozen=True)
class IdField:
    """A reference or `_id`: the column holding the id."""

    column: Column

    def clause(self, ids: tuple[str, ...]) -> Column:
        return self.column.in_(ids)


Field = TokenField | DateField | IdField


def _midnight(day: date, like: datetime) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=like.tzinfo)


def _op(column: Column, op: str, value: Any) -> Column:
    result: Column
    if op == ">=":
        result = column >= value
    elif op == ">":
        result = column > value
    elif op == "<":
        result = column < value
    else:
        result = column <= value
    return result


def criterion_clause(field: Field | list[Field], criterion: Criterion) -> Column:
    """The SQL for one parameter occurrence (alternatives OR-ed; a list of fields OR-ed too)."""
    fields = field if isinstance(field, list) else [field]
    parts: list[Column] = []
    for f in fields:
        if isinstance(f, IdField):
            parts.append(f.clause(criterion.ids))
        elif isinstance(f, DateField):
            parts.extend(f.clause(d) for d in criterion.dates)
        else:
            parts.extend(f.clause(t) for t in criterion.tokens)
    return or_(*parts) if parts else true()
