"""Benchmark of proactive governance: hot-problem mining on real messages and at scale, and the
backtest of the monthly forecast.

    .venv/bin/python benchmarks/hotspots_bench.py                       # everything
    .venv/bin/python benchmarks/hotspots_bench.py --part real --top 20  # real messages only
    .venv/bin/python benchmarks/hotspots_bench.py --part scale --sizes 10000,100000
    .venv/bin/python benchmarks/hotspots_bench.py --part scale --limit 100  # as stored
    .venv/bin/python benchmarks/hotspots_bench.py --part forecast

* ``real`` mines ``../shared/data/teddy2020c/messages_with_votes.csv`` (4,326 messages of a
  city's message board with support/opposition votes, 2017-06 … 2020-01; read in place, never
  copied) and prints the hottest groups with the titles of their members, so that a reader can
  judge whether each group is one problem.
* ``scale`` builds a synthetic year of short appeals (deterministic per ``--seed``): background
  appeals that mix random problems, places and districts, plus injected hot problems (one
  problem at one compound within two weeks, 15–80 appeals each). It times the miner and scores
  it against the injected truth: for each injected problem, the share of its appeals found in
  the best-matching group (recall) and the share of that group that belongs to it (precision).
* ``forecast`` replays the monthly forecast over synthetic category series with yearly
  seasonality, trend and Poisson noise (3 years, 12 months backtested) and prints its MAPE next
  to the naive forecast's; and over the monthly totals of the real messages (too few per month
  to be a fair test, shown for completeness).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from civicgrid.clock import BEIJING, monotonic
from civicgrid.config import PROJECT_ROOT
from civicgrid.insight import hotspots, sources, trends

DATA = PROJECT_ROOT.parent / "shared" / "data" / "teddy2020c" / "messages_with_votes.csv"


# --- real messages ---------------------------------------------------------------------------


def run_real(path: Path, top: int, members: int) -> None:
    started = monotonic()
    items = sources.read_csv_file(path).items
    read_s = monotonic() - started
    started, cpu_started = monotonic(), time.process_time()
    found = hotspots.find_hotspots(items)
    mine_s, mine_cpu = monotonic() - started, time.process_time() - cpu_started
    by_key = {i.key: i for i in items}
    sizes = Counter(min(h.size, 10) for h in found)
    print(f"## real messages: {path.name}")
    print(
        f"messages {len(items)}, read+places {read_s:.1f}s, "
        f"mining {mine_s:.1f}s wall / {mine_cpu:.1f}s CPU"
    )
    print(f"groups {len(found)}; sizes (10 = 10+): {dict(sorted(sizes.items()))}")
    for h in found[:top]:
        print(
            f"\n#{h.rank} heat {h.heat:.2f} {h.heat_parts} | {h.size} messages, "
            f"{h.callers} users, votes +{h.support}/-{h.oppose}, growth {h.growth:+.2f}, "
            f"{h.first_at:%Y-%m-%d} … {h.last_at:%Y-%m-%d}"
        )
        print(f"   label: {h.label}")
        print(f"   terms: {'、'.join(h.terms)} | areas: {'、'.join(h.areas) or '-'}")
        print(f"   places: {'、'.join(h.places) or '-'}")
        for key in h.members[:members]:
            print(f"     {key} {by_key[key].at:%Y-%m-%d} {by_key[key].title[:60]}")
        if h.size > members:
            print(f"     … {h.size - members} more")


# --- synthetic scale run -------------------------------------------------------------------

PROBLEMS: list[tuple[str, list[str]]] = [
    ("停水", ["经常停水", "自来水突然停供", "停水没有通知", "水压太低经常没水"]),
    ("停电", ["频繁停电", "突然停电没有通知", "电压不稳经常跳闸"]),
    ("供暖", ["暖气不热", "室温不达标", "供暖温度太低"]),
    ("噪音", ["夜间施工噪音扰民", "工地晚上施工太吵", "深夜打桩声音很大"]),
    ("油烟", ["餐馆油烟直排", "饭店油烟扰民", "烧烤油烟熏人"]),
    ("垃圾", ["垃圾无人清运", "垃圾桶满了没人管", "生活垃圾堆放发臭"]),
    ("停车", ["车辆乱停占用消防通道", "占道停车严重", "小区停车位被外来车辆占用"]),
    ("电梯", ["电梯经常故障", "电梯困人", "电梯年久失修"]),
    ("物业", ["物业乱收费", "物业服务差不作为", "物业费上涨不合理"]),
    ("违建", ["楼顶私搭乱建", "违章搭建阳光房", "占用绿地违建"]),
    ("漏水", ["楼上漏水", "屋顶渗水", "外墙渗漏"]),
    ("路灯", ["路灯不亮", "路灯损坏多日", "道路照明缺失"]),
    ("井盖", ["井盖缺失", "井盖破损", "下水道井盖松动"]),
    ("积水", ["下雨路面积水", "排水不畅积水严重", "雨后道路积水"]),
    ("欠薪", ["工资被拖欠", "老板拖欠工资", "工地欠薪"]),
    ("学位", ["孩子入学难", "学位不足", "划片入学不合理"]),
    ("公交", ["公交班次太少", "公交站点撤销", "公交车不按时"]),
    ("噪声商铺", ["商铺音响声音太大", "广场舞噪音", "酒吧噪音扰民"]),
    ("宠物", ["遛狗不拴绳", "犬只扰民", "流浪狗伤人"]),
    ("绿化", ["绿化带被毁", "树木遮挡采光", "草坪无人养护"]),
    ("摊贩", ["流动摊贩占道", "马路市场脏乱", "占道经营"]),
    ("燃气", ["燃气管道老化", "燃气费异常", "燃气开通慢"]),
    ("网络", ["宽带无法安装", "信号差", "光纤入户难"]),
    ("扬尘", ["工地扬尘严重", "渣土车遗撒", "道路扬尘"]),
    ("房产证", ["房产证办不下来", "不动产登记难", "办证拖延多年"]),
]
FILLERS = [
    "希望有关部门尽快处理",
    "已经反映多次没有结果",
    "严重影响居民生活",
    "请相关部门核实",
    "给老人小孩带来很大不便",
    "周边居民意见很大",
    "请尽快解决",
]
PREFIXES = [
    "幸福",
    "和平",
    "阳光",
    "锦绣",
    "翠湖",
    "金色",
    "东方",
    "龙湖",
    "碧水",
    "滨江",
    "绿洲",
    "万家",
    "中和",
    "保安",
    "华庭",
    "恒通",
]
MIDDLES = ["园", "湾", "城", "府", "庭", "景", "苑", "里"]
SUFFIXES = ["小区", "花园", "家园", "新城", "公寓"]


def _places(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add(rng.choice(PREFIXES) + rng.choice(MIDDLES) + rng.choice(SUFFIXES))
    return sorted(names)


def synthetic(n: int, seed: int, n_hot: int) -> tuple[list[hotspots.HotspotItem], dict[str, int]]:
    """(items, truth: key → injected hot problem id) for a year of ``n`` appeals."""
    rng = random.Random(seed)
    compounds = _places(rng, 400)
    districts = [f"A{i}区" for i in range(1, 10)]
    start = datetime(2026, 1, 1, tzinfo=BEIJING)
    items: list[hotspots.HotspotItem] = []
    truth: dict[str, int] = {}
    per_hot = [rng.randint(15, 80) for _ in range(n_hot)]
    n_background = max(0, n - sum(per_hot))

    def make(key: str, problem: int, place: str, district: str, at: datetime) -> None:
        phrases = PROBLEMS[problem][1]
        phrase = rng.choice(phrases)
        title = f"{district}{place}{phrase}" if rng.random() < 0.7 else f"{place}{phrase}"
        body = f"{district}{place}{rng.choice(phrases)}，{rng.choice(FILLERS)}。"
        if rng.random() < 0.5:
            other = PROBLEMS[rng.randrange(len(PROBLEMS))][1]
            body += f"另外{rng.choice(other)}，{rng.choice(FILLERS)}。"
        items.append(
            hotspots.item_from_text(
                key=key, title=title, text=body, at=at, caller=f"c{rng.randrange(10 * n)}"
            )
        )

    for k in range(n_background):
        at = start + timedelta(seconds=rng.randrange(365 * 86400))
        make(
            f"b{k}",
            rng.randrange(len(PROBLEMS)),
            rng.choice(compounds),
            rng.choice(districts),
            at,
        )
    for h, size in enumerate(per_hot):
        problem, place, district = (
            rng.randrange(len(PROBLEMS)),
            rng.choice(compounds),
            rng.choice(districts),
        )
        t0 = start + timedelta(days=rng.randrange(340))
        for k in range(size):
            key = f"h{h}_{k}"
            truth[key] = h
            make(key, problem, place, district, t0 + timedelta(seconds=rng.randrange(14 * 86400)))
    return items, truth


def run_scale(sizes: list[int], seed: int, n_hot: int, limit: int | None = None) -> None:
    print(f"\n## synthetic scale run{'' if limit is None else f' (the {limit} hottest explained)'}")
    print("n        wall s  CPU s  groups  hot-recall  hot-precision  injected-in-top")
    for n in sizes:
        items, truth = synthetic(n, seed, n_hot)
        started, cpu_started = monotonic(), time.process_time()
        found = hotspots.find_hotspots(items, limit=limit)
        seconds, cpu = monotonic() - started, time.process_time() - cpu_started
        sizes_by_hot = Counter(truth.values())
        recalls: list[float] = []
        precisions: list[float] = []
        best_rank: dict[int, int] = {}
        for h in found:
            hits = Counter(truth[m] for m in h.members if m in truth)
            if not hits:
                continue
            best_rank.setdefault(hits.most_common(1)[0][0], h.rank)
        for hot, size in sizes_by_hot.items():
            best = 0
            best_precision = 0.0
            for h in found:
                inter = sum(1 for m in h.members if truth.get(m) == hot)
                if inter > best:
                    best, best_precision = inter, inter / h.size
            recalls.append(best / size)
            precisions.append(best_precision)
        top_ranks = sorted(best_rank.values())
        in_top = sum(1 for r in top_ranks if r <= n_hot)
        print(
            f"{n:<8} {seconds:6.1f} {cpu:6.1f}  {len(found):6d}  {np.mean(recalls):10.3f}  "
            f"{np.mean(precisions):13.3f}  {in_top}/{n_hot}"
        )


# --- forecast backtest -----------------------------------------------------------------------


def _seasonal_series(rng: random.Random, months: int) -> list[float]:
    level = rng.uniform(80, 3000)
    amplitude = rng.uniform(0.1, 0.5)
    phase = rng.uniform(0, 2 * math.pi)
    growth = rng.uniform(-0.01, 0.03)
    series: list[float] = []
    for t in range(months):
        mean = level * (1 + growth) ** t * (1 + amplitude * math.sin(2 * math.pi * t / 12 + phase))
        # Poisson noise by a normal approximation (the counts are large).
        series.append(max(0.0, round(rng.gauss(mean, math.sqrt(mean)))))
    return series


def run_forecast(seed: int, series: int, path: Path) -> None:
    rng = random.Random(seed)
    tests = [trends.backtest(_seasonal_series(rng, 36), months=12) for _ in range(series)]
    mape, naive = trends.pooled_mape(tests)
    print("\n## forecast backtest")
    print(
        f"synthetic: {series} category series × 36 months, last 12 replayed: "
        f"seasonal MAPE {mape}%, naive MAPE {naive}%"
    )
    if path.exists():
        items = sources.read_csv_file(path).items
        first = min(i.at for i in items)
        last = max(i.at for i in items)
        counts = trends.monthly_counts(
            ((i.at.date(), "all") for i in items if i.at.year >= 2019),
            first=(2019, 1),
            last=(2019, 12),
        )["all"]
        test = trends.backtest([float(c) for c in counts], months=6)
        print(
            f"real messages 2019 monthly totals ({first:%Y-%m} … {last:%Y-%m} in the file; "
            f"12 months, recent-mean rule): MAPE {test.mape}%, naive MAPE {test.naive_mape}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["all", "real", "scale", "forecast"], default="all")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--hot", type=int, default=60)
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="scale run: keep (and explain) only the N hottest groups, as the stored snapshot "
        "does (100); recall and precision then count those groups only",
    )
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.part in ("all", "real"):
        if args.data.exists():
            run_real(args.data, args.top, args.members)
        else:
            print(f"real data not found at {args.data}; skipped")
    if args.part in ("all", "scale"):
        run_scale([int(s) for s in args.sizes.split(",")], args.seed, args.hot, args.limit)
    if args.part in ("all", "forecast"):
        run_forecast(args.seed, args.series, args.data)


if __name__ == "__main__":
    main()
