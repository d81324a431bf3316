"""Benchmark of address parsing for dispatch (``dispatch.places``): the cpca divisions stage
and the territory's own names below it, against the demo ``city`` territory.

Builds the region index of the demo city (6 districts, 72 streets, 1,080 communities, 21,600
grids) from its territory spec (no database), generates address texts of several shapes with a
known answer — with the city and district prefix, with the district only, street and community
only, short street names, and addresses elsewhere in China — and reports, per shape, how often
the parser finds the intended region (or calls the text outside the territory), with wall and
CPU time per text of the divisions stage alone and of the whole parse.

    .venv/bin/python benchmarks/address_bench.py [--per-shape 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections import defaultdict

from civicgrid.clock import monotonic
from civicgrid.demo.city import build_territory_spec
from civicgrid.dispatch.divisions import parse_divisions
from civicgrid.dispatch.places import RegionIndex, RegionName, short_name

ELSEWHERE = (
    "上海市浦东新区张江镇科苑路{n}号",
    "广东省深圳市南山区粤海街道科技园{n}栋",
    "浙江省杭州市西湖区文三路{n}号",
    "江苏省南京市玄武区中山路{n}号",
    "四川省成都市武侯区人民南路{n}号",
)


def _regions() -> list[RegionName]:
    spec = build_territory_spec(42, "city")
    props = [f["properties"] for f in spec.features["features"]]
    ids = {p["code"]: n for n, p in enumerate(props, start=1)}
    paths: dict[str, str] = {}
    out: list[RegionName] = []
    for p in props:  # parents come before children in the spec
        parent = p["parent_code"]
        path = f"{paths[parent] if parent else '/'}{ids[p['code']]}/"
        paths[p["code"]] = path
        out.append(
            RegionName(ids[p["code"]], p["code"], p["name"], p["level"],
                       ids[parent] if parent else None, path)
        )  # fmt: skip
    return out


def _texts(
    regions: list[RegionName], per_shape: int, seed: int
) -> dict[str, list[tuple[str, int]]]:
    rng = random.Random(seed)
    by_id = {r.id: r for r in regions}
    communities = [r for r in regions if r.level == "community"]
    shapes: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for _ in range(per_shape):
        community = rng.choice(communities)
        street = by_id[community.parent_id or 0]
        district = by_id[street.parent_id or 0]
        city = by_id[district.parent_id or 0]
        n = rng.randint(1, 40)
        shapes["city+district+street+community"].append(
            (f"{city.name}{district.name}{street.name}{community.name}{n}号楼门口", community.id)
        )
        shapes["district+street"].append((f"{district.name}{street.name}路口积水", street.id))
        shapes["street+community"].append(
            (f"{street.name}{community.name}{n}号院垃圾", community.id)
        )
        shapes["short street"].append(
            (f"{short_name(street.name) or street.name}那边路灯坏了", street.id)
        )
        shapes["elsewhere"].append((rng.choice(ELSEWHERE).format(n=n), 0))
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-shape", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    regions = _regions()
    wall, cpu = monotonic(), time.process_time()
    index = RegionIndex(regions)
    index.parse("云川市")  # loads cpca's table once
    print(
        f"index of {len(regions):,} regions + cpca load: {monotonic() - wall:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU"
    )
    print(f"python {platform.python_version()}, {platform.machine()}")
    print(
        "| shape | texts | right | outside | divisions ms/text (CPU) | parse ms/text (wall / CPU) |"
    )
    print("|---|---|---|---|---|---|")
    for shape, items in _texts(regions, args.per_shape, args.seed).items():
        cpu = time.process_time()
        for text, _ in items:
            parse_divisions(text)
        div_cpu = (time.process_time() - cpu) / len(items) * 1000
        wall, cpu = monotonic(), time.process_time()
        parsed = [(index.parse(text), want) for text, want in items]
        per_wall = (monotonic() - wall) / len(items) * 1000
        per_cpu = (time.process_time() - cpu) / len(items) * 1000
        if shape == "elsewhere":
            right = sum(1 for p, _ in parsed if p.outside and p.region is None)
        else:
            right = sum(1 for p, want in parsed if p.region is not None and p.region.id == want)
        outside = sum(1 for p, _ in parsed if p.outside)
        print(
            f"| {shape} | {len(items)} | {right / len(items):.1%} | {outside} | "
            f"{div_cpu:.2f} | {per_wall:.2f} / {per_cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
