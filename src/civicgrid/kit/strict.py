"""Input types that refuse what lax coercion would turn into nonsense."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def require_iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` text (or a date) is a day: ``0`` or ``1700000000`` are not read as
    seconds since 1970."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("日期须写作 YYYY-MM-DD (a day must be written as YYYY-MM-DD)")


IsoDay = Annotated[date, BeforeValidator(require_iso_day)]
