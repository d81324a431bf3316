"""The catalogue in the database: idempotent load, edits re-validated against the whole tree,
switching items off, imports with row-level errors, and the audit rows of every write."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor
from civicgrid.dispatch import catalogue_io, queries, service
from civicgrid.dispatch.catalogue import parse_catalogue
from civicgrid.errors import Invalid, NotFound

ADMIN = Actor.system("catalogue-admin")


def _audits(session: Session, action: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )
        or 0
    )


def test_load_is_idempotent(session: Session, now: datetime) -> None:
    shipped = service.default_catalogue()
    first = service.load_catalogue(session, catalogue=shipped, actor=ADMIN, now=now)
    assert first.created == len(shipped.items)
    assert (first.updated, first.unchanged, first.deactivated) == (0, 0, 0)
    second = service.load_catalogue(
        session, catalogue=shipped, actor=ADMIN, now=now + timedelta(hours=1)
    )
    assert (second.created, second.updated, second.deactivated) == (0, 0, 0)
    assert second.unchanged == len(shipped.items)
    assert _audits(session, "catalogue.load") == 2
    stored = queries.catalogue(session)
    assert stored is not None
    assert stored.version == shipped.version
    assert stored.get("040301") == shipped.get("040301")


def test_load_switches_off_missing_codes_and_updates_changed_ones(
    session: Session, now: datetime
) -> None:
    shipped = service.default_catalogue()
    service.load_catalogue(session, catalogue=shipped, actor=ADMIN, now=now)
    rows = [catalogue_io_row(i) for i in shipped.items if i.code != "040305"]
    for row in rows:
        if row["code"] == "040301":
            row["name"] = "燃气泄漏险情"
    smaller = parse_catalogue(rows, version="2026.2")
    result = service.load_catalogue(session, catalogue=smaller, actor=ADMIN, now=now)
    assert result.deactivated == (1 if "040305" in shipped else 0)
    assert result.updated == len(smaller.items)  # the version changed on every row
    assert queries.get_catalogue_row(session, "040301").name == "燃气泄漏险情"


def catalogue_io_row(item: object) -> dict[str, str]:
    from civicgrid.dispatch.catalogue import CatalogueItem

    assert isinstance(item, CatalogueItem)
    return {
        "code": item.code,
        "parent_code": item.parent_code or "",
        "level": str(item.level),
        "name": item.name,
        "owner_rule": item.owner_rule.value,
        "owner_unit": item.owner_unit,
        "default_level": item.default_level,
        "default_finish_days": str(item.default_finish_days),
        "requires_site_visit": str(item.requires_site_visit).lower(),
        "whistle_candidate": str(item.whistle_candidate).lower(),
        "keywords": ";".join(item.keywords),
    }


def test_create_and_edit_items(session: Session, now: datetime) -> None:
    service.load_catalogue(session, catalogue=service.default_catalogue(), actor=ADMIN, now=now)
    row = service.save_item(
        session,
        code="010199",
        changes={"parent_code": "0101", "name": "楼道堆物", "owner_rule": "street"},
        create=True,
        actor=ADMIN,
        now=now,
    )
    assert (row.level, row.owner_rule, row.is_active) == (3, "street", True)
    assert row.version.endswith("+local")
    edited = service.save_item(
        session,
        code="010199",
        changes={"default_level": "L2", "keywords": ["楼道", "堆物"], "is_active": False},
        create=False,
        actor=ADMIN,
        now=now,
    )
    assert (edited.default_level, edited.keywords, edited.is_active) == ("L2", "楼道;堆物", False)
    assert _audits(session, "catalogue.create") == 1
    assert _audits(session, "catalogue.update") == 1


def test_edits_that_break_the_tree_are_refused(session: Session, now: datetime) -> None:
    service.load_catalogue(session, catalogue=service.default_catalogue(), actor=ADMIN, now=now)
    before = queries.get_catalogue_row(session, "060101").owner_rule
    with pytest.raises(Invalid, match="不得默认下派到街乡"):
        service.save_item(
            session,
            code="060101",
            changes={"owner_rule": "street", "owner_unit": ""},
            create=False,
            actor=ADMIN,
            now=now,
        )
    with pytest.raises(Invalid, match="上级"):
        service.save_item(
            session,
            code="019901",
            changes={"parent_code": "0199", "name": "无上级", "owner_rule": "street"},
            create=True,
            actor=ADMIN,
            now=now,
        )
    with pytest.raises(Invalid, match="已存在"):
        service.save_item(
            session, code="010101", changes={"name": "x"}, create=True, actor=ADMIN, now=now
        )
    with pytest.raises(Invalid, match="下级事项"):
        service.save_item(
            session, code="0101", changes={"is_active": False}, create=False, actor=ADMIN, now=now
        )
    with pytest.raises(NotFound):
        service.save_item(
            session, code="999999", changes={"name": "x"}, create=False, actor=ADMIN, now=now
        )
    session.expire_all()
    assert queries.get_catalogue_row(session, "060101").owner_rule == before
    assert _audits(session, "catalogue.update") == 0


def test_import_file_round_trip_and_row_errors(session: Session, now: datetime) -> None:
    service.load_catalogue(session, catalogue=service.default_catalogue(), actor=ADMIN, now=now)
    stored = queries.catalogue(session)
    assert stored is not None
    for fmt in ("csv", "xlsx"):
        data = catalogue_io.export_catalogue(stored, fmt, inactive=frozenset({"010101"}))
        catalogue, inactive = catalogue_io.read_catalogue_file(data, f"c.{fmt}")
        assert catalogue.version == stored.version
        assert catalogue.items == stored.items
        assert inactive == {"010101"}
    text = data_with_errors()
    with pytest.raises(Invalid) as caught:
        catalogue_io.read_catalogue_file(text, "bad.csv")
    problems = caught.value.detail
    assert isinstance(problems, list)
    # File rows: the version line is row 1, the header row 2.
    assert any(p.startswith("第 5 行") and "owner_rule" in p for p in problems)
    assert any(p.startswith("第 6 行") and "L1–L4" in p for p in problems)


def data_with_errors() -> bytes:
    lines = [
        "# version: bad-1",
        "code,parent_code,level,name,owner_rule,owner_unit,default_level,default_finish_days",
        "01,,1,城市管理,none,,L3,7",
        "0101,01,2,环境卫生,street,,L3,7",
        "010101,0101,3,暴露垃圾,somebody,,L3,7",
        "010102,0101,3,x,street,,L9,7",
    ]
    return "\n".join(lines).encode("utf-8")
