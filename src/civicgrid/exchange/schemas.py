"""Pydantic schemas of the 12345 exchange JSON API: the row report of an import and the
history of earlier imports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RowErrorRead(BaseModel):
    """One finding about one row of the file."""

    row: int = Field(description="the row number in the file (the header is row 1)")
    field: str = Field(description="the civicgrid field (external_no, units, district …)")
    message: str = Field(description="一句中文说明")


class ExchangeReportRead(BaseModel):
    """The row report of an import (or of a dry run, which stores nothing)."""

    mode: str = Field(description="all-or-nothing or valid-rows")
    dry_run: bool
    total_rows: int
    valid_rows: int
    created: int = Field(description="new appeals (a dry run: would be created)")
    updated: int = Field(description="appeals imported before, updated (a dry run: would be)")
    rejected: bool = Field(description="all-or-nothing with an invalid row: nothing was stored")
    error_rows: int
    errors: list[RowErrorRead]
    unmapped_categories: list[RowErrorRead] = Field(
        description="rows whose 诉求分类 matches no catalogue item (imported without a category)"
    )
    unmatched_names: list[RowErrorRead] = Field(
        description="承办单位 / 所属区/街道 names the territory does not know (not guessed)"
    )


class ImportRunRead(BaseModel):
    """One earlier import (dry runs store nothing and are not listed)."""

    at: datetime
    actor: str
    mode: str
    rows: int
    created: int
    updated: int
    error_rows: int
    unmapped_categories: int
    unmatched_names: int
