"""The demo city's territory: a deterministic generator, per seed, of regions (GeoJSON), the
functional departments and the utilities with their service areas.

The city 云川市 is fictional; it lies around (114.50°E, 38.04°N), a plausible North-China
location (so heating utilities make sense). Districts, streets and communities are axis-aligned
rectangles cut from their parent at jittered positions; each community is cut into a jittered
lattice of grids whose outer vertices slide only along the community's edges, so the grids of a
community cover it exactly and never overlap. Numbering runs west→east, north→south (DOMAIN
§3.1).

Scales: ``small`` = 1 district, 4 streets, 16 communities, about 120 grids; ``city`` = 6
districts, 72 streets, 1,080 communities, 21,600 grids (for benchmarks); ``tiny`` = 1 district,
2 streets, 4 communities, 8 grids (tests).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from civicgrid.territory.hierarchy import grid_code
from civicgrid.territory.schemas import (
    DepartmentCreate,
    TerritorySpec,
    UtilityCreate,
    UtilityService,
)

CITY_CODE = "139900000000"
CITY_NAME = "云川市"
CITY_PREFIX = "1399"
CENTRE = (114.50, 38.04)
# Roughly 250 m grids at this latitude (1° lon ≈ 87.7 km, 1° lat ≈ 111.0 km).
GRID_DEG_LON = 0.00285
GRID_DEG_LAT = 0.00225

Rect = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class Scale:
    """How big a generated city is."""

    districts: tuple[int, int]  # columns, rows of districts
    streets: tuple[int, int]  # per district
    communities: tuple[int, int]  # per street
    grid_shapes: tuple[tuple[int, int], ...]  # (columns, rows) choices per community


SCALES: dict[str, Scale] = {
    "tiny": Scale((1, 1), (2, 1), (2, 1), ((2, 1),)),
    "small": Scale((1, 1), (2, 2), (2, 2), ((4, 2), (3, 2), (3, 3), (2, 4), (4, 2))),
    "city": Scale((3, 2), (4, 3), (5, 3), ((5, 4), (4, 5))),
}

DISTRICT_NAMES = ("临江区", "云山区", "北湖区", "新城区", "东港区", "西岭区", "南屏区", "望川区")
STREET_FIRST = "东西南北青白金银长永安和兴光明华春秋龙凤桃柳松竹梅兰清文德福泰瑞"
STREET_SECOND = "湖岭山门桥坊园城关苑河塘源阳台岗店林江湾庄"
COMMUNITY_FIRST = "枫杏荷桂樱梧槐杨柏栗橙桑茶菊芳翠碧锦绣瑞祥康乐宁丰盛嘉和安平新朝向晨曦星月云"
COMMUNITY_SECOND = "林苑园里坊湾景台庭居府院岸湖溪泉港洲"

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("cgw", "城管委", "市容环境卫生、占道经营、违法建设查处、户外广告、环卫作业"),
    ("zjw", "住建委", "房屋安全、物业管理、老旧小区改造、建筑施工扰民、电梯安全"),
    ("scjg", "市场监管局", "食品安全、无照经营、价格投诉、消费维权、特种设备"),
    ("sthj", "生态环境局", "大气污染、噪声污染、水污染、油烟排放、固体废物"),
    ("rlsb", "人力社保局", "劳动保障、拖欠工资、社会保险、就业服务、劳动争议"),
    ("wjw", "卫健委", "医疗服务、公共卫生、传染病防控、计划生育、医患纠纷"),
    ("jw", "教委", "学校管理、招生入学、校外培训、校园安全、教育收费"),
    ("jtw", "交通委", "公交运营、道路养护、停车管理、出租车、交通设施"),
    ("gaj", "公安分局", "治安秩序、户籍管理、交通违法、噪声扰民（社会生活）、消防隐患"),
    ("mzj", "民政局", "社会救助、养老服务、殡葬管理、婚姻登记、社会组织"),
    ("yllh", "园林绿化局", "绿地养护、树木修剪、公园管理、古树名木、绿化损毁"),
    ("yjgl", "应急管理局", "安全生产、危险化学品、防汛抗旱、应急救援、地质灾害"),
    ("swj", "水务局", "供排水监管、河湖管理、节约用水、防汛排涝、水环境"),
    ("gzfj", "规自分局", "规划许可、土地管理、违法用地、不动产登记、测绘地理"),
)


def build_territory_spec(seed: int, scale: str = "small") -> TerritorySpec:
    """The demo territory for ``seed`` at ``scale`` (``tiny``, ``small`` or ``city``).

    The same seed and scale always give the same spec, byte for byte.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    rng = random.Random(f"civicgrid-territory-{seed}-{scale}")
    conf = SCALES[scale]
    features: list[dict[str, Any]] = []
    names = _NamePool(rng)

    avg_cols = sum(c for c, _ in conf.grid_shapes) / len(conf.grid_shapes)
    avg_rows = sum(r for _, r in conf.grid_shapes) / len(conf.grid_shapes)
    n_grids_lon = conf.districts[0] * conf.streets[0] * conf.communities[0] * avg_cols
    n_grids_lat = conf.districts[1] * conf.streets[1] * conf.communities[1] * avg_rows
    width, height = n_grids_lon * GRID_DEG_LON, n_grids_lat * GRID_DEG_LAT
    city_rect = (
        CENTRE[0] - width / 2,
        CENTRE[1] - height / 2,
        CENTRE[0] + width / 2,
        CENTRE[1] + height / 2,
    )
    features.append(_feature(CITY_CODE, CITY_NAME, "city", None, _rect_polygon(city_rect)))

    district_codes: list[str] = []
    street_codes: list[str] = []
    for d_index, d_rect in enumerate(_split(city_rect, *conf.districts, rng), start=2):
        d_code = f"{CITY_PREFIX}{d_index:02d}000000"
        district_codes.append(d_code)
        d_name = DISTRICT_NAMES[(d_index - 2) % len(DISTRICT_NAMES)]
        features.append(_feature(d_code, d_name, "district", CITY_CODE, _rect_polygon(d_rect)))
        for s_index, s_rect in enumerate(_split(d_rect, *conf.streets, rng), start=1):
            s_code = f"{d_code[:6]}{s_index:03d}000"
            street_codes.append(s_code)
            s_name = names.street()
            features.append(_feature(s_code, s_name, "street", d_code, _rect_polygon(s_rect)))
            for c_index, c_rect in enumerate(_split(s_rect, *conf.communities, rng), start=1):
                c_code = f"{s_code[:9]}{c_index:03d}"
                c_name = names.community()
                features.append(
                    _feature(c_code, c_name, "community", s_code, _rect_polygon(c_rect))
                )
                cols, rows = rng.choice(conf.grid_shapes)
                cells = _jittered_lattice(c_rect, cols, rows, rng)
                for g_index, ring in enumerate(cells, start=1):
                    g_name = f"{c_name}第{g_index}网格"
                    features.append(
                        _feature(
                            grid_code(c_code, g_index),
                            g_name,
                            "grid",
                            c_code,
                            {"type": "Polygon", "coordinates": [ring]},
                        )
                    )

    return TerritorySpec(
        features={"type": "FeatureCollection", "features": features},
        departments=tuple(_departments(district_codes, features)),
        utilities=tuple(_utilities(district_codes, street_codes)),
    )


def _feature(
    code: str, name: str, level: str, parent_code: str | None, geometry: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent_code},
        "geometry": geometry,
    }


def _round(value: float) -> float:
    # Seven decimals ≈ 1 cm: enough for grids, and stable across platforms.
    return round(value, 7)


def _rect_polygon(rect: Rect) -> dict[str, Any]:
    w, s, e, n = (_round(v) for v in rect)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _cuts(lo: float, hi: float, parts: int, rng: random.Random, jitter: float) -> list[float]:
    """``parts + 1`` increasing positions from ``lo`` to ``hi``; inner cuts jittered."""
    step = (hi - lo) / parts
    inner = [_round(lo + step * (k + rng.uniform(-jitter, jitter))) for k in range(1, parts)]
    return [_round(lo), *inner, _round(hi)]


def _split(rect: Rect, cols: int, rows: int, rng: random.Random) -> list[Rect]:
    """Cut a rectangle into cols × rows rectangles, north→south then west→east."""
    w, s, e, n = rect
    xs = _cuts(w, e, cols, rng, 0.2)
    ys = _cuts(s, n, rows, rng, 0.2)
    result: list[Rect] = []
    for r in reversed(range(rows)):
        for c in range(cols):
            result.append((xs[c], ys[r], xs[c + 1], ys[r + 1]))
    return result


def _jittered_lattice(
    rect: Rect, cols: int, rows: int, rng: random.Random
) -> list[list[list[float]]]:
    """Closed rings of the cols × rows cells of a jittered lattice over ``rect``, numbered
    north→south, west→east. Inner vertices move in both directions, vertices on the edges of
    the rectangle only along the edge, and corners stay put, so the cells tile ``rect``."""
    w, s, e, n = rect
    dx, dy = (e - w) / cols, (n - s) / rows
    pts: list[list[tuple[float, float]]] = []
    for j in range(rows + 1):
        row: list[tuple[float, float]] = []
        for i in range(cols + 1):
            x = w + i * dx
            y = s + j * dy
            if 0 < i < cols:
                x += rng.uniform(-0.22, 0.22) * dx
            if 0 < j < rows:
                y += rng.uniform(-0.22, 0.22) * dy
            if i == 0:
                x = w
            elif i == cols:
                x = e
            if j == 0:
                y = s
            elif j == rows:
                y = n
            row.append((_round(x), _round(y)))
        pts.append(row)
    rings: list[list[list[float]]] = []
    for j in reversed(range(rows)):
        for i in range(cols):
            corners = (pts[j][i], pts[j][i + 1], pts[j + 1][i + 1], pts[j + 1][i], pts[j][i])
            rings.append([[x, y] for x, y in corners])
    return rings


class _NamePool:
    """Fictional, unique street and community names."""

    def __init__(self, rng: random.Random) -> None:
        self._streets = [a + b for a in STREET_FIRST for b in STREET_SECOND]
        self._communities = [
            a + b + c for a in COMMUNITY_FIRST for b in COMMUNITY_SECOND for c in ("", *"东西南北")
        ]
        rng.shuffle(self._streets)
        rng.shuffle(self._communities)

    def street(self) -> str:
        return f"{self._streets.pop()}街道"

    def community(self) -> str:
        return f"{self._communities.pop()}社区"


def _departments(
    district_codes: list[str], features: list[dict[str, Any]]
) -> list[DepartmentCreate]:
    names = {
        f["properties"]["code"]: f["properties"]["name"]
        for f in features
        if f["properties"]["level"] == "district"
    }
    result: list[DepartmentCreate] = []
    for d_code in district_codes:
        district = names[d_code]
        short = district.removesuffix("区")
        for abbr, label, duties in DEPARTMENTS:
            if abbr == "gaj":
                name = f"{CITY_NAME}公安局{short}分局"
            elif abbr == "gzfj":
                name = f"{CITY_NAME}规划和自然资源委员会{short}分局"
            else:
                name = f"{district}{label}"
            result.append(
                DepartmentCreate(
                    code=f"{d_code[:6]}-{abbr}", name=name, region_code=d_code, duties=duties
                )
            )
    return result


def _utilities(district_codes: list[str], street_codes: list[str]) -> list[UtilityCreate]:
    # Gas and heating are split between two companies each: by district in a large city, by
    # street when the city has a single district.
    units = district_codes if len(district_codes) > 1 else street_codes
    half = max(1, len(units) // 2)
    first, second = units[:half], units[half:] or units[:half]
    whole = [CITY_CODE]
    return [
        UtilityCreate(
            code="yc-water",
            name=f"{CITY_NAME}自来水集团有限公司",
            service=UtilityService.WATER,
            hotline="96116",
            service_area_codes=whole,
        ),
        UtilityCreate(
            code="yc-drainage",
            name=f"{CITY_NAME}排水集团有限公司",
            service=UtilityService.DRAINAGE,
            hotline="96117",
            service_area_codes=whole,
        ),
        UtilityCreate(
            code="yc-power",
            name=f"国网{CITY_NAME.removesuffix('市')}供电公司",
            service=UtilityService.POWER,
            hotline="95598",
            service_area_codes=whole,
        ),
        UtilityCreate(
            code="yc-gas-1",
            name=f"{CITY_NAME}燃气集团有限公司",
            service=UtilityService.GAS,
            hotline="96777",
            service_area_codes=first,
        ),
        UtilityCreate(
            code="yc-gas-2",
            name=f"{CITY_NAME}新源燃气有限公司",
            service=UtilityService.GAS,
            hotline="96778",
            service_area_codes=second,
        ),
        UtilityCreate(
            code="yc-heat-1",
            name=f"{CITY_NAME}热力集团有限公司",
            service=UtilityService.HEATING,
            hotline="96069",
            service_area_codes=first,
        ),
        UtilityCreate(
            code="yc-heat-2",
            name=f"{CITY_NAME}城东供热有限公司",
            service=UtilityService.HEATING,
            hotline="96070",
            service_area_codes=second,
        ),
        UtilityCreate(
            code="yc-telecom-ct",
            name=f"中国电信{CITY_NAME.removesuffix('市')}分公司",
            service=UtilityService.TELECOM,
            hotline="10000",
            service_area_codes=whole,
        ),
        UtilityCreate(
            code="yc-telecom-cm",
            name=f"中国移动{CITY_NAME.removesuffix('市')}分公司",
            service=UtilityService.TELECOM,
            hotline="10086",
            service_area_codes=whole,
        ),
        UtilityCreate(
            code="yc-telecom-cu",
            name=f"中国联通{CITY_NAME.removesuffix('市')}分公司",
            service=UtilityService.TELECOM,
            hotline="10010",
            service_area_codes=whole,
        ),
    ]
