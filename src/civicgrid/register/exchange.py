"""Use cases that move the register in and out in bulk: file import with a row report, export
in the same format, and bulk creation of a generated register (the demo city). Each is one
transaction; the heavy lifting is :mod:`civicgrid.register.bulk`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.service import note_refusal, record
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Invalid, NotFound
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.register import access, bulk, queries, rules
from civicgrid.register.grids import GridRef, grids_by_code
from civicgrid.register.models import (
    Address,
    Building,
    House,
    Residence,
    Resident,
    Tag,
)
from civicgrid.register.rows import (
    HEADERS,
    RegisterRow,
    RowError,
    missing_columns,
    validate_rows,
)
from civicgrid.register.specs import RegisterSpec as RegisterSpec  # the demo builder's name
from civicgrid.register.tags import default_tags

# --- import and export -----------------------------------------------------------------------


@dataclass
class ImportReport:
    """The row-level outcome of an import."""

    mode: rules.ImportMode
    total_rows: int
    valid_rows: int
    imported: int
    rejected: bool
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    counts: bulk.LoadCounts = field(default_factory=bulk.LoadCounts)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


def _check_against_database(
    session: Session,
    valid: list[tuple[int, RegisterRow]],
    actor: Actor,
    cipher: FieldCipher,
) -> tuple[list[RowError], dict[str, GridRef], dict[str, int]]:
    errors: list[RowError] = []
    grids = grids_by_code(session, {r.grid_code for _, r in valid})
    tags = {k: t.id for k, t in queries.tags_by_key(session).items()}
    hashes = cipher.keyed_hash_many([r.id_no for _, r in valid])
    taken: set[str] = set()
    for part in bulk.chunks(hashes, 2000):
        taken.update(
            session.scalars(select(Resident.id_no_hash).where(Resident.id_no_hash.in_(part)))
        )
    for (row, r), h in zip(valid, hashes, strict=True):
        grid = grids.get(r.grid_code)
        if grid is None:
            errors.append(RowError(row, "grid_code", f"网格编码 {r.grid_code} 不存在"))
        elif not access.covers(actor, grid.path):
            errors.append(RowError(row, "grid_code", f"网格 {r.grid_code} 不在您的数据范围内"))
        if h in taken:
            errors.append(RowError(row, "id_no", "身份证号已在系统中登记"))
        unknown = [t for t in r.tags if t not in tags]
        if unknown:
            errors.append(RowError(row, "tags", f"未知标签: {'、'.join(unknown)}"))
    return errors, grids, tags


@use_case
def import_register(
    session: Session,
    *,
    table: spreadsheet.Table,
    mode: rules.ImportMode,
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
    progress: bulk.LoadProgress | None = None,
) -> ImportReport:
    """Import residents and houses from a read file. Every row is checked (required fields,
    GB 11643 check digit, phone format, residence kind, duplicates within the file and against
    the database, grid in scope, known tags). ``all-or-nothing`` writes nothing when any row
    fails (``rejected``); ``valid-rows`` imports the good rows and reports the rest.
    ``progress(done, total)`` hears how many of the good rows are written (see
    :func:`civicgrid.register.bulk.load`)."""
    access.require_role(actor, rules.IMPORT_ROLES, "导入人房数据")
    missing = missing_columns(table.fields)
    if missing:
        note_refusal(
            session,
            actor=actor,
            action="register.import",
            subject_type="resident",
            subject_id="",
            reason="missing_columns",
            detail={"mode": mode.value, "missing": missing},
            outcome="refused",
        )
        raise Invalid(f"文件缺少必填列: {'、'.join(missing)}", detail={"missing": missing})
    validation = validate_rows(table.rows, table.row_numbers, today=now.date())
    db_errors, grids, tag_ids = _check_against_database(session, validation.valid, actor, cipher)
    errors = sorted(validation.errors + db_errors, key=lambda e: (e.row, e.field))
    bad = {e.row for e in errors}
    good = [r for row, r in validation.valid if row not in bad]
    report = ImportReport(
        mode=mode,
        total_rows=len(table.rows),
        valid_rows=len(good),
        imported=0,
        rejected=False,
        errors=errors,
        unknown_headers=list(table.unknown_headers),
    )
    if errors and mode == rules.ImportMode.ALL_OR_NOTHING:
        report.rejected = True
        record(
            session,
            actor=actor,
            action="register.import",
            subject_type="resident",
            now=now,
            outcome="refused",
            detail={"mode": mode.value, "rows": report.total_rows, "error_rows": len(bad)},
        )
        return report
    report.counts = bulk.load(
        session,
        rows=good,
        grids=grids,
        tag_ids=tag_ids,
        cipher=cipher,
        now=now,
        progress=progress,
    )
    report.imported = report.counts.residents
    record(
        session,
        actor=actor,
        action="register.import",
        subject_type="resident",
        now=now,
        detail={
            "mode": mode.value,
            "rows": report.total_rows,
            "imported": report.imported,
            "error_rows": len(bad),
            "houses": report.counts.houses,
        },
    )
    return report


@use_case
def refuse_unreadable_import(
    session: Session, *, reason: str, filename: str, actor: Actor, now: datetime
) -> None:
    """Audit an import file that could not be read at all (not a CSV/XLSX, damaged, wrong
    encoding): a ``register.import`` row with outcome ``denied``, as for any rejected file."""
    record(
        session,
        actor=actor,
        action="register.import",
        subject_type="resident",
        now=now,
        outcome="refused",
        reason=reason[:500],
        detail={"file": filename[:200], "unreadable": True},
    )


@use_case
def export_register(
    session: Session,
    *,
    fmt: str,
    reveal: bool = False,
    reason: str = "",
    grid_id: int | None = None,
    actor: Actor,
    cipher: FieldCipher,
    now: datetime,
) -> bytes:
    """Export current residences in scope in the import format. ID numbers and phones are
    masked unless ``reveal`` is asked with a reason by a reveal role (audited, with the row
    count). Masked files cannot be imported back (the ID check digit is hidden)."""
    access.require_role(actor, rules.EXPORT_ROLES, "导出人房数据")
    if fmt not in ("csv", "xlsx"):
        raise Invalid("导出格式应为 csv 或 xlsx")
    if reveal:
        access.require_role(actor, rules.REVEAL_ROLES, "导出完整身份信息")
        problem = rules.reason_problem(reason)
        if problem:
            raise Invalid(problem)
    stmt = (
        select(
            Resident,
            Residence,
            Address.grid_code,
            Address.name,
            Building.name,
            House.unit,
            House.room,
        )
        .join(Residence, Residence.resident_id == Resident.id)
        .join(House, House.id == Residence.house_id)
        .join(Building, Building.id == House.building_id)
        .join(Address, Address.id == Building.address_id)
        .where(Residence.to_on.is_(None))
        .where(access.scope_filter(Resident.region_path, actor))
        .order_by(Resident.id, Residence.id)
    )
    if grid_id is not None:
        stmt = stmt.where(Resident.grid_id == grid_id)
    found = session.execute(stmt).all()
    tags = queries.resident_tags(session, sorted({r[0].id for r in found}))
    out_rows: list[list[object]] = []
    for res, residence, grid_code, address, building, unit, room in found:
        id_no = cipher.decrypt(res.id_no_enc) if reveal else res.id_no_masked
        phone = (
            (cipher.decrypt(res.phone_enc) if res.phone_enc else "")
            if reveal
            else (res.phone_masked)
        )
        out_rows.append(
            [
                res.name,
                id_no,
                phone,
                res.ethnicity,
                res.household_place,
                grid_code,
                address,
                building,
                unit,
                room,
                rules.ResidenceKind(residence.kind).label,
                residence.relation_to_owner,
                residence.from_on.isoformat() if residence.from_on else "",
                "、".join(tags.get(res.id, [])),
            ]
        )
    record(
        session,
        actor=actor,
        action="register.export",
        subject_type="resident",
        now=now,
        reason=reason.strip(),
        detail={"rows": len(out_rows), "revealed": reveal, "format": fmt, "grid_id": grid_id},
    )
    if fmt == "csv":
        return spreadsheet.write_csv(HEADERS, out_rows)
    return spreadsheet.write_xlsx(HEADERS, out_rows, title="人房信息")


# --- bulk creation (demo city) ---------------------------------------------------------------


@use_case
def create_register_bulk(
    session: Session, *, spec: RegisterSpec, actor: Actor, cipher: FieldCipher, now: datetime
) -> bulk.LoadCounts:
    """Create a register described by ``spec`` in one transaction (the demo city builder).
    Every grid must exist and lie in the actor's scope; tags must exist (the shipped catalogue
    is added when missing); ID numbers must be new."""
    access.require_role(actor, rules.IMPORT_ROLES, "导入人房数据")
    existing = set(session.scalars(select(Tag.code)))
    for t in default_tags():
        if t.code not in existing:
            session.add(
                Tag(
                    code=t.code,
                    name=t.name,
                    family=t.family.value,
                    level=t.level.value,
                    target=t.target.value,
                    is_sensitive=t.is_sensitive,
                    created_at=now,
                )
            )
    session.flush()
    codes = {h.grid_code for h in spec.houses} | {r.grid_code for r in spec.rows}
    grids = grids_by_code(session, codes)
    for code in codes:
        if code not in grids:
            raise NotFound(f"网格 {code} 不存在")
        access.require_path_in_scope(actor, grids[code].path, f"网格 {code}")
    tag_ids = {k: t.id for k, t in queries.tags_by_key(session).items()}
    used = {t for h in spec.houses for t in h.tags} | {t for r in spec.rows for t in r.tags}
    unknown = sorted(used - set(tag_ids))
    if unknown:
        raise Invalid(f"未知标签: {'、'.join(unknown)}")
    counts = bulk.load(
        session,
        rows=spec.rows,
        houses=spec.houses,
        grids=grids,
        tag_ids=tag_ids,
        cipher=cipher,
        now=now,
    )
    record(
        session,
        actor=actor,
        action="register.bulk_create",
        subject_type="resident",
        now=now,
        detail={"residents": counts.residents, "houses": counts.houses},
    )
    return counts
