"""Use cases of the territory: importing regions from GeoJSON (all or nothing), departments,
utilities and their service areas, a whole territory spec at once, and the GeoJSON export.

Every use case is one transaction (``@use_case``) and writes an audit row in it; the
``_add_*`` helpers are joiners shared by the use cases (they never commit).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete
from sqlalchemy.orm import Session

from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.territory import geometry, hierarchy, locate, queries
from civicgrid.territory.levels import LEVEL_ORDER, RegionLevel
from civicgrid.territory.models import Department, Region, Utility, UtilityServiceArea
from civicgrid.territory.schemas import (
    DepartmentCreate,
    ImportSummary,
    SpecSummary,
    TerritorySpec,
    UtilityCreate,
)

MAX_PROBLEMS_IN_MESSAGE = 20


@dataclass
class _Feature:
    """One parsed feature of an import, before it becomes a Region."""

    index: int
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    geom: BaseGeometry | None
    derived: bool = False


@dataclass(frozen=True)
class ImportProblem:
    """Why one feature of an import cannot be taken."""

    index: int
    code: str
    reason: str

    def sentence(self) -> str:
        code = f"（编码 {self.code}）" if self.code else ""
        return f"features[{self.index}]{code}：{self.reason}"


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有系统管理员可以修改区域、部门和公共服务企业")


# --- import -------------------------------------------------------------------------------


@use_case
def import_geojson(
    session: Session, *, collection: object, actor: Actor, now: datetime
) -> ImportSummary:
    """Import regions from a GeoJSON FeatureCollection, all or nothing.

    Every feature is checked first (properties, code rules, parent, geometry validity, inside
    the parent, no overlap with siblings, duplicates); if anything is wrong, :class:`Invalid`
    names every problem with its feature index and nothing is written. Requires the admin role
    (:class:`Forbidden`).
    """
    _require_admin(actor)
    return _import_features(session, collection, actor=actor, now=now)


def _import_features(
    session: Session, collection: object, *, actor: Actor, now: datetime
) -> ImportSummary:
    """Validate and insert the features. Joins the caller's transaction."""
    features = _validated_features(session, collection)
    summary = _insert_regions(session, features, now=now)
    audit.record(
        session,
        actor=actor,
        action="territory.import",
        subject_type="region",
        subject_id="",
        now=now,
        detail={
            "created": summary.created,
            "by_level": summary.by_level,
            "derived_boundaries": summary.derived_boundaries,
        },
    )
    return summary


def _raise_problems(problems: list[ImportProblem], total: int) -> None:
    problems.sort(key=lambda p: (p.index, p.reason))
    shown = "；".join(p.sentence() for p in problems[:MAX_PROBLEMS_IN_MESSAGE])
    more = (
        f"；另有 {len(problems) - MAX_PROBLEMS_IN_MESSAGE} 处问题未列出"
        if len(problems) > MAX_PROBLEMS_IN_MESSAGE
        else ""
    )
    raise Invalid(
        f"导入失败，{total} 个要素中发现 {len(problems)} 处问题，未导入任何区域：{shown}{more}。",
        detail=[{"index": p.index, "code": p.code, "reason": p.reason} for p in problems],
    )


def _validated_features(session: Session, collection: object) -> list[_Feature]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise Invalid("导入文件必须是 GeoJSON FeatureCollection（type 为 FeatureCollection）")
    raw = collection.get("features")
    if not isinstance(raw, list):
        raise Invalid("GeoJSON FeatureCollection 缺少 features 数组")
    if not raw:
        raise Invalid("GeoJSON FeatureCollection 中没有任何要素")

    problems: list[ImportProblem] = []
    features: list[_Feature] = []
    for index, item in enumerate(raw):
        parsed = _parse_feature(index, item, problems)
        if parsed is not None:
            features.append(parsed)

    # Features refused while parsing: their children are not blamed a second time.
    refused = {p.code for p in problems if p.code} - {f.code for f in features}
    _check_codes_and_parents(session, features, problems, refused)
    bad = {p.index for p in problems}
    _check_geometry(session, [f for f in features if f.index not in bad], problems)
    if problems:
        _raise_problems(problems, len(raw))
    return features


def _parse_feature(index: int, item: object, problems: list[ImportProblem]) -> _Feature | None:
    def problem(reason: str, code: str = "") -> None:
        problems.append(ImportProblem(index, code, reason))

    if not isinstance(item, dict) or item.get("type") != "Feature":
        problem("不是 GeoJSON Feature 对象")
        return None
    props = item.get("properties")
    if not isinstance(props, dict):
        problem("缺少 properties 对象")
        return None
    code_value = props.get("code")
    code = str(code_value).strip() if isinstance(code_value, str | int) else ""
    if not code:
        problem("缺少区域编码 code")
        return None
    ok = True
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        problem("缺少区域名称 name", code)
        ok = False
    elif len(name.strip()) > 100:
        problem("区域名称超过 100 个字符", code)
        ok = False
    try:
        level = RegionLevel(str(props.get("level")))
    except ValueError:
        allowed = "、".join(lv.value for lv in LEVEL_ORDER)
        problem(f"层级 level 应为 {allowed} 之一，实为 {props.get('level')!r}", code)
        return None
    reason = hierarchy.code_problem(code, level)
    if reason:
        problem(reason, code)
        ok = False
    parent_value = props.get("parent_code")
    parent_code = str(parent_value).strip() if isinstance(parent_value, str | int) else None
    parent_code = parent_code or None
    geom: BaseGeometry | None = None
    raw_geom = item.get("geometry")
    if raw_geom is None:
        if level is RegionLevel.GRID:
            problem("网格必须有边界（geometry 为 Polygon 或 MultiPolygon）", code)
            ok = False
    else:
        try:
            geom = geometry.parse_boundary(raw_geom)
        except geometry.GeometryProblem as exc:
            problem(str(exc), code)
            ok = False
    if not ok:
        return None
    assert isinstance(name, str)
    return _Feature(index, code, name.strip(), level, parent_code, geom)


def _check_codes_and_parents(
    session: Session,
    features: list[_Feature],
    problems: list[ImportProblem],
    refused: set[str],
) -> None:
    first_by_code: dict[str, _Feature] = {}
    for f in features:
        earlier = first_by_code.get(f.code)
        if earlier is not None:
            problems.append(
                ImportProblem(f.index, f.code, f"编码与 features[{earlier.index}] 重复")
            )
        else:
            first_by_code[f.code] = f
    existing = queries.regions_by_codes(session, first_by_code)
    for code, region in existing.items():
        f = first_by_code[code]
        problems.append(
            ImportProblem(f.index, code, f"编码已存在于数据库（{region.name}），导入只新增区域")
        )
    parent_codes = {f.parent_code for f in features if f.parent_code}
    db_parents = queries.regions_by_codes(session, parent_codes - set(first_by_code))
    for f in features:
        parent_level: RegionLevel | None = None
        if f.parent_code:
            in_file = first_by_code.get(f.parent_code)
            if in_file is not None:
                parent_level = in_file.level
            elif f.parent_code in db_parents:
                parent_level = RegionLevel(db_parents[f.parent_code].level)
            elif f.parent_code in refused:
                continue
            elif f.level is not RegionLevel.CITY:
                problems.append(
                    ImportProblem(
                        f.index,
                        f.code,
                        f"上级区域“{f.parent_code}”不存在（文件中和数据库中都没有）",
                    )
                )
                continue
        reason = hierarchy.parent_problem(
            code=f.code, level=f.level, parent_code=f.parent_code, parent_level=parent_level
        )
        if reason:
            problems.append(ImportProblem(f.index, f.code, reason))


def _check_geometry(
    session: Session, features: list[_Feature], problems: list[ImportProblem]
) -> None:
    """Derive missing upper-level boundaries, then check "inside the parent" and "siblings do
    not overlap" (at every level, against new and stored siblings)."""
    by_code = {f.code: f for f in features}
    # Bottom-up: a region without geometry gets the union of its children's boundaries.
    for level in reversed(LEVEL_ORDER[:-1]):
        kids: dict[str, list[BaseGeometry]] = defaultdict(list)
        for f in features:
            if f.level.parent is level and f.parent_code and f.geom is not None:
                kids[f.parent_code].append(f.geom)
        for f in features:
            if f.level is level and f.geom is None and kids.get(f.code):
                f.geom = geometry.union(kids[f.code])
                f.derived = True

    parent_codes = {f.parent_code for f in features if f.parent_code}
    db_parents = queries.regions_by_codes(session, parent_codes - set(by_code))
    db_parent_geoms = {
        code: geometry.from_geojson_text(r.boundary) for code, r in db_parents.items() if r.boundary
    }
    for f in features:
        if f.geom is None or f.derived or not f.parent_code:
            continue
        parent = by_code.get(f.parent_code)
        if parent is not None:
            parent_geom = None if parent.derived else parent.geom
        else:
            parent_geom = db_parent_geoms.get(f.parent_code)
        if parent_geom is not None and not geometry.is_inside(f.geom, parent_geom):
            share = geometry.outside_share(f.geom, parent_geom)
            problems.append(
                ImportProblem(
                    f.index,
                    f.code,
                    f"边界超出上级区域“{f.parent_code}”的范围（超出部分占本区域面积的 "
                    f"{share:.2%}）",
                )
            )

    stored_siblings = queries.children_of_many(session, [r.id for r in db_parents.values()])
    for level in LEVEL_ORDER:
        _check_overlaps(
            [f for f in features if f.level is level and f.geom is not None],
            [r for r in stored_siblings if r.level == level.value and r.boundary],
            db_parents,
            problems,
        )


def _check_overlaps(
    new: list[_Feature],
    stored: Sequence[Region],
    db_parents: dict[str, Region],
    problems: list[ImportProblem],
) -> None:
    if not new:
        return
    parent_code_by_id = {r.id: code for code, r in db_parents.items()}
    geoms: list[BaseGeometry] = [f.geom for f in new if f.geom is not None]
    parents: list[str | None] = [f.parent_code for f in new]
    for r in stored:
        assert r.boundary is not None
        geoms.append(geometry.from_geojson_text(r.boundary))
        parents.append(parent_code_by_id.get(r.parent_id or 0))
    for i, j, share in geometry.overlapping_pairs(geoms):
        if parents[i] != parents[j]:
            continue
        if i >= len(new):
            continue
        a = new[i]
        if j < len(new):
            b = new[j]
            problems.append(
                ImportProblem(
                    b.index,
                    b.code,
                    f"边界与同一上级下的 features[{a.index}]（编码 {a.code}）重叠"
                    f"（重叠面积占较小者的 {share:.2%}）",
                )
            )
        else:
            other = stored[j - len(new)]
            problems.append(
                ImportProblem(
                    a.index,
                    a.code,
                    f"边界与已有区域“{other.code}”（{other.name}）重叠（重叠面积占较小者的 "
                    f"{share:.2%}）",
                )
            )


def _insert_regions(session: Session, features: list[_Feature], *, now: datetime) -> ImportSummary:
    locate.invalidate_after_commit(session)  # new grids: the locate index checks at once
    ordered = sorted(features, key=lambda f: (f.level.rank, f.index))
    parent_codes = {f.parent_code for f in ordered if f.parent_code}
    known: dict[str, Region] = queries.regions_by_codes(
        session, parent_codes - {f.code for f in ordered}
    )
    for level in LEVEL_ORDER:
        batch = [f for f in ordered if f.level is level]
        if not batch:
            continue
        rows: list[tuple[Region, Region | None]] = []
        for f in batch:
            parent = known.get(f.parent_code) if f.parent_code else None
            region = Region(
                code=f.code,
                name=f.name,
                level=f.level.value,
                parent_id=parent.id if parent is not None else None,
                path="",
                created_at=now,
            )
            if f.geom is not None:
                region.boundary = geometry.to_geojson_text(f.geom)
                region.centroid_lon, region.centroid_lat = geometry.centroid(f.geom)
                region.area_m2 = geometry.area_m2(f.geom)
            rows.append((region, parent))
        session.add_all([r for r, _ in rows])
        session.flush()
        for region, parent in rows:
            region.path = hierarchy.child_path(parent.path if parent else None, region.id)
            known[region.code] = region
        session.flush()
    by_level = Counter(f.level.value for f in features)
    return ImportSummary(
        created=len(features),
        by_level={lv.value: by_level[lv.value] for lv in LEVEL_ORDER if by_level[lv.value]},
        derived_boundaries=sum(1 for f in features if f.derived),
    )


# --- departments and utilities ------------------------------------------------------------


@use_case
def create_department(
    session: Session, *, data: DepartmentCreate, actor: Actor, now: datetime
) -> Department:
    """Create a functional department answering for ``data.region_code``.

    Raises :class:`Forbidden` for non-admins, :class:`Invalid` for an unknown region and
    :class:`Conflict` when the code is taken.
    """
    _require_admin(actor)
    return _add_department(session, data, actor=actor, now=now)


def _add_department(
    session: Session, data: DepartmentCreate, *, actor: Actor, now: datetime
) -> Department:
    """Joins the caller's transaction."""
    if queries.find_department_by_code(session, data.code) is not None:
        raise Conflict(f"部门编码“{data.code}”已被占用")
    region = queries.find_region_by_code(session, data.region_code)
    if region is None:
        raise Invalid(f"部门“{data.name}”所属区域“{data.region_code}”不存在")
    department = Department(
        code=data.code,
        name=data.name,
        region_id=region.id,
        duties=data.duties,
        is_active=True,
        created_at=now,
    )
    session.add(department)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="department.create",
        subject_type="department",
        subject_id=department.id,
        now=now,
        detail={"code": data.code, "name": data.name, "region_code": data.region_code},
    )
    return department


@use_case
def create_utility(
    session: Session, *, data: UtilityCreate, actor: Actor, now: datetime
) -> Utility:
    """Create a utility with its service area (region codes; their descendants are served
    too). Raises :class:`Forbidden`, :class:`Invalid` (unknown region) or :class:`Conflict`."""
    _require_admin(actor)
    return _add_utility(session, data, actor=actor, now=now)


def _add_utility(session: Session, data: UtilityCreate, *, actor: Actor, now: datetime) -> Utility:
    """Joins the caller's transaction."""
    if queries.find_utility_by_code(session, data.code) is not None:
        raise Conflict(f"公共服务企业编码“{data.code}”已被占用")
    regions = _regions_for_area(session, data.service_area_codes, owner=data.name)
    utility = Utility(
        code=data.code,
        name=data.name,
        service=data.service.value,
        hotline=data.hotline,
        is_active=True,
        created_at=now,
    )
    session.add(utility)
    session.flush()
    session.add_all(UtilityServiceArea(utility_id=utility.id, region_id=r.id) for r in regions)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="utility.create",
        subject_type="utility",
        subject_id=utility.id,
        now=now,
        detail={
            "code": data.code,
            "name": data.name,
            "service": data.service.value,
            "service_area": [r.code for r in regions],
        },
    )
    return utility


def _regions_for_area(session: Session, codes: Sequence[str], *, owner: str) -> list[Region]:
    wanted = list(dict.fromkeys(codes))
    found = queries.regions_by_codes(session, wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise Invalid(f"“{owner}”的服务区域中有不存在的区域编码：{'、'.join(missing)}")
    return [found[c] for c in wanted]


@use_case
def set_utility_service_area(
    session: Session, *, utility_code: str, region_codes: Sequence[str], actor: Actor, now: datetime
) -> Utility:
    """Replace a utility's service area with ``region_codes``.

    Raises :class:`Forbidden`, :class:`NotFound` (unknown utility) or :class:`Invalid`
    (unknown region)."""
    _require_admin(actor)
    utility = queries.get_utility_by_code(session, utility_code)
    before = queries.service_area_codes(session, [utility.id])[utility.id]
    regions = _regions_for_area(session, region_codes, owner=utility.name)
    session.execute(delete(UtilityServiceArea).where(UtilityServiceArea.utility_id == utility.id))
    session.add_all(UtilityServiceArea(utility_id=utility.id, region_id=r.id) for r in regions)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="utility.set_service_area",
        subject_type="utility",
        subject_id=utility.id,
        now=now,
        detail={"before": before, "after": [r.code for r in regions]},
    )
    return utility


# --- a whole territory --------------------------------------------------------------------


@use_case
def create_from_spec(
    session: Session, *, spec: TerritorySpec, actor: Actor, now: datetime
) -> SpecSummary:
    """Create regions, departments, utilities and service areas of ``spec`` in one
    transaction (the demo city, a new installation). Any problem rolls everything back."""
    _require_admin(actor)
    regions = _import_features(session, spec.features, actor=actor, now=now)
    for department in spec.departments:
        _add_department(session, department, actor=actor, now=now)
    for utility in spec.utilities:
        _add_utility(session, utility, actor=actor, now=now)
    return SpecSummary(
        regions=regions, departments=len(spec.departments), utilities=len(spec.utilities)
    )


# --- export -------------------------------------------------------------------------------


def export_geojson(session: Session) -> dict[str, Any]:
    """The whole territory as a GeoJSON FeatureCollection that :func:`import_geojson` accepts
    on an empty database (parents before children). Read-only: no transaction of its own."""
    regions = queries.all_regions(session)
    codes = {r.id: r.code for r in regions}
    features: list[dict[str, Any]] = []
    for r in regions:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": r.code,
                    "name": r.name,
                    "level": r.level,
                    "parent_code": codes.get(r.parent_id) if r.parent_id else None,
                },
                "geometry": json.loads(r.boundary) if r.boundary else None,
            }
        )
    return {"type": "FeatureCollection", "features": features}
