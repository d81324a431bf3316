"""The 12345 exchange JSON API (/api/v1/exchange): an admin imports a file (dry run, then for
real) and gets the row report, a refused file answers 422 with the report and stores nothing,
an unreadable file or unusable mapping 422 with a sentence, the export reads back as the same
orders, the history lists the stored imports, and only admins get in."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.exchange import csv_bytes, load_catalogue, order_row, xlsx_bytes

from civicgrid.exchange import rules
from civicgrid.exchange.models import ExchangeOrder
from civicgrid.kit import spreadsheet

P = "/api/v1/exchange"


def _orders(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ExchangeOrder)) or 0


def _upload(data: bytes, name: str = "orders.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "text/csv")}


def test_an_admin_imports_reimports_and_reads_the_history(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    load_catalogue(session, now)
    h = world["admin"].headers
    rows = [
        order_row("GD700", units="建外街道（主办）、朝阳区城管执法局", district="朝阳区"),
        order_row("GD701", category="不存在的分类", units="火星办事处", district="朝阳区"),
    ]
    data = csv_bytes(rows, "gbk")
    dry = client.post(f"{P}/import", files=_upload(data), data={"dry_run": "true"}, headers=h)
    assert dry.status_code == 200, dry.text
    assert (dry.json()["dry_run"], dry.json()["created"]) == (True, 2)
    assert _orders(session) == 0
    first = client.post(f"{P}/import", files=_upload(data), headers=h)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["created"], body["updated"], body["errors"]) == (2, 0, [])
    assert [(e["row"], e["field"]) for e in body["unmapped_categories"]] == [(3, "category")]
    assert body["unmatched_names"] == [
        {"row": 3, "field": "units", "message": "承办单位“火星办事处”在辖区中找不到"}
    ]
    again = client.post(f"{P}/import", files=_upload(xlsx_bytes(rows), "o.xlsx"), headers=h)
    assert (again.json()["created"], again.json()["updated"]) == (0, 2)
    assert _orders(session) == 2
    history = client.get(f"{P}/imports", headers=h)
    assert history.status_code == 200
    assert [(r["created"], r["updated"], r["unmatched_names"]) for r in history.json()] == [
        (0, 2, 1),
        (2, 0, 1),
    ]


def test_a_refused_file_answers_422_with_the_report_and_stores_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    h = world["admin"].headers
    data = csv_bytes([order_row("GD710"), order_row("GD711", received_at="昨天")])
    refused = client.post(f"{P}/import", files=_upload(data), headers=h)
    assert refused.status_code == 422
    assert refused.json()["rejected"] is True
    assert refused.json()["errors"][0]["row"] == 3
    assert _orders(session) == 0
    partly = client.post(f"{P}/import", files=_upload(data), data={"mode": "valid-rows"}, headers=h)
    assert partly.status_code == 200
    assert (partly.json()["created"], partly.json()["error_rows"]) == (1, 1)


def test_an_unreadable_file_or_unusable_mapping_is_a_422_sentence(
    client: TestClient, world: World, session: Session
) -> None:
    h = world["admin"].headers
    pdf = client.post(f"{P}/import", files=_upload(b"%PDF-1.4", "orders.pdf"), headers=h)
    assert pdf.status_code == 422
    assert pdf.json()["error"] == "Invalid"
    mapping = ("m.toml", '[columns]\nnumber = "工单编号"\n'.encode(), "text/plain")
    files = {**_upload(csv_bytes([order_row("GD720")])), "mapping": mapping}
    bad = client.post(f"{P}/import", files=files, headers=h)
    assert bad.status_code == 422
    assert "“number”无法识别" in bad.json()["detail"]
    own = rules.default_mapping_text().replace('"签收时间"', '"签收日期"')
    files = {**_upload(csv_bytes([order_row("GD721")])), "mapping": ("m.toml", own.encode(), "")}
    missing = client.post(f"{P}/import", files=files, headers=h)
    assert missing.status_code == 422
    assert "签收日期" in missing.json()["detail"]
    assert _orders(session) == 0


def test_the_export_reads_back_as_the_same_orders(
    client: TestClient, world: World, session: Session
) -> None:
    h = world["admin"].headers
    rows = [order_row("GD730", units="建外街道", district="朝阳区/建外街道"), order_row("GD731")]
    client.post(f"{P}/import", files=_upload(csv_bytes(rows)), headers=h)
    for fmt in ("csv", "xlsx"):
        answer = client.get(f"{P}/export", params={"format": fmt}, headers=h)
        assert answer.status_code == 200
        assert answer.headers["content-disposition"].endswith(f'work-orders.{fmt}"')
        mapping = rules.default_mapping()
        table = spreadsheet.read_table(answer.content, fmt, rules.aliases(mapping))
        by_no = {r["external_no"]: r for r in table.rows}
        assert sorted(by_no) == ["GD730", "GD731"]
        assert (by_no["GD730"]["units"], by_no["GD730"]["district"]) == (
            "建外街道",
            "朝阳区/建外街道",
        )
    assert client.get(f"{P}/export", params={"format": "pdf"}, headers=h).status_code == 422


def test_only_admins(client: TestClient, world: World) -> None:
    data = csv_bytes([order_row("GD740")])
    for name in ("operator", "dispatcher"):
        h = world[name].headers
        assert client.post(f"{P}/import", files=_upload(data), headers=h).status_code == 403
        assert client.get(f"{P}/export", headers=h).status_code == 403
        assert client.get(f"{P}/imports", headers=h).status_code == 403
    assert client.get(f"{P}/imports").status_code == 401
