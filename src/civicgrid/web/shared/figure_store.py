"""The second level of the dashboard's figure cache: closed months' figures shared by every app
process through Redis (when ``CIVICGRID_REDIS_URL`` is set), so a month counted by one server
process is not counted again by the other, nor after a restart.

An entry is the figures of one stretch with the watermark they were counted at; whoever reads
it checks it against the appeals' timeline exactly as an in-process entry is checked
(:class:`~civicgrid.web.shared.figure_cache.FigureCache`), so a shared entry is never served
stale. Keys carry the identity of the database (PostgreSQL's system identifier and the
database's oid: a database dropped and created again under the same name is another
database, whose event ids mean something else) besides the scope and the stretch. Only
PostgreSQL databases are shared (SQLite serves one process). Redis being down costs the shared
level, never a page: every error falls back to counting.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# How long Redis keeps an entry no process has written since (a closed month's figures are
# rewritten whenever a process recounts them or moves their watermark).
TTL = timedelta(days=7)
PREFIX = "civicgrid:figures:v1"

SharedKey = tuple[str, datetime, datetime]


@dataclass(frozen=True, slots=True)
class StretchFigures:
    """The received/closed-based figures of one stretch of days within one data scope."""

    received_per_day: dict[date, int] = field(default_factory=dict)
    closed_per_day: dict[date, int] = field(default_factory=dict)
    per_category: dict[str, int] = field(default_factory=dict)
    per_region: dict[int, int] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        """How many counts the entry holds (its weight against the cache's bound)."""
        return 1 + sum(
            len(d)
            for d in (
                self.received_per_day,
                self.closed_per_day,
                self.per_category,
                self.per_region,
            )
        )


@dataclass(frozen=True, slots=True)
class SharedEntry:
    """An entry as shared: the figures, the watermark they were counted at and when that
    watermark's event happened (checked before the entry is trusted)."""

    figures: StretchFigures
    watermark: int
    watermark_at: datetime


class SharedFigureStore(Protocol):
    """Where the cache's second level lives: entries by (scope key, start, end)."""

    def get_many(self, session: Session, keys: Sequence[SharedKey]) -> list[SharedEntry | None]: ...

    def put_many(
        self, session: Session, entries: Sequence[tuple[SharedKey, SharedEntry]]
    ) -> None: ...


def database_identity(session: Session) -> str | None:
    """Who the database is (PostgreSQL: the cluster's system identifier and the database's
    oid), or None when its figures are not shared: not PostgreSQL, or a role that may not read
    the system identifier (asked inside a savepoint, so a refusal leaves the transaction
    usable)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    try:
        with session.begin_nested():
            row = session.execute(
                text(
                    "SELECT (SELECT system_identifier FROM pg_control_system()), "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).one()
    except DBAPIError:
        log.warning("shared figure cache off: the database's identity is not readable")
        return None
    return f"{row[0]}.{row[1]}"


def encode(entry: SharedEntry) -> str:
    """An entry as JSON text."""
    figures = entry.figures
    return json.dumps(
        {
            "w": entry.watermark,
            "t": entry.watermark_at.isoformat(),
            "r": {d.isoformat(): n for d, n in figures.received_per_day.items()},
            "c": {d.isoformat(): n for d, n in figures.closed_per_day.items()},
            "k": figures.per_category,
            "g": {str(r): n for r, n in figures.per_region.items()},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode(raw: str | bytes) -> SharedEntry:
    """An entry from its JSON text (:func:`encode`)."""
    data: dict[str, Any] = json.loads(raw)
    figures = StretchFigures(
        received_per_day={date.fromisoformat(d): int(n) for d, n in data["r"].items()},
        closed_per_day={date.fromisoformat(d): int(n) for d, n in data["c"].items()},
        per_category={str(k): int(n) for k, n in data["k"].items()},
        per_region={int(r): int(n) for r, n in data["g"].items()},
    )
    return SharedEntry(figures, int(data["w"]), datetime.fromisoformat(data["t"]))


class RedisFigureStore:
    """Entries in Redis under ``PREFIX:<database>:<scope hash>:<start>:<end>``."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        import redis  # the dependency is declared; imported only when Redis is configured

        self._prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._database: str | None = None

    def _keys(self, session: Session, keys: Sequence[SharedKey]) -> list[str] | None:
        if self._database is None:
            self._database = database_identity(session) or ""
        if not self._database:
            return None
        return [
            ":".join(
                (
                    self._prefix,
                    self._database,
                    hashlib.sha256(scope.encode()).hexdigest()[:32],
                    start.isoformat(),
                    end.isoformat(),
                )
            )
            for scope, start, end in keys
        ]

    def get_many(self, session: Session, keys: Sequence[SharedKey]) -> list[SharedEntry | None]:
        names = self._keys(session, keys) if keys else None
        if not names:
            return [None] * len(keys)
        try:
            raws = self._redis.mget(names)
        except Exception:  # Redis down: count instead
            log.warning("shared figure cache unavailable", exc_info=True)
            return [None] * len(keys)
        return [decode(raw) if raw is not None else None for raw in raws]

    def put_many(self, session: Session, entries: Sequence[tuple[SharedKey, SharedEntry]]) -> None:
        names = self._keys(session, [key for key, _entry in entries]) if entries else None
        if not names:
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for name, (_key, entry) in zip(names, entries, strict=True):
                    pipe.set(name, encode(entry), ex=TTL)
                pipe.execute()
        except Exception:  # Redis down: the in-process level still holds them
            log.warning("shared figure cache unavailable", exc_info=True)
