"""A year of appeals for the demo city, created only through the appeal use cases.

:func:`build_appeals_year` draws ``count`` appeals over the twelve months that end at
``year_end`` and walks each through the workflow with the demo users as actors. Every step is an
event on one simulated time line (a heap ordered by time), so the use cases run in the order the
steps would happen in a real year and each receives its own simulated ``now``; steps that would
fall after ``year_end`` never run, which leaves the last weeks' appeals open in whatever status
they reached (pending dispatch, signed, in progress, awaiting review, replied …).

What is drawn, deterministic per seed (``random.Random``, never the wall clock):

- the catalogue item, weighted by category volume (DOMAIN §1.9) and by season — heating in
  winter, flooding and drainage in summer, catkins in spring, snow clearing in winter;
- the appeal type by item (DOMAIN §1.2: about half are inquiries, most of them answered at intake,
  from a knowledge-base article where one fits); the channel (hotline ≈ 85 %, web, 随手拍 with a
  point inside the grid, grid patrol by the grid's worker);
- the intake disposition (direct answer, transfer to 110/119/120/122, legal route, explanation,
  police, 并单 of a duplicate into an open order) or dispatch to the unit the catalogue's owner
  rule gives (:func:`civicgrid.dispatch.routing.route`: the street of the appeal's grid, the
  district's department of the item's kind, the utility serving the place, else the district);
- how the unit handles it: mostly signed, contacted and replied in time, some late; send-backs
  of misrouted orders, extensions, termination, parking, 吹哨报到, 督办 and 催办; the callback
  (mostly 满意, some 基本满意 / 不满意, some reopened) or the grid worker's verification.
"""

from __future__ import annotations

import heapq
import json
import random
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.appeals import service
from civicgrid.appeals.channels import AppealType, Channel, Flow
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.knowledge import create_article
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus, EmergencyLine, Satisfaction
from civicgrid.appeals.workflow import Action
from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import BEIJING
from civicgrid.demo.appeal_texts import PLACE_CATEGORIES, Place, asks_only, caller, compose
from civicgrid.dispatch.catalogue import Catalogue, CatalogueItem, OwnerRule, load_default_catalogue
from civicgrid.dispatch.routing import (
    DepartmentOption,
    RegionRef,
    UtilityOption,
    route,
)
from civicgrid.dispatch.routing import Place as RoutePlace
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.territory import queries as territory_queries

# Appeals per scale when the caller does not say: a year's volume for the small city
# (≈ 20,000, about 55 a day, ≈ 5.3 use cases each), a couple of hundred for the tiny test city,
# none for the benchmark city. docs/benchmarks.md has what building them costs.
DEFAULT_COUNTS = {"tiny": 200, "small": 20_000, "city": 0}

LEVELS = {
    "L1": UrgencyLevel.EMERGENCY,
    "L2": UrgencyLevel.UTILITY,
    "L3": UrgencyLevel.GENERAL,
    "L4": UrgencyLevel.COMPLEX,
}
# Share of the year's volume by first-level category (DOMAIN §1.9, 2020 top ten, rounded).
CATEGORY_WEIGHTS = {
    "01": 12.0,
    "02": 12.0,
    "03": 6.0,
    "04": 13.0,
    "05": 8.0,
    "06": 9.0,
    "07": 6.0,
    "08": 7.0,
    "09": 5.0,
    "10": 4.0,
    "11": 6.0,
    "12": 4.0,
    "13": 1.0,
    "14": 3.0,
    "15": 11.0,
    "99": 3.0,
}
WINTER = (11, 12, 1, 2, 3)
SUMMER = (6, 7, 8)
HOURS = (
    (0, 0.3), (1, 0.2), (2, 0.1), (3, 0.1), (4, 0.1), (5, 0.2), (6, 0.6), (7, 1.5),
    (8, 3.5), (9, 5.5), (10, 6.0), (11, 5.0), (12, 3.0), (13, 3.5), (14, 5.0), (15, 5.0),
    (16, 4.5), (17, 3.5), (18, 2.5), (19, 3.0), (20, 3.0), (21, 2.0), (22, 1.2), (23, 0.6),
)  # fmt: skip
EMERGENCY_LINES = (EmergencyLine.FIRE, EmergencyLine.AMBULANCE, EmergencyLine.TRAFFIC)
ARRIVAL_STATUSES = frozenset(
    {"signed", "in_progress", "extension_requested", "termination_requested", "park_requested",
     "parked"}
)  # fmt: skip
OPEN_FOR_MERGE = frozenset({"pending_dispatch", "dispatched", "signed", "in_progress"})
PATROL_PREFIXES = ("0101", "0103", "0104", "0106", "0501", "0505", "0704", "1101", "1401")

KNOWLEDGE = (
    ("150101", "居住证明与居住证办理材料", "居住证,材料,流程",
     "办理居住证需携带本人身份证、近期照片和合法稳定住所证明（房屋租赁合同或房产证明），"
     "到居住地派出所或社区服务站申请；材料齐全的，15个工作日内可领取。"),
    ("150101", "营业执照变更所需材料", "营业执照,变更,材料",
     "个体工商户和企业变更登记可在政务服务网在线办理，需提交变更登记申请书、相关决议和新住所"
     "证明；线下可到区政务服务中心市场监管窗口办理，当场审核。"),
    ("150102", "育儿补贴与生育支持政策", "政策,育儿补贴,生育",
     "符合条件的家庭可在孩子出生后通过政务服务平台申请育儿补贴，需提供出生医学证明和户口簿；"
     "具体标准以当年公布的政策为准。"),
    ("150102", "住房公积金提取政策", "政策,公积金,提取",
     "购房、租房、退休等情形可申请提取住房公积金，可通过公积金网上大厅或手机客户端办理，"
     "租房提取每月可提取一次。"),
    ("150103", "区政务服务中心地址与办公时间", "地址,上班时间,窗口",
     "区政务服务中心位于区行政服务大楼一至三层，工作日9:00—17:00办公，周六上午开放部分"
     "综合窗口；社保、医保、不动产登记均设专门窗口。"),
    ("040403", "供暖费缴纳与报停", "供暖费,采暖费,报停",
     "采暖费可通过热力公司营业厅、银行代收或手机客户端缴纳；空置房屋报停须在供暖季开始前"
     "向热力公司提出申请，报停期间按规定收取基本热费。"),
    ("080302", "社保转移接续办理", "社保,转移,接续",
     "跨地区就业的参保人员可通过国家社会保险公共服务平台或手机客户端申请养老保险关系转移，"
     "转入地经办机构受理后45个工作日内办结。"),
    ("080402", "异地就医备案", "异地,备案,结算",
     "参保人员可通过国家医保服务平台办理异地就医备案，备案后在就医地定点医疗机构可直接结算；"
     "临时外出就医也可先行备案。"),
    ("100101", "义务教育入学与划片", "入学,划片,学位",
     "适龄儿童按户籍和实际居住地划片入学，入学信息采集一般在每年五月进行，"
     "具体学区划分以区教委当年公布的方案为准。"),
    ("110201", "落户办理指南", "落户,户口,迁移",
     "新生儿落户可凭出生医学证明、父母户口簿和身份证到户籍派出所办理；投靠落户需提供"
     "亲属关系证明和住房证明，审批时限为20个工作日。"),
)  # fmt: skip


# --- actors -------------------------------------------------------------------------------------


@dataclass
class DemoActors:
    """Who acts in the demo year: the centre's staff, one handler per unit, grid workers and a
    few residents, as :class:`Actor` objects of real users with posts."""

    operator: Actor
    dispatcher: Actor
    supervisor: Actor
    streets: dict[int, Actor] = field(default_factory=dict)
    """Handlers of streets, and of the district (区政府兜底), by region id."""
    departments: dict[int, Actor] = field(default_factory=dict)
    utilities: dict[int, Actor] = field(default_factory=dict)
    grid_workers: dict[int, Actor] = field(default_factory=dict)
    """Grid workers by the id of their grid."""
    residents: list[Actor] = field(default_factory=list)

    def handler(self, kind: str, unit_id: int) -> Actor:
        """The handler of a unit (``region``, ``department`` or ``utility``)."""
        table = {"region": self.streets, "department": self.departments}.get(kind, self.utilities)
        return table[unit_id]


_NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜"
_GIVEN = "建国晓东丽华志强秀兰海燕文博红梅立新春燕国庆玉兰德明静怡"


def _handler_name(rng: random.Random, prefix: str) -> str:
    given = rng.choice(_GIVEN) + rng.choice(_GIVEN)
    return f"{prefix}{rng.choice(_NAMES)}{given}"


def create_demo_actors(
    session: Session, *, seed: int, password: str, grid_workers: int, now: datetime
) -> DemoActors:
    """The centre's demo users, plus a handler for every street, the district, every department
    and every utility that has none yet, up to ``grid_workers`` grid workers (one per community,
    in its first grid) and three more residents — all created with ``create_user_with_post``."""
    rng = random.Random(f"civicgrid-demo-actors-{seed}")
    system = Actor.system("demo")

    def existing(username: str) -> Actor | None:
        user_id = auth_service.find_user_id(session, username)
        return None if user_id is None else auth_service.actor_for_user(session, user_id)

    def make(username: str, name: str, role: Role, **anchor: int) -> Actor:
        found = existing(username)
        if found is not None:
            return found
        user, _ = auth_service.create_user_with_post(
            session, username=username, display_name=name, password=password, role=role,
            title=role.label, actor=system, now=now, **anchor,
        )  # fmt: skip
        return auth_service.actor_for_user(session, user.id)

    def required(username: str) -> Actor:
        found = existing(username)
        if found is None:
            raise LookupError(f"the demo user {username} is missing")
        return found

    actors = DemoActors(
        operator=required("operator"),
        dispatcher=required("dispatcher"),
        supervisor=required("supervisor"),
    )
    taken: dict[tuple[str, int], Actor] = {}
    for username in ("street", "dept", "utility", "grid"):
        found = existing(username)
        if found is None:
            continue
        for post in found.posts:
            for kind, unit in (
                ("region", post.region_id),
                ("department", post.department_id),
                ("utility", post.utility_id),
            ):
                if unit is not None:
                    taken[(kind, unit)] = found
    regions = territory_queries.all_regions(session)
    parent = {r.id: r.parent_id for r in regions}
    for (kind, unit), actor in taken.items():
        if kind == "region" and actor.has_role(Role.GRID_WORKER):
            actors.grid_workers[unit] = actor
    covered = {parent.get(g) for g in actors.grid_workers}
    for region in regions:
        if region.level in ("district", "street"):
            label = "区政府承办人" if region.level == "district" else "街道承办人"
            actors.streets[region.id] = taken.get(("region", region.id)) or make(
                f"{region.level}_{region.code}", _handler_name(rng, label),
                Role.STREET_HANDLER, region_id=region.id,
            )  # fmt: skip
        elif region.level == "grid" and len(actors.grid_workers) < grid_workers:
            if region.parent_id in covered:
                continue
            covered.add(region.parent_id)
            actors.grid_workers[region.id] = make(
                f"grid_{region.code}", _handler_name(rng, "网格员"), Role.GRID_WORKER,
                region_id=region.id,
            )  # fmt: skip
    for dept in territory_queries.list_departments(session):
        actors.departments[dept.id] = taken.get(("department", dept.id)) or make(
            f"dept_{dept.code}", _handler_name(rng, "部门承办人"), Role.DEPARTMENT_HANDLER,
            department_id=dept.id,
        )  # fmt: skip
    for util in territory_queries.list_utilities(session):
        actors.utilities[util.id] = taken.get(("utility", util.id)) or make(
            f"util_{util.code}", _handler_name(rng, "企业承办人"), Role.UTILITY_HANDLER,
            utility_id=util.id,
        )  # fmt: skip
    resident = existing("resident")
    if resident is not None:
        actors.residents.append(resident)
    for n in range(1, 4):
        actors.residents.append(make(f"resident{n}", _handler_name(rng, ""), Role.RESIDENT))
    return actors


# --- the territory as the simulation sees it -----------------------------------------------


@dataclass(frozen=True)
class GridSpot:
    """A grid with everything an appeal in it needs."""

    id: int
    code: str
    name: str
    community: str
    street: RegionRef
    district: RegionRef
    city: RegionRef | None
    path: str
    shape: BaseGeometry | None
    addresses: tuple[str, ...]


@dataclass
class _World:
    grids: list[GridSpot]
    departments: list[DepartmentOption]
    utilities: list[tuple[UtilityOption, tuple[str, ...]]]
    district_departments: dict[int, list[int]]


def _load_world(session: Session, addresses: Mapping[str, Sequence[str]]) -> _World:
    regions = territory_queries.all_regions(session)
    by_id = {r.id: r for r in regions}

    def ref(region_id: int | None) -> RegionRef | None:
        region = by_id.get(region_id or 0)
        return None if region is None else RegionRef(region.id, region.code, region.name)

    grids: list[GridSpot] = []
    for region in regions:
        if region.level != "grid":
            continue
        community = by_id.get(region.parent_id or 0)
        street = by_id.get(community.parent_id or 0) if community else None
        district = by_id.get(street.parent_id or 0) if street else None
        if community is None or street is None or district is None:
            continue
        geometry = shape(json.loads(region.boundary)) if region.boundary else None
        fallback = (f"{community.name.removesuffix('社区')}小区",)
        grids.append(
            GridSpot(
                id=region.id, code=region.code, name=region.name, community=community.name,
                street=RegionRef(street.id, street.code, street.name),
                district=RegionRef(district.id, district.code, district.name),
                city=ref(district.parent_id), path=region.path, shape=geometry,
                addresses=tuple(addresses.get(region.code, ())) or fallback,
            )
        )  # fmt: skip
    departments = [
        DepartmentOption(d.id, d.code, d.name, d.region_id)
        for d in territory_queries.list_departments(session)
        if d.is_active
    ]
    utils = [u for u in territory_queries.list_utilities(session) if u.is_active]
    areas = territory_queries.service_area_codes(session, [u.id for u in utils])
    utilities = [
        (UtilityOption(u.id, u.code, u.name, u.service), tuple(areas.get(u.id, ()))) for u in utils
    ]
    district_departments: dict[int, list[int]] = {}
    for d in departments:
        district_departments.setdefault(d.region_id, []).append(d.id)
    return _World(grids, departments, utilities, district_departments)


# --- photos -------------------------------------------------------------------------------------


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 36) -> bytes:
    """A small PNG: a two-tone image, so the demo's photos are real images."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    dark = tuple(max(0, c - 60) for c in rgb)
    rows = b"".join(
        b"\x00" + b"".join(bytes(dark if y > height * 2 // 3 else rgb) for _ in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PHOTOS = tuple(_png(c) for c in ((120, 130, 140), (90, 140, 90), (170, 150, 110), (110, 120, 170)))


# --- the simulation -----------------------------------------------------------------------------


@dataclass
class AppealsYearSummary:
    """What the year produced."""

    created: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    satisfaction: Counter[str] = field(default_factory=Counter)
    knowledge_articles: int = 0


@dataclass
class _Case:
    """One appeal's plan and progress."""

    id: int
    number: str
    item: CatalogueItem
    grid: GridSpot | None
    flow: Flow
    level: UrgencyLevel
    received_at: datetime
    target: tuple[str, int] | None = None
    lead: tuple[str, int] | None = None
    reporter: Actor | None = None
    misrouted: bool = False
    slow: bool = False
    finish_due: datetime | None = None
    response_due: datetime | None = None
    dispatched_at: datetime | None = None
    rounds: int = 0
    whistled: bool = False
    extended: bool = False
    parked: bool = False
    status: str = AppealStatus.RECEIVED.value
    arrivals: list[tuple[int, int]] = field(default_factory=list)
    appeal: Appeal | None = None
    """The appeal row while the case is open: holding it keeps it in the session's identity map,
    so the next use case's load finds it there instead of building it (and its units) again."""


Step = Callable[[_Case, datetime], None]


class _Year:
    def __init__(
        self,
        session: Session,
        *,
        rng: random.Random,
        actors: DemoActors,
        world: _World,
        catalogue: Catalogue,
        cipher: FieldCipher,
        media: service.MediaPolicy,
        start: datetime,
        end: datetime,
        summary: AppealsYearSummary,
    ) -> None:
        self.session = session
        self.rng = rng
        self.actors = actors
        self.world = world
        self.catalogue = catalogue
        self.cipher = cipher
        self.media = media
        self.start = start
        self.end = end
        self.summary = summary
        self.queue: list[tuple[datetime, int, int, str]] = []
        self.cases: dict[int, _Case] = {}
        self.seq = 0
        self.open_by_street: dict[int, list[_Case]] = {}
        self.articles: dict[str, list[int]] = {}
        self.routes: dict[tuple[str, int], tuple[str, int] | None] = {}
        self.patrol_grids = [g for g in world.grids if g.id in actors.grid_workers]
        self.steps: dict[str, Step] = {
            "accept": self._accept,
            "dispatch": self._dispatch,
            "sign": self._sign,
            "request_return": self._request_return,
            "decide_return": self._decide_return,
            "contact": self._contact,
            "whistle": self._whistle,
            "handle": self._handle,
            "decide_extension": self._decide_extension,
            "decide_termination": self._decide_termination,
            "decide_park": self._decide_park,
            "unpark": self._unpark,
            "reply": self._reply,
            "callback": self._callback,
            "verify": self._verify,
            "close_disposed": self._close_disposed,
            "callback_answer": self._callback_answer,
            "remind": self._remind,
            "arrival": self._arrival,
        }

    # -- scheduling -------------------------------------------------------------------------

    def later(self, case: _Case, at: datetime, step: str) -> None:
        if at >= self.end:
            return
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, case.id, step))

    def run_until(self, moment: datetime) -> None:
        while self.queue and self.queue[0][0] <= moment:
            at, _, case_id, step = heapq.heappop(self.queue)
            case = self.cases[case_id]
            self.steps[step](case, at)
            self.summary.by_action[step] += 1

    def note(self, case: _Case, appeal: Appeal) -> None:
        case.status = appeal.status
        if AppealStatus(appeal.status).terminal:
            self._forget(case)

    def _forget(self, case: _Case) -> None:
        case.appeal = None
        if case.grid is None:
            return
        bucket = self.open_by_street.get(case.grid.street.id)
        if bucket and case in bucket:
            bucket.remove(case)

    # -- the knowledge base -------------------------------------------------------------------

    def create_knowledge(self, now: datetime) -> None:
        for code, title, keywords, body in KNOWLEDGE:
            article = create_article(
                self.session, title=title, body=body, keywords=keywords, category=code,
                actor=self.actors.operator, now=now,
            )  # fmt: skip
            self.articles.setdefault(code, []).append(article.id)
            self.summary.knowledge_articles += 1

    # -- intake -------------------------------------------------------------------------------

    def submit(self, item: CatalogueItem, at: datetime) -> None:
        rng = self.rng
        appeal_type = self._type_for(item)
        if item.code[:4] in PATROL_PREFIXES and rng.random() < 0.2:
            appeal_type = AppealType.REPORT  # found on patrol (巡查发现) or reported by a witness
        channel, actor, grid = self._channel_for(item, appeal_type)
        place = None
        if grid is not None:
            place = Place(rng.choice(grid.addresses), grid.community, grid.street.name)
        # Labour, health, schooling … are not about a place: the address is the caller's.
        text = compose(item, appeal_type, rng, place if item.code[:2] in PLACE_CATEGORIES else None)
        lon = lat = None
        photos: tuple[bytes, ...] = ()
        if channel in (Channel.SNAPSHOT, Channel.GRID_PATROL) and grid is not None:
            lon, lat = self._point_in(grid)
            photos = (rng.choice(PHOTOS),)
        name, phone = caller(rng)
        anonymous = appeal_type is AppealType.REPORT and rng.random() < 0.25
        confidential = not anonymous and appeal_type is AppealType.REPORT and rng.random() < 0.3
        if channel is Channel.GRID_PATROL or actor.has_role(Role.RESIDENT):
            name, phone = ("", "") if channel is Channel.GRID_PATROL else ("", phone)
        level = LEVELS.get(item.default_level, UrgencyLevel.GENERAL)
        appeal = service.submit_appeal(
            self.session,
            data=service.NewAppeal(
                channel=channel, appeal_type=appeal_type, title=text.title, content=text.content,
                level=level, category=item.code,
                address=f"{grid.street.name}{grid.community}{place.address}" if grid and place
                else "",
                lon=lon, lat=lat, region_id=grid.id if grid else None,
                caller_name=name, caller_phone=phone, anonymous=anonymous,
                confidential=confidential, photos=photos,
            ),
            actor=actor, cipher=self.cipher, media=self.media, now=at,
        )  # fmt: skip
        case = _Case(
            id=appeal.id, number=appeal.number, item=item, grid=grid, flow=channel.flow,
            level=level, received_at=at,
            reporter=actor if channel is Channel.GRID_PATROL else None, appeal=appeal,
        )  # fmt: skip
        self.cases[case.id] = case
        self.summary.created += 1
        self._intake(case, appeal_type, at)

    def _type_for(self, item: CatalogueItem) -> AppealType:
        code, r = item.code, self.rng.random()
        if item.owner_rule is OwnerRule.KNOWLEDGE_BASE or code in ("990302", "990303"):
            return AppealType.INQUIRY
        if code.startswith("9901"):
            return AppealType.PRAISE
        if code.startswith("9902"):
            return AppealType.OTHER
        if code == "990301":
            return AppealType.HELP
        if code.startswith("1505"):
            return AppealType.SUGGESTION
        if asks_only(item) and r < 0.8:
            return AppealType.INQUIRY
        for limit, kind in (
            (0.47, AppealType.INQUIRY),
            (0.72, AppealType.COMPLAINT),
            (0.87, AppealType.HELP),
            (0.93, AppealType.REPORT),
            (0.99, AppealType.SUGGESTION),
        ):
            if r < limit:
                return kind
        return AppealType.OTHER

    def _channel_for(
        self, item: CatalogueItem, appeal_type: AppealType
    ) -> tuple[Channel, Actor, GridSpot | None]:
        rng, actors = self.rng, self.actors
        grid = rng.choice(self.world.grids) if self.world.grids else None
        r = rng.random()
        placeable = item.owner_rule in (OwnerRule.STREET, OwnerRule.DEPARTMENT, OwnerRule.UTILITY)
        if appeal_type is AppealType.REPORT and self.patrol_grids and rng.random() < 0.5:
            patrol = rng.choice(self.patrol_grids)
            return Channel.GRID_PATROL, actors.grid_workers[patrol.id], patrol
        if (
            r < 0.07
            and item.code[:2] in PLACE_CATEGORIES
            and placeable
            and actors.residents
            and appeal_type is not AppealType.INQUIRY
        ):
            return Channel.SNAPSHOT, rng.choice(actors.residents), grid
        if r < 0.15:
            if actors.residents and rng.random() < 0.4:
                return Channel.WEB, rng.choice(actors.residents), grid
            return Channel.WEB, actors.operator, grid
        if not placeable and rng.random() < 0.5:
            return Channel.HOTLINE, actors.operator, None
        return Channel.HOTLINE, actors.operator, grid

    def _point_in(self, grid: GridSpot) -> tuple[float, float]:
        geometry = grid.shape
        if geometry is None:
            raise ValueError(f"grid {grid.code} has no boundary")
        west, south, east, north = geometry.bounds
        for _ in range(50):
            lon = round(self.rng.uniform(west, east), 6)
            lat = round(self.rng.uniform(south, north), 6)
            if geometry.contains(Point(lon, lat)):
                return lon, lat
        point = geometry.representative_point()
        return round(point.x, 6), round(point.y, 6)

    def _intake(self, case: _Case, appeal_type: AppealType, at: datetime) -> None:
        rng, op, code = self.rng, self.actors.operator, case.item.code
        soon = at + timedelta(minutes=rng.randint(2, 12))
        if code == "990301":
            text = case.item.name
            line = EmergencyLine.FIRE if "火" in text else rng.choice(EMERGENCY_LINES)
            appeal = service.transfer_emergency(
                self.session, appeal_id=case.id, line=line, note="已转接并告知来电人",
                actor=op, now=at + timedelta(minutes=1),
            )  # fmt: skip
            self.note(case, appeal)
            self.later(case, soon, "close_disposed")
            return
        if code in ("990302", "990303"):
            route_text = (
                "已告知来电人：劳动争议可向劳动人事争议仲裁委员会申请仲裁，对行政行为不服可在"
                "法定期限内申请行政复议或提起行政诉讼。"
                if code == "990302"
                else "已告知来电人：信访事项请按《信访工作条例》向有权处理的机关提出，"
                "可通过网上信访平台或到信访接待场所提交。"
            )
            appeal = service.redirect_legal_route(
                self.session, appeal_id=case.id, text=route_text, actor=op, now=soon
            )
            self.note(case, appeal)
            self.later(case, soon + timedelta(minutes=5), "close_disposed")
            return
        if code.startswith("9902"):
            if code == "990202" and rng.random() < 0.3:
                appeal = service.refer_police(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="来电人多次恶意拨打并辱骂话务员，严重占用热线资源，已按规定移交公安机关。",
                )  # fmt: skip
            else:
                appeal = service.explain(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="来电无具体诉求，已向来电人说明热线受理范围，如有诉求欢迎再次来电。",
                )  # fmt: skip
            self.note(case, appeal)
            self.later(case, soon + timedelta(minutes=5), "close_disposed")
            return
        if code == "990203" or (
            appeal_type in (AppealType.COMPLAINT, AppealType.HELP) and rng.random() < 0.05
        ):
            if self._merge(case, soon):
                return
            if code == "990203":
                appeal = service.explain(
                    self.session, appeal_id=case.id, actor=op, now=soon,
                    text="经查询，来电人反映的问题此前已办结，已向来电人说明办理结果。",
                )  # fmt: skip
                self.note(case, appeal)
                self.later(case, soon + timedelta(minutes=5), "close_disposed")
                return
        if appeal_type is AppealType.PRAISE:
            appeal = service.answer_directly(
                self.session, appeal_id=case.id, actor=op, now=soon,
                text="已记录来电人的表扬和感谢，将转达相关单位及工作人员。",
            )  # fmt: skip
            self.note(case, appeal)
            self.later(case, soon + timedelta(minutes=10), "close_disposed")
            return
        kb = case.item.owner_rule is OwnerRule.KNOWLEDGE_BASE
        if kb or (appeal_type is AppealType.INQUIRY and rng.random() < 0.75):
            self._answer(case, soon)
            return
        if case.grid is None:
            # The caller could not say where: the operator asks again and records the place.
            self._answer(case, soon)
            return
        target = self._route(case)
        if target is None:
            self._answer(case, soon)
            return
        case.target = target
        last_days = self.end - at < timedelta(days=7)
        if last_days and rng.random() < 0.15:
            appeal = service.accept(self.session, appeal_id=case.id, actor=op, now=soon)
            self.note(case, appeal)
            self.later(case, at + timedelta(hours=rng.uniform(20, 90)), "dispatch")
            return
        if rng.random() < 0.35:
            self.later(case, soon, "accept")
            return
        self.later(case, at + self._dispatch_delay(case), "dispatch")

    def _answer(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        article_ids = self.articles.get(case.item.code, [])
        article = rng.choice(article_ids) if article_ids else None
        if article is None and case.item.owner_rule is OwnerRule.KNOWLEDGE_BASE:
            pool = [a for code, ids in self.articles.items() if code.startswith("15") for a in ids]
            article = rng.choice(pool) if pool else None
        unit = self._unit_name(case)
        text = (
            "已依据知识库答复来电人，告知办理条件、所需材料和办理渠道。"
            if article is not None
            else f"已答复来电人：“{case.item.name}”事项由{unit}负责，告知了办理渠道和咨询电话。"
        )
        appeal = service.answer_directly(
            self.session, appeal_id=case.id, text=text, knowledge_article_id=article,
            actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.note(case, appeal)
        if rng.random() < 0.3:
            self.later(case, at + timedelta(hours=rng.uniform(20, 72)), "callback_answer")
        else:
            self.later(case, at + timedelta(minutes=rng.randint(5, 60)), "close_disposed")

    def _unit_name(self, case: _Case) -> str:
        target = self._route(case) if case.grid else None
        if target is None:
            return "相关部门"
        kind, unit_id = target
        if kind == "department":
            return next((d.name for d in self.world.departments if d.id == unit_id), "相关部门")
        if kind == "utility":
            return next((u.name for u, _ in self.world.utilities if u.id == unit_id), "相关企业")
        grid = case.grid
        if grid is not None and unit_id == grid.street.id:
            return grid.street.name
        return "所在区人民政府"

    def _merge(self, case: _Case, at: datetime) -> bool:
        if case.grid is None:
            return False
        bucket = self.open_by_street.get(case.grid.street.id, [])
        any_item = case.item.code == "990203"
        open_ones = [
            c
            for c in bucket
            if c.status in OPEN_FOR_MERGE
            and (any_item or c.item.code == case.item.code)
            and c.received_at > at - timedelta(days=5 if not any_item else 30)
        ]
        if not open_ones:
            return False
        target = self.rng.choice(open_ones)
        appeal = service.merge(
            self.session, appeal_id=case.id, target_number=target.number,
            note="与已受理工单反映同一问题，并单处理。", actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.note(case, appeal)
        return True

    def _route(self, case: _Case) -> tuple[str, int] | None:
        grid = case.grid
        if grid is None:
            return None
        key = (case.item.code, grid.street.id)
        if key in self.routes:
            return self.routes[key]
        codes = {grid.street.code, grid.district.code, grid.city.code if grid.city else ""}
        serving = [u for u, area in self.world.utilities if codes.intersection(area)]
        place = RoutePlace(
            source="region", confidence=1.0, street=grid.street, district=grid.district,
            city=grid.city, region_id=grid.id, region_path=grid.path, detail=grid.name,
        )  # fmt: skip
        decision = route(case.item, place, departments=self.world.departments, utilities=serving)
        result = None
        if decision.unit_kind is not None and decision.unit_id is not None:
            result = (decision.unit_kind, decision.unit_id)
        self.routes[key] = result
        return result

    def _dispatch_delay(self, case: _Case) -> timedelta:
        rng = self.rng
        limit_hours = {
            UrgencyLevel.EMERGENCY: 1.0,
            UrgencyLevel.UTILITY: 2.0,
            UrgencyLevel.GENERAL: 24.0,
            UrgencyLevel.COMPLEX: 24.0,
        }[case.level]
        share = rng.uniform(1.1, 2.5) if rng.random() < 0.04 else rng.uniform(0.05, 0.6)
        if case.level in (UrgencyLevel.GENERAL, UrgencyLevel.COMPLEX) and share < 1:
            share *= 0.4  # most ordinary orders go out within a few hours
        return timedelta(hours=limit_hours * share)

    # -- steps ------------------------------------------------------------------------------

    def _accept(self, case: _Case, at: datetime) -> None:
        appeal = service.accept(self.session, appeal_id=case.id, actor=self.actors.operator, now=at)
        self.note(case, appeal)
        self.later(case, at + self._dispatch_delay(case), "dispatch")

    def _wrong_unit(self, target: tuple[str, int], grid: GridSpot) -> tuple[str, int] | None:
        kind, unit_id = target
        if kind == "region":
            others = sorted(s for s in self.actors.streets if s not in (unit_id, grid.district.id))
        elif kind == "department":
            depts = self.world.district_departments.get(grid.district.id, [])
            others = [d for d in depts if d != unit_id]
        else:
            return None
        return (kind, self.rng.choice(others)) if others else None

    def _dispatch(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        assert case.target is not None
        assert case.grid is not None
        lead = case.target
        if case.lead is None and rng.random() < 0.03:
            wrong = self._wrong_unit(case.target, case.grid)
            if wrong is not None:
                lead, case.misrouted = wrong, True
        co: list[tuple[str, int]] = []
        if lead[0] == "region" and case.item.whistle_candidate and rng.random() < 0.1:
            depts = self.world.district_departments.get(case.grid.district.id, [])
            if depts:
                co.append(("department", rng.choice(depts)))
        appeal = service.dispatch(
            self.session, appeal_id=case.id, lead=lead, co_units=co, actor=self.actors.dispatcher,
            now=at,
        )  # fmt: skip
        case.lead = lead
        case.dispatched_at = at
        case.response_due = appeal.response_due_at
        case.finish_due = appeal.finish_due_at
        # Units fall behind on some orders; the last weeks' backlog is what inboxes show.
        tail = self.end - at < timedelta(days=21)
        case.slow = rng.random() < (0.3 if tail else 0.06)
        self.note(case, appeal)
        bucket = self.open_by_street.setdefault(case.grid.street.id, [])
        if case not in bucket:
            bucket.append(case)
        if case.misrouted:
            self.later(case, at + timedelta(hours=rng.uniform(0.5, 6)), "request_return")
            return
        if tail and rng.random() < 0.12:
            self.later(case, at + timedelta(days=rng.uniform(1, 8)), "sign")
            return
        self.later(case, at + self._response_share(case, 0.05, 0.5), "sign")

    def _response_share(self, case: _Case, low: float, high: float) -> timedelta:
        assert case.dispatched_at is not None
        window = (case.response_due or case.dispatched_at + timedelta(hours=24)) - (
            case.dispatched_at
        )
        if self.rng.random() < 0.06:
            low, high = 1.05, 2.5
        return window * self.rng.uniform(low, high)

    def _unit(self, case: _Case) -> Actor:
        assert case.lead is not None
        return self.actors.handler(*case.lead)

    def _sign(self, case: _Case, at: datetime) -> None:
        appeal = service.sign(self.session, appeal_id=case.id, actor=self._unit(case), now=at)
        self.note(case, appeal)
        self.later(case, at + self._response_share(case, 0.02, 0.3), "contact")

    def _request_return(self, case: _Case, at: datetime) -> None:
        service.request_return(
            self.session, appeal_id=case.id, actor=self._unit(case), now=at,
            reason="经核实，该诉求不属于本单位职责范围，请重新派单。",
        )  # fmt: skip
        case.status = AppealStatus.RETURN_REQUESTED.value
        self.later(case, at + timedelta(hours=self.rng.uniform(0.5, 5)), "decide_return")

    def _decide_return(self, case: _Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.85:
            service.approve_return(
                self.session, appeal_id=case.id, note="同意退单，已重新派单。", actor=disp, now=at
            )
            case.status = AppealStatus.PENDING_DISPATCH.value
            case.misrouted = False
            self.later(case, at + timedelta(minutes=self.rng.randint(10, 120)), "dispatch")
            return
        service.reject_return(
            self.session, appeal_id=case.id, actor=disp, now=at,
            reason="该事项在本单位辖区内，请先行处置，需协同的可申请协办。",
        )  # fmt: skip
        case.status = AppealStatus.SIGNED.value
        self.later(case, at + timedelta(hours=self.rng.uniform(0.5, 4)), "contact")

    def _contact(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        appeal = service.contact(
            self.session, appeal_id=case.id, actor=self._unit(case), now=at,
            note=rng.choice(("已电话联系诉求人，约定上门查看。", "已联系诉求人核实情况。",
                             "已与诉求人沟通，正在协调处理。")),
        )  # fmt: skip
        self.note(case, appeal)
        lead = case.lead
        if (
            lead is not None
            and lead[0] == "region"
            and not case.whistled
            and rng.random() < (0.5 if case.item.whistle_candidate else 0.02)
        ):
            self.later(case, at + timedelta(hours=rng.uniform(1, 12)), "whistle")
        self.later(case, at + timedelta(hours=rng.uniform(2, 30)), "handle")

    def _whistle(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        if case.status not in ("signed", "in_progress") or case.grid is None:
            return
        depts = self.world.district_departments.get(case.grid.district.id, [])
        if not depts:
            return
        chosen = rng.sample(depts, k=min(len(depts), rng.choice((1, 1, 2))))
        row = service.whistle(
            self.session, appeal_id=case.id, department_ids=chosen, actor=self._unit(case),
            kind=rng.choice(("daily", "daily", "tackle")), now=at,
            reason=f"{case.item.name}问题涉及多个部门职责，街道吹哨，请相关部门到现场会商处置。",
        )  # fmt: skip
        case.whistled = True
        for dept in chosen:
            case.arrivals.append((row.id, dept))
            self.later(
                case, at + timedelta(minutes=rng.choice((12, 18, 25, 28, 35, 50))), "arrival"
            )

    def _arrival(self, case: _Case, at: datetime) -> None:
        whistle_id, dept = case.arrivals.pop(0)
        if case.status not in ARRIVAL_STATUSES:
            return
        service.record_arrival(
            self.session, appeal_id=case.id, whistle_id=whistle_id, department_id=dept,
            note="已到达现场报到。", actor=self.actors.departments[dept], now=at,
        )  # fmt: skip

    def _finish_share(self, case: _Case, low: float, high: float) -> timedelta:
        start = case.dispatched_at or case.received_at
        window = (case.finish_due or start + timedelta(days=7)) - start
        return window * self.rng.uniform(low, high)

    def _handle(self, case: _Case, at: datetime) -> None:
        """The unit decides how handling goes: a review request, or a reply in time or late."""
        rng = self.rng
        if case.status != AppealStatus.IN_PROGRESS.value:
            return
        unit, r = self._unit(case), rng.random()
        if r < 0.02 and case.rounds == 0 and not case.parked:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.REQUEST_PARK, actor=unit, now=at,
                text="该问题需纳入年度改造计划统筹解决，短期内无法办结，申请挂账。",
            )  # fmt: skip
            case.status = AppealStatus.PARK_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(4, 48)), "decide_park")
            return
        if r < 0.03 and case.rounds == 0:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.REQUEST_TERMINATION, actor=unit,
                now=at, text="诉求人诉求超出政策规定，已多次解释说明，诉求人仍坚持，申请终止办理。",
            )  # fmt: skip
            case.status = AppealStatus.TERMINATION_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(4, 48)), "decide_termination")
            return
        due = case.finish_due
        if r < 0.075 and not case.extended and due is not None and at < due - timedelta(hours=6):
            new_due = due + timedelta(days=rng.choice((5, 7, 10, 15)))
            service.request_extension(
                self.session, appeal_id=case.id, new_due_at=new_due, actor=unit, now=at,
                reason="需协调产权单位并安排施工，原时限内无法完成，申请延期。",
            )  # fmt: skip
            case.extended = True
            case.status = AppealStatus.EXTENSION_REQUESTED.value
            self.later(case, at + timedelta(hours=rng.uniform(2, 30)), "decide_extension")
            return
        self._schedule_reply(case, at)

    def _schedule_reply(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        if case.slow:
            reply_at = (case.dispatched_at or at) + self._finish_share(case, 1.1, 3.0)
            if rng.random() < 0.4 and case.dispatched_at is not None:
                remind_at = (case.finish_due or at) + timedelta(hours=rng.uniform(2, 30))
                self._remind_at(case, max(remind_at, at + timedelta(minutes=5)))
        else:
            reply_at = (case.dispatched_at or at) + self._finish_share(case, 0.15, 0.9)
        self.later(case, max(reply_at, at + timedelta(minutes=rng.randint(20, 240))), "reply")

    def _remind_at(self, case: _Case, when: datetime) -> None:
        self.later(case, when, "remind")

    def _remind(self, case: _Case, at: datetime) -> None:
        if case.status not in ("dispatched", "signed", "in_progress"):
            return
        if self.rng.random() < 0.5:
            service.remind(
                self.session, appeal_id=case.id, actor=self.actors.dispatcher, now=at,
                text="工单已超期，请抓紧办理并及时反馈。",
            )  # fmt: skip
        else:
            service.supervise(
                self.session, appeal_id=case.id, actor=self.actors.supervisor, now=at,
                text="该工单超期未办结，请承办单位主要负责人督促落实，尽快答复诉求人。",
            )  # fmt: skip

    def _decide_extension(self, case: _Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.85:
            ext = service.approve_extension(
                self.session, appeal_id=case.id, note="同意延期，请在新时限内办结。", actor=disp,
                now=at,
            )  # fmt: skip
            case.finish_due = ext.requested_due_at
        else:
            service.reject_extension(
                self.session, appeal_id=case.id, actor=disp, now=at,
                reason="延期理由不充分，请按原时限办理。",
            )  # fmt: skip
        case.status = AppealStatus.IN_PROGRESS.value
        self._schedule_reply(case, at)

    def _decide_termination(self, case: _Case, at: datetime) -> None:
        disp = self.actors.dispatcher
        if self.rng.random() < 0.8:
            appeal = service.review_step(
                self.session, appeal_id=case.id, action=Action.APPROVE_TERMINATION, actor=disp,
                now=at, text="经审核，符合终止办理条件。",
            )  # fmt: skip
            self.note(case, appeal)
            return
        service.review_step(
            self.session, appeal_id=case.id, action=Action.REJECT_TERMINATION, actor=disp, now=at,
            text="不符合终止办理条件，请继续办理并做好解释工作。",
        )  # fmt: skip
        case.status = AppealStatus.IN_PROGRESS.value
        case.rounds += 1
        self._schedule_reply(case, at)

    def _decide_park(self, case: _Case, at: datetime) -> None:
        disp, rng = self.actors.dispatcher, self.rng
        if rng.random() < 0.85:
            service.review_step(
                self.session, appeal_id=case.id, action=Action.APPROVE_PARK, actor=disp, now=at,
                text="经核实，同意挂账，条件具备后及时解决。",
            )  # fmt: skip
            case.status = AppealStatus.PARKED.value
            case.parked = True
            if rng.random() < 0.4:
                self.later(case, at + timedelta(days=rng.uniform(15, 90)), "unpark")
            return
        service.review_step(
            self.session, appeal_id=case.id, action=Action.REJECT_PARK, actor=disp, now=at,
            text="不符合挂账条件，请继续办理。",
        )  # fmt: skip
        case.status = AppealStatus.IN_PROGRESS.value
        case.rounds += 1
        self._schedule_reply(case, at)

    def _unpark(self, case: _Case, at: datetime) -> None:
        service.review_step(
            self.session, appeal_id=case.id, action=Action.UNPARK, actor=self._unit(case), now=at,
            text="改造资金已落实，恢复办理。",
        )  # fmt: skip
        case.status = AppealStatus.IN_PROGRESS.value
        case.finish_due = None
        self.later(case, at + timedelta(days=self.rng.uniform(3, 20)), "reply")

    def _reply(self, case: _Case, at: datetime) -> None:
        rng = self.rng
        if case.status != AppealStatus.IN_PROGRESS.value:
            return
        texts = (
            f"经现场核实，已对“{case.item.name}”问题进行处置，并已向诉求人反馈办理结果。",
            f"已协调相关单位处理{case.item.name}问题，诉求人表示认可。",
            f"针对反映的{case.item.name}问题，已安排人员整改完毕，后续将加强巡查。",
            f"已向诉求人解释相关政策，{case.item.name}问题按规定办理中，已告知后续安排。",
        )
        appeal = service.reply(
            self.session, appeal_id=case.id, text=rng.choice(texts), actor=self._unit(case),
            now=at,
        )  # fmt: skip
        self.note(case, appeal)
        step = "verify" if case.flow is Flow.GRID else "callback"
        self.later(case, at + timedelta(hours=rng.uniform(3, 50)), step)

    def _satisfaction(self) -> tuple[bool, Satisfaction]:
        r = self.rng.random()
        if r < 0.86:
            return True, Satisfaction.SATISFIED
        if r < 0.95:
            return self.rng.random() < 0.85, Satisfaction.FAIRLY_SATISFIED
        return self.rng.random() < 0.3, Satisfaction.DISSATISFIED

    def _callback(self, case: _Case, at: datetime) -> None:
        rng, op = self.rng, self.actors.operator
        if rng.random() < 0.03:
            appeal = service.close_without_callback(
                self.session, appeal_id=case.id, actor=op, now=at,
                reason="三次回访均未接通，按规定结案。",
            )  # fmt: skip
            self.note(case, appeal)
            return
        resolved, rating = self._satisfaction()
        unhappy = not resolved or rating is Satisfaction.DISSATISFIED
        reopen = unhappy and case.rounds == 0 and rng.random() < 0.7
        service.callback(
            self.session, appeal_id=case.id, resolved=resolved, satisfaction=rating,
            actor=op, now=at, reopen=reopen,
            note="诉求人对办理结果表示认可。" if not unhappy else "诉求人认为问题未得到解决。",
            reason="诉求人反映问题仍未解决，要求重新办理。" if reopen else "",
        )  # fmt: skip
        self.summary.satisfaction[rating.value] += 1
        if reopen:
            case.rounds += 1
            case.status = AppealStatus.IN_PROGRESS.value
            self.later(case, at + timedelta(days=rng.uniform(1, 6)), "reply")
        else:
            case.status = AppealStatus.CLOSED.value
            self._forget(case)

    def _callback_answer(self, case: _Case, at: datetime) -> None:
        resolved, rating = self._satisfaction()
        if rating is Satisfaction.DISSATISFIED:
            resolved = True  # an answered inquiry was answered; the rating is about the answer
        service.callback(
            self.session, appeal_id=case.id, resolved=resolved, satisfaction=rating,
            note="来电人表示已了解办理方式。", actor=self.actors.operator, now=at,
        )  # fmt: skip
        self.summary.satisfaction[rating.value] += 1
        case.status = AppealStatus.CLOSED.value
        self._forget(case)

    def _verify(self, case: _Case, at: datetime) -> None:
        worker = case.reporter
        if worker is None:
            return
        fixed = case.rounds > 0 or self.rng.random() < 0.94
        appeal = service.verify(
            self.session, appeal_id=case.id, fixed=fixed, actor=worker, now=at,
            note="现场核查，问题已整改到位。" if fixed else "现场核查，问题仍然存在，退回重新处置",
        )  # fmt: skip
        self.note(case, appeal)
        if not fixed:
            case.rounds += 1
            self.later(case, at + timedelta(days=self.rng.uniform(1, 4)), "reply")

    def _close_disposed(self, case: _Case, at: datetime) -> None:
        appeal = service.close_disposed(
            self.session, appeal_id=case.id, actor=self.actors.operator, now=at
        )
        self.note(case, appeal)


# --- item and time draws ------------------------------------------------------------------------


def _season(code: str, month: int) -> float:
    """How much more (or less) often an item comes up in ``month`` than on average."""
    if code == "040403":
        return 3.0 if month in (10, 11) else (1.0 if month in WINTER else 0.3)
    if code.startswith("0404"):
        return {11: 8.0, 12: 7.0, 1: 7.0, 2: 4.0, 3: 2.5}.get(month, 0.15)
    if code == "140403":
        return {12: 5.0, 1: 6.0, 2: 4.0}.get(month, 0.05)
    if code.startswith("0406") or code in ("140401", "140402"):
        return {6: 3.0, 7: 6.0, 8: 5.0, 5: 1.2, 9: 1.2}.get(month, 0.3)
    if code == "010504":
        return {4: 5.0, 5: 4.0}.get(month, 0.5)
    if code == "010501":
        return 3.0 if month in SUMMER else 0.6
    if code.startswith(("0401", "0402")) or code in ("010404", "070102", "070201"):
        return 1.8 if month in SUMMER else 0.9
    if code in ("100101", "100102", "100104"):
        return 3.0 if month in (4, 5, 6, 7, 8) else 0.5
    if code in ("080101", "080103"):
        return 3.0 if month in (12, 1) else 0.8
    return 1.0


def _item_tables(catalogue: Catalogue) -> tuple[list[CatalogueItem], dict[int, list[float]]]:
    leaves = sorted(catalogue.leaves(), key=lambda i: i.code)
    per_l1: Counter[str] = Counter(i.code[:2] for i in leaves)
    base: list[float] = []
    for item in leaves:
        weight = CATEGORY_WEIGHTS.get(item.code[:2], 1.0) / per_l1[item.code[:2]]
        if item.default_level == "L1":
            weight *= 0.35
        base.append(weight)
    tables: dict[int, list[float]] = {}
    for month in range(1, 13):
        acc, running = [], 0.0
        for item, weight in zip(leaves, base, strict=True):
            running += weight * _season(item.code, month)
            acc.append(running)
        tables[month] = acc
    return leaves, tables


def _receipt_times(
    rng: random.Random, start: datetime, end: datetime, count: int
) -> list[datetime]:
    days = max(1, (end - start).days)
    hours, hour_weights = zip(*HOURS, strict=True)
    out: list[datetime] = []
    first_day = start.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    while len(out) < count:
        day = first_day + timedelta(days=rng.randrange(days + 1))
        weekend = day.weekday() >= 5
        if weekend and rng.random() < 0.2:
            continue
        hour = rng.choices(hours, weights=hour_weights)[0]
        at = day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        if start <= at < end - timedelta(minutes=15):
            out.append(at)
    out.sort()
    return out


def build_appeals_year(
    session: Session,
    *,
    seed: int,
    scale: str,
    year_end: datetime,
    count: int | None = None,
    actors: DemoActors,
    field_key: str,
    media_dir: Path,
    addresses: Mapping[str, Sequence[str]] | None = None,
    catalogue: Catalogue | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AppealsYearSummary:
    """Create ``count`` appeals (default per scale, :data:`DEFAULT_COUNTS`) over the year that
    ends at ``year_end``, each walked through the use cases as far as the simulated year allows.

    ``addresses`` maps a grid code to register addresses used as the appeals' places;
    ``media_dir`` receives the photos of 随手拍 and patrol reports. Joins the caller's outer
    transaction (:func:`civicgrid.demo.builder.build_session`)."""
    total = DEFAULT_COUNTS.get(scale, 0) if count is None else count
    summary = AppealsYearSummary()
    if total <= 0:
        return summary
    rng = random.Random(f"civicgrid-appeals-{seed}-{scale}")
    end = year_end.astimezone(BEIJING)
    start = end - timedelta(days=365)
    catalogue = catalogue or load_default_catalogue()
    year = _Year(
        session,
        rng=rng,
        actors=actors,
        world=_load_world(session, addresses or {}),
        catalogue=catalogue,
        cipher=FieldCipher(field_key),
        media=service.MediaPolicy(store=LocalMediaStore(media_dir), max_bytes=1 << 20),
        start=start,
        end=end,
        summary=summary,
    )
    year.create_knowledge(start - timedelta(days=3))
    leaves, tables = _item_tables(catalogue)
    for n, at in enumerate(_receipt_times(rng, start, end, total), start=1):
        year.run_until(at)
        item = rng.choices(leaves, cum_weights=tables[at.month])[0]
        year.submit(item, at)
        if progress is not None and n % 500 == 0:
            progress(n, total)
    year.run_until(end)
    session.expunge_all()
    ids = list(year.cases)
    for start_at in range(0, len(ids), 900):
        chunk = ids[start_at : start_at + 900]
        for status, n in session.execute(
            select(Appeal.status, func.count()).where(Appeal.id.in_(chunk)).group_by(Appeal.status)
        ):
            summary.by_status[str(status)] += int(n)
    return summary


__all__ = [
    "DEFAULT_COUNTS",
    "AppealsYearSummary",
    "DemoActors",
    "build_appeals_year",
    "create_demo_actors",
]
