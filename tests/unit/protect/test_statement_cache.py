"""The statements intake runs on every request are built once and have a SQLAlchemy cache key,
so they are compiled once per process (a statement without a key, e.g. a multi-row VALUES
insert, is compiled again on every execution: 3-4 ms of CPU per appeal on the intake path)."""

from __future__ import annotations

import pytest
from sqlalchemy import Executable

import civicgrid.models_index  # noqa: F401 - registers every table
from civicgrid.appeals.service.intake import _NEXT_NUMBER, _SUBMISSION
from civicgrid.protect.throttle import _INCR


def _cacheable(stmt: Executable) -> bool:
    return stmt._generate_cache_key() is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_the_number_and_submission_statements_have_a_cache_key(dialect: str) -> None:
    statements = (*_SUBMISSION[dialect], _NEXT_NUMBER[dialect])
    assert all(_cacheable(s) for s in statements)


@pytest.mark.parametrize("postgresql", [False, True])
def test_the_throttle_counter_statement_has_a_cache_key(postgresql: bool) -> None:
    assert _cacheable(_INCR[postgresql])
