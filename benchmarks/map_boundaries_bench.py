"""Benchmark of the map boundaries (民情图 and the dashboard map): what one page view costs in
the server for the grid geometry before and after the boundaries moved to their own cached
endpoint (/community-map/boundaries.geojson).

Builds the demo territory's grids (no database) with their boundaries as stored text, then
times per view, for every grid of the scale:

* before: each stored boundary parsed (``json.loads``) and the FeatureCollection written into
  the page (``json.dumps``), on every view;
* after, on a first load or after max-age: the endpoint's body (stored text joined unparsed)
  and its strong ETag (sha256 of the body);
* after, on a view within max-age: nothing (the browser reuses its copy); on revalidation the
  same body and ETag as above but a 304 with no body is sent.

    .venv/bin/python benchmarks/map_boundaries_bench.py [--scale small] [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable

from shapely.geometry import shape

from civicgrid.demo.city import build_territory_spec
from civicgrid.territory import geometry
from civicgrid.web.register.community_map import boundaries_body
from civicgrid.web.shared.http_cache import strong_etag


def _grids(scale: str) -> list[tuple[int, str, str, str | None]]:
    spec = build_territory_spec(42, scale)
    return [
        (
            i,
            f["properties"]["code"],
            f["properties"]["name"],
            geometry.to_geojson_text(shape(f["geometry"])),
        )
        for i, f in enumerate(spec.features["features"])
        if f["properties"]["level"] == "grid"
    ]


def _before(grids: list[tuple[int, str, str, str | None]]) -> bytes:
    features = [
        {"type": "Feature", "geometry": json.loads(b), "properties": {"id": i, "name": n}}
        for i, _c, n, b in grids
        if b
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _ms(call: Callable[[], object], repeat: int) -> float:
    call()
    start = time.process_time()
    for _ in range(repeat):
        call()
    return (time.process_time() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "city"))
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    grids = _grids(args.scale)
    before = _before(grids)
    after = boundaries_body(grids)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"scale {args.scale}: {len(grids)} grids")
    print(f"before: geometry in every page, {len(before) / 1024:.1f} KiB, "
          f"{_ms(lambda: _before(grids), args.repeat):.2f} ms CPU per view")  # fmt: skip
    print(f"after: endpoint body {len(after) / 1024:.1f} KiB, body + ETag "
          f"{_ms(lambda: strong_etag(boundaries_body(grids)), args.repeat):.2f} ms CPU per "
          "first load or revalidation (304 without body); 0 within max-age")  # fmt: skip


if __name__ == "__main__":
    main()
