"""Limit/offset pages shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_LIMIT = 200

T = TypeVar("T")
ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


def fetch_page(
    session: Session, stmt: Select[T], *, limit: int, offset: int
) -> tuple[Sequence[T], int]:
    """Rows of one page plus the total count of the filtered query."""
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(stmt.limit(limit).offset(offset)).scalars().all()
    return rows, int(total)


def page_of(items: Sequence[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}
