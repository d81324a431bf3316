"""12345 work-order import: N generated rows in the default layout (CSV, UTF-8), read, checked
and imported in one all-or-nothing run through ``exchange.service.import_orders`` (each row a
hotline intake with its number, submit event, outbox message and audit row, its lead unit and
street matched by name, plus its handling history as timeline events), then imported again
(every row an update). Reports rows/s for reading, the first import and the re-import. On
SQLite (a file) or PostgreSQL (its own database, created and dropped).

    .venv/bin/python benchmarks/exchange_bench.py --engine sqlite --rows 100000
    .venv/bin/python benchmarks/exchange_bench.py --engine postgresql --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from civicgrid import migrate
from civicgrid.appeals.service.intake import MediaPolicy
from civicgrid.auth.actor import Actor
from civicgrid.clock import BEIJING
from civicgrid.db import make_engine, make_session_factory
from civicgrid.dispatch import service as dispatch_service
from civicgrid.exchange import rules, service
from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import FieldCipher
from civicgrid.media.store import LocalMediaStore
from civicgrid.register.rules import ImportMode
from civicgrid.territory import service as territory_service

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN = Actor.system("bench")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
# The street every order names (所属区/街道 东城街道, 承办单位 东城街道办事处), in its
# district and city.
TERRITORY = [
    ("110000000000", "北京市", "city", None, (116.0, 39.0, 117.0, 40.0)),
    ("110101000000", "东城区", "district", "110000000000", (116.1, 39.1, 116.9, 39.9)),
    ("110101001000", "东城街道", "street", "110101000000", (116.2, 39.2, 116.8, 39.8)),
]
CATEGORIES = ["城市管理与市容环境-环境卫生-暴露垃圾", "环境卫生-垃圾清运不及时", "不存在的分类"]


def _file(rows: int) -> bytes:
    """A CSV export of ``rows`` orders over a year, every third one still open."""
    mapping = rules.default_mapping()
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(mapping.headers())
    start = datetime(2024, 1, 1, 8, 0, tzinfo=BEIJING)
    for i in range(rows):
        received = start + timedelta(minutes=5 * i)
        done = i % 3 != 0

        def at(hours: float, received: datetime = received) -> str:
            return (received + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")

        values = {
            "external_no": f"GD{i:09d}",
            "received_at": at(0),
            "caller_name": f"来电人{i % 997}",
            "caller_phone": f"138{i % 100000000:08d}",
            "appeal_type": ["投诉", "求助", "咨询", "建议"][i % 4],
            "title": f"第 {i} 号诉求",
            "content": f"幸福路 {i % 300} 号附近问题反映，编号 {i}。",
            "address": f"幸福路 {i % 300} 号",
            "district": "东城街道",
            "urgency": "一般",
            "category": CATEGORIES[i % 3],
            "units": "东城街道办事处",
            "dispatched_at": at(1),
            "finish_due_at": at(24 * 7),
            "signed_at": at(2),
            "reply_text": "已处理。" if done else "",
            "replied_at": at(48) if done else "",
            "extensions": "",
            "returns": "",
            "supervisions": at(30)[:16] + " 督促办理" if i % 10 == 0 else "",
            "callback_at": at(72) if done else "",
            "resolved": "是" if done else "",
            "satisfaction": "满意" if done else "",
            "status": "已办结" if done else "办理中",
        }
        writer.writerow([values[f] for f in rules.FIELDS if f in mapping.columns])
    return out.getvalue().encode("utf-8")


def _territory() -> dict[str, object]:
    features = []
    for code, name, level, parent, (x0, y0, x1, y1) in TERRITORY:
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        props = {"code": code, "name": name, "level": level, "parent_code": parent}
        features.append(
            {
                "type": "Feature",
                "properties": {k: v for k, v in props.items() if v is not None},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _run(engine: Engine, rows: int, media_root: Path) -> None:
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as s:
        territory_service.import_geojson(s, collection=_territory(), actor=ADMIN, now=NOW)
    with factory() as s:
        dispatch_service.load_catalogue(
            s, catalogue=dispatch_service.default_catalogue(), actor=ADMIN, now=NOW
        )
    data = _file(rows)
    mapping = rules.default_mapping()
    cipher = FieldCipher(Fernet.generate_key().decode("ascii"))
    media = MediaPolicy(store=LocalMediaStore(media_root), max_bytes=1)
    started = time.perf_counter()
    table = spreadsheet.read_table(data, "csv", rules.aliases(mapping))
    read_s = time.perf_counter() - started
    print(
        f"read {rows} rows ({len(data) / 1e6:.1f} MB): {read_s:.1f} s, {rows / read_s:,.0f} rows/s"
    )
    for label in ("first import (creates)", "re-import (updates)"):
        with factory() as s:
            started = time.perf_counter()
            report = service.import_orders(
                s,
                table=table,
                mapping=mapping,
                mode=ImportMode.ALL_OR_NOTHING,
                dry_run=False,
                actor=ADMIN,
                cipher=cipher,
                media=media,
                now=NOW,
            )
            seconds = time.perf_counter() - started
        print(
            f"{label}: {seconds:.1f} s, {rows / seconds:,.0f} rows/s "
            f"(created {report.created}, updated {report.updated}, "
            f"unmapped categories {len(report.unmapped_categories)}, "
            f"unmatched names {len(report.unmatched_names)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=100000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.engine == "sqlite":
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            _run(engine, args.rows, Path(tmp) / "media")
            engine.dispose()
            return
        name = f"civicgrid_bench_exchange_{uuid.uuid4().hex[:6]}"
        admin = make_engine(f"{PG_BASE}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(f"{PG_BASE}/{name}")
        try:
            _run(engine, args.rows, Path(tmp) / "media")
        finally:
            engine.dispose()
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
