"""Is a database error an outage (the server cannot be reached) rather than a faulty
statement? Shared by the 503 answers of the app and the job loop."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLite's OperationalError covers both "the file is busy or gone" and statement errors ("no
# such table"); only these texts mean the database cannot serve right now.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")
# PostgreSQL states that mean the server cannot serve right now: connection exceptions (class
# 08) and operator intervention (admin shutdown, crash shutdown, cannot connect now).
_PG_UNAVAILABLE_CLASSES = ("08",)
_PG_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def is_unreachable(exc: BaseException) -> bool:
    """Does ``exc`` say the database cannot be reached (rather than that a statement is wrong)?

    Pool time-outs, errors on a connection SQLAlchemy has invalidated, DBAPI
    ``InterfaceError``s, PostgreSQL errors without an SQL state (libpq could not connect or lost
    the connection) or in the connection/shutdown states, and SQLite's busy/unopenable file
    count. A statement error (missing column, constraint, syntax) does not: it stays a 500."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    if exc.connection_invalidated:
        return True
    kind = type(exc.orig).__name__
    if kind == "InterfaceError":
        return True
    if kind != "OperationalError":
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return str(exc.orig).lower().startswith(_SQLITE_UNAVAILABLE)
    state = getattr(exc.orig, "sqlstate", None)
    if state is None:
        return True
    return state.startswith(_PG_UNAVAILABLE_CLASSES) or state in _PG_UNAVAILABLE_STATES


def first_line(exc: BaseException) -> str:
    """The driver's first line of text for a log line (no traceback)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return f"{type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0][:200]}"
