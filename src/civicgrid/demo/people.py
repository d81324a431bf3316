"""Residents and houses of the demo city, deterministic per seed (pure: no I/O, no clock).

``build_register_spec(seed, grids)`` gives, for every grid, a few residential compounds
(幸福路12号院), their buildings, units and rooms (3号楼2单元501), households living in them
(自住 owners with their families, 租住 tenants, 寄住 lodgers), some empty houses (空房) and tags
(党员, 低保, 独居老人, 残疾人, 退役军人, 重点人员). ID numbers are valid GB 11643 numbers with
correct check characters; phones are well-formed mainland mobiles. Each grid draws from its own
random stream (seed + grid code), so adding a grid never changes the others. The register's
``create_register_bulk`` use case loads the result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from civicgrid.register import idcard
from civicgrid.register.rows import RegisterRow
from civicgrid.register.rules import ResidenceKind
from civicgrid.register.specs import HouseSpec, RegisterSpec


@dataclass(frozen=True)
class GridInfo:
    """What the generator needs to know about a grid: its 15-digit code and name."""

    code: str
    name: str = ""


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国志文博晨阳天佳子轩浩然思远"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰萍红梅琳雪婷慧颖洁佳欣怡雨涵梓萱思琪诗晴可馨悦"
ROADS = (
    "幸福路",
    "和平里",
    "建国路",
    "光明街",
    "朝阳路",
    "团结路",
    "胜利街",
    "友谊路",
    "安华里",
    "永安路",
    "文化路",
    "长青街",
    "景山路",
    "银杏路",
    "枫林路",
    "新华街",
    "春晖路",
    "东湖路",
)
COMPOUND_SUFFIX = ("号院", "号院", "号院", "号小区")
# Other origins of residents' ID numbers (GB/T 2260 county codes) with the household place.
ORIGINS = (
    ("130102", "河北省石家庄市"),
    ("370102", "山东省济南市"),
    ("410102", "河南省郑州市"),
    ("140105", "山西省太原市"),
    ("210102", "辽宁省沈阳市"),
    ("420102", "湖北省武汉市"),
    ("340102", "安徽省合肥市"),
    ("510104", "四川省成都市"),
    ("230102", "黑龙江省哈尔滨市"),
    ("320102", "江苏省南京市"),
    ("430102", "湖南省长沙市"),
    ("150102", "内蒙古自治区呼和浩特市"),
)
ETHNICITIES = ("汉族",) * 40 + ("回族", "满族", "蒙古族", "朝鲜族", "壮族")
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
REFERENCE_DAY = date(2026, 1, 1)


class _GridGenerator:
    def __init__(self, seed: int, grid: GridInfo, taken_ids: set[str]) -> None:
        self.rng = random.Random(f"{seed}:{grid.code}")
        self.grid = grid
        self.taken = taken_ids
        self.local_area = grid.code[:6]
        self.local_place = f"本市（{grid.code[:6]}）"

    def name(self, gender: str, surname: str | None = None) -> str:
        chars = MALE_CHARS if gender == "M" else FEMALE_CHARS
        given = self.rng.choice(chars)
        if self.rng.random() < 0.7:
            given += self.rng.choice(chars)
        return (surname or self.rng.choice(SURNAMES)) + given

    def id_number(self, birth: date, gender: str, local: bool) -> tuple[str, str]:
        area, place = (self.local_area, self.local_place) if local else self.rng.choice(ORIGINS)
        while True:
            seq = self.rng.randrange(0, 1000)
            if (seq % 2 == 1) != (gender == "M"):
                seq = (seq + 1) % 1000
            number = idcard.make_number(area, birth, seq)
            if number not in self.taken:
                self.taken.add(number)
                return number, place

    def birth(self, min_age: int, max_age: int) -> date:
        age_days = self.rng.randrange(min_age * 365, max_age * 365 + 1)
        return REFERENCE_DAY - timedelta(days=age_days)

    def phone(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def person(
        self,
        *,
        gender: str,
        birth: date,
        house: HouseSpec,
        kind: ResidenceKind,
        relation: str,
        local: bool,
        surname: str | None = None,
        since: date,
    ) -> RegisterRow:
        id_no, place = self.id_number(birth, gender, local)
        age = (REFERENCE_DAY - birth).days // 365
        tags: list[str] = []
        r = self.rng.random
        if age >= 18 and r() < 0.08:
            tags.append("党员")
        if age >= 18 and gender == "M" and r() < 0.03:
            tags.append("退役军人")
        if r() < 0.015:
            tags.append("残疾人")
        if age >= 18 and r() < 0.003:
            tags.append("重点人员")
        return RegisterRow(
            name=self.name(gender, surname),
            id_no=id_no,
            birth_on=birth,
            gender=gender,
            phone=self.phone() if age >= 14 and r() < 0.92 else "",
            ethnicity=self.rng.choice(ETHNICITIES),
            household_place=place,
            grid_code=self.grid.code,
            address=house.address,
            building=house.building,
            unit=house.unit,
            room=house.room,
            kind=kind,
            relation=relation,
            from_on=max(since, birth),
            tags=tuple(tags),
        )

    def houses(self) -> list[HouseSpec]:
        out: list[HouseSpec] = []
        for c in range(self.rng.randint(1, 3)):
            road = self.rng.choice(ROADS)
            address = f"{road}{self.rng.randint(1, 120) + c}{self.rng.choice(COMPOUND_SUFFIX)}"
            for b in range(1, self.rng.randint(3, 8) + 1):
                floors = self.rng.choice((6, 6, 7, 11, 16, 18))
                units = self.rng.randint(1, 3)
                per_floor = self.rng.choice((2, 2, 3, 4))
                area = round(self.rng.uniform(45, 140), 1)
                for u in range(1, units + 1):
                    for f in range(1, floors + 1):
                        for n in range(1, per_floor + 1):
                            out.append(
                                HouseSpec(
                                    grid_code=self.grid.code,
                                    address=address,
                                    building=f"{b}号楼",
                                    unit=f"{u}单元",
                                    room=f"{f}{n:02d}",
                                    area_m2=area,
                                )
                            )
        return out

    def household(self, house: HouseSpec) -> list[RegisterRow]:
        r = self.rng.random()
        since = REFERENCE_DAY - timedelta(days=self.rng.randrange(30, 30 * 365))
        local = self.rng.random() < 0.65
        if r < 0.18:  # tenants
            rows = []
            for _ in range(self.rng.choice((1, 1, 2, 2, 3))):
                g = self.rng.choice("MF")
                rows.append(
                    self.person(
                        gender=g,
                        birth=self.birth(20, 45),
                        house=house,
                        kind=ResidenceKind.TENANT,
                        relation="租客",
                        local=False,
                        since=since,
                    )
                )
            return rows
        if r < 0.28:  # an older person living alone
            g = self.rng.choice("MF")
            row = self.person(
                gender=g,
                birth=self.birth(70, 92),
                house=house,
                kind=ResidenceKind.OWNER,
                relation="本人",
                local=local,
                since=since,
            )
            extra = ("独居老人",) + (("低保",) if self.rng.random() < 0.1 else ())
            return [_with_tags(row, extra)]
        head_gender = self.rng.choice("MF")
        head = self.person(
            gender=head_gender,
            birth=self.birth(28, 70),
            house=house,
            kind=ResidenceKind.OWNER,
            relation="本人",
            local=local,
            since=since,
        )
        rows = [head]
        surname = head.name[0]
        if self.rng.random() < 0.8:
            rows.append(
                self.person(
                    gender="F" if head_gender == "M" else "M",
                    birth=head.birth_on + timedelta(days=self.rng.randrange(-1500, 1500)),
                    house=house,
                    kind=ResidenceKind.OWNER,
                    relation="配偶",
                    local=local,
                    since=since,
                )
            )
        head_age = (REFERENCE_DAY - head.birth_on).days // 365
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            max_age = max(0, min(head_age - 20, 30))
            birth = self.birth(0, max_age)
            rows.append(
                self.person(
                    gender=self.rng.choice("MF"),
                    birth=birth,
                    house=house,
                    kind=ResidenceKind.OWNER,
                    relation="子女",
                    local=local,
                    surname=surname,
                    since=since,
                )
            )
        if head_age < 50 and self.rng.random() < 0.12:
            rows.append(
                self.person(
                    gender=self.rng.choice("MF"),
                    birth=self.birth(65, 88),
                    house=house,
                    kind=ResidenceKind.LODGER,
                    relation="父母",
                    local=local,
                    since=since,
                )
            )
        if self.rng.random() < 0.02:
            rows = [_with_tags(x, ("低保",)) for x in rows]
        return rows


def _with_tags(row: RegisterRow, extra: tuple[str, ...]) -> RegisterRow:
    tags = tuple(dict.fromkeys(row.tags + extra))
    return RegisterRow(
        row.name,
        row.id_no,
        row.birth_on,
        row.gender,
        row.phone,
        row.ethnicity,
        row.household_place,
        row.grid_code,
        row.address,
        row.building,
        row.unit,
        row.room,
        row.kind,
        row.relation,
        row.from_on,
        tags,
    )


def build_register_spec(
    seed: int, grids: list[GridInfo], *, residents_per_grid: int = 500
) -> RegisterSpec:
    """Houses and residents for every grid (about ``residents_per_grid`` people each, ≈ 8 %
    of houses empty and tagged 空房, rented houses tagged 出租房). Deterministic per seed."""
    taken: set[str] = set()
    houses: list[HouseSpec] = []
    rows: list[RegisterRow] = []
    for grid in sorted(grids, key=lambda g: g.code):
        gen = _GridGenerator(seed, grid, taken)
        grid_houses = gen.houses()
        count = 0
        for house in grid_houses:
            if count >= residents_per_grid:
                break
            if gen.rng.random() < 0.08:
                houses.append(_house_with(house, vacant=True, tags=("空房",)))
                continue
            people = gen.household(house)
            count += len(people)
            rented = any(p.kind is ResidenceKind.TENANT for p in people)
            houses.append(_house_with(house, vacant=False, tags=("出租房",) if rented else ()))
            rows.extend(people)
        while count < residents_per_grid:
            # The compound is full: add another building's worth of rooms in a new compound.
            extra = HouseSpec(
                grid.code, f"{gen.rng.choice(ROADS)}{200 + count}号", "1号楼", "", f"{count}"
            )
            people = gen.household(extra)
            count += len(people)
            houses.append(_house_with(extra, vacant=False, tags=()))
            rows.extend(people)
    return RegisterSpec(houses=houses, rows=rows)


def _house_with(h: HouseSpec, *, vacant: bool, tags: tuple[str, ...]) -> HouseSpec:
    return HouseSpec(
        h.grid_code, h.address, h.building, h.unit, h.room, h.area_m2, h.use, vacant, tags
    )
