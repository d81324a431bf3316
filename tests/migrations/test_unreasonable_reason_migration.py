"""Migration 0008 on data, on both engines: appeals already marked unreasonable get the reason,
time and actor of their latest mark_unreasonable event, or a fixed text without one; unmarked
appeals stay empty; the downgrade removes the columns again. Runs inside the test's transaction
(DDL is transactional on SQLite and PostgreSQL), which is rolled back afterwards."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from civicgrid import migrate
from civicgrid.db import UTCDateTime

pytestmark = pytest.mark.slow

VERSIONS = Path(migrate.alembic_config().get_main_option("script_location") or "") / "versions"
AT_1 = datetime(2026, 10, 2, 3, 0, tzinfo=UTC)
AT_2 = datetime(2026, 10, 9, 6, 30, tzinfo=UTC)


def _revision_module() -> ModuleType:
    path = VERSIONS / "2026_11_23_1800_appeal_unreasonable_reason.py"
    spec = importlib.util.spec_from_file_location("rev_0008", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(connection: Connection, verb: str, revision: str) -> None:
    cfg = migrate.alembic_config()
    cfg.attributes["connection"] = connection
    getattr(command, verb)(cfg, revision)


def _columns(connection: Connection) -> set[str]:
    return {c["name"] for c in sa.inspect(connection).get_columns("appeal")}


appeal = sa.table(
    "appeal",
    *(
        sa.column(name)
        for name in [
            "id",
            "number",
            "channel",
            "flow",
            "appeal_type",
            "status",
            "level",
            "title",
            "content",
            "category",
            "address",
            "region_path",
            "caller_name_enc",
            "caller_phone_enc",
            "caller_phone_hash",
            "confidential",
            "anonymous",
            "disposition",
            "disposition_note",
            "reply_text",
            "reopen_count",
            "excluded_from_rates",
            "version",
        ]
    ),
    sa.column("received_at", UTCDateTime()),
)
event = sa.table(
    "appeal_event",
    *(
        sa.column(name)
        for name in [
            "id",
            "appeal_id",
            "action",
            "from_status",
            "to_status",
            "actor_user_id",
            "actor_label",
            "actor_role",
            "note",
        ]
    ),
    sa.column("at", UTCDateTime()),
    sa.column("detail", sa.JSON()),
)


def _appeal(connection: Connection, aid: int, *, excluded: bool) -> None:
    connection.execute(
        sa.insert(appeal).values(
            id=aid,
            number=f"20990101{aid:05d}",
            channel="hotline",
            flow="hotline",
            appeal_type="complaint",
            status="closed",
            level="general",
            title="t",
            content="c",
            category="",
            address="",
            region_path="",
            caller_name_enc="",
            caller_phone_enc="",
            caller_phone_hash="",
            confidential=False,
            anonymous=False,
            disposition="",
            disposition_note="",
            reply_text="",
            reopen_count=0,
            excluded_from_rates=excluded,
            version=1,
            received_at=AT_1,
        )
    )


def _event(connection: Connection, eid: int, aid: int, at: datetime, note: str, who: str) -> None:
    connection.execute(
        sa.insert(event).values(
            id=eid,
            appeal_id=aid,
            at=at,
            action="mark_unreasonable",
            from_status="replied",
            to_status="replied",
            actor_user_id=eid,
            actor_label=who,
            actor_role="supervisor",
            note=note,
            detail={},
        )
    )


def test_upgrade_backfills_marked_appeals_and_downgrade_removes_the_columns(
    connection: Connection,
) -> None:
    _run(connection, "downgrade", "0007")
    assert "unreasonable_reason" not in _columns(connection)
    base = 990_000
    _appeal(connection, base + 1, excluded=True)  # two events: the latest reason wins
    _event(connection, base + 11, base + 1, AT_1, "第一次认定", "督办员甲")
    _event(connection, base + 12, base + 1, AT_2, "复核后认定：无政策依据", "督办员乙")
    _appeal(connection, base + 2, excluded=True)  # marked, but no event with a note
    _event(connection, base + 21, base + 2, AT_1, "", "督办员甲")
    _appeal(connection, base + 3, excluded=False)  # an event, but not marked
    _event(connection, base + 31, base + 3, AT_1, "曾认定", "督办员甲")

    _run(connection, "upgrade", "0008")
    legacy = _revision_module().LEGACY_REASON
    result = sa.table(
        "appeal",
        sa.column("id"),
        sa.column("unreasonable_reason"),
        sa.column("unreasonable_at", UTCDateTime()),
        sa.column("unreasonable_by_user_id"),
        sa.column("unreasonable_by_label"),
    )
    rows = {
        r[0]: tuple(r[1:])
        for r in connection.execute(
            sa.select(result).where(result.c.id.between(base, base + 99)).order_by(result.c.id)
        )
    }
    assert rows == {
        base + 1: ("复核后认定：无政策依据", AT_2, base + 12, "督办员乙"),
        base + 2: (legacy, None, None, None),
        base + 3: (None, None, None, None),
    }
    _run(connection, "downgrade", "0007")
    assert "unreasonable_reason" not in _columns(connection)
    _run(connection, "upgrade", "0008")
    assert {"unreasonable_reason", "unreasonable_at"} <= _columns(connection)
