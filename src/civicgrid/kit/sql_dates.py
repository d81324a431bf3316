"""SQL expressions over timestamps that both engines understand (domain-free)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class BeijingDate(FunctionElement[date]):
    """The Beijing calendar date of a UTC timestamp column (same as ``kit.periods.local_date``),
    for grouping by local day in SQL."""

    type = Date()
    inherit_cache = True


@compiles(BeijingDate, "postgresql")
def _beijing_date_pg(element: BeijingDate, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai')::date"


@compiles(BeijingDate, "sqlite")
def _beijing_date_sqlite(element: BeijingDate, compiler: Any, **kw: Any) -> str:
    # SQLite stores naive UTC text; Beijing has kept UTC+8 without daylight saving since 1991.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"
