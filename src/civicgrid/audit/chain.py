"""The hash chain that makes the audit log tamper-evident (等保 2.0 安全审计: 审计记录应受到保护).

Every audit row carries its place in the chain (``chain_seq``, 1, 2, 3 …), the hash of the row
before it (``prev_hash``) and its own hash (``row_hash``): SHA-256 over a canonical JSON of the
version tag, the place, the previous hash and every recorded column. Editing a row changes its
hash; deleting or inserting a row breaks the link of the next one; deleting rows at the end
leaves the chain shorter than the head (``audit_chain_head``) says.

Rows are inserted unsealed (the three columns NULL) and sealed just before their transaction
commits (:func:`seal_pending`, a ``before_commit`` hook on every ORM session): the one row of
``audit_chain_head`` is locked and moved on, so concurrent writers on PostgreSQL are serialised
for that moment only and can never fork the chain; SQLite serialises writers anyway. Writers
that bypass the ORM session (raw SQL) leave unsealed rows, which ``verify`` reports as inserted.

The pure part (:func:`row_hash`, :func:`first_problem`) takes plain values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
VERSION = "v1"


def _at(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor_user_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    outcome: str,
    reason: str,
    detail: dict[str, Any],
) -> str:
    """The SHA-256 (hex) of one audit row at place ``seq`` after a row hashed ``prev_hash``.
    ``detail`` is taken as the JSON column stores it (a round trip through JSON)."""
    stored_detail = json.loads(json.dumps(detail))
    payload = [
        VERSION,
        seq,
        prev_hash,
        _at(at),
        actor_user_id,
        actor_label,
        action,
        subject_type,
        subject_id,
        outcome,
        reason,
        stored_detail,
    ]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored audit row as the verifier reads it."""

    id: int
    chain_seq: int | None
    prev_hash: str | None
    row_hash: str | None
    at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    subject_type: str
    subject_id: str
    outcome: str
    reason: str
    detail: dict[str, Any]

    def recomputed(self, seq: int, prev_hash: str) -> str:
        return row_hash(
            seq=seq,
            prev_hash=prev_hash,
            at=self.at,
            actor_user_id=self.actor_user_id,
            actor_label=self.actor_label,
            action=self.action,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            outcome=self.outcome,
            reason=self.reason,
            detail=self.detail or {},
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """The first place where the stored log and its chain disagree."""

    kind: str  # "edited" | "inserted" | "deleted" | "unsealed" | "truncated" | "anchor"
    audit_id: int | None
    seq: int | None
    message: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a verification: rows checked, the last place and hash, or a problem."""

    rows: int
    last_seq: int
    last_hash: str
    problem: Problem | None


def first_problem(
    rows: Iterable[ChainRow],
    *,
    head_seq: int,
    head_hash: str,
    anchor: tuple[int, str] | None = None,
) -> Verdict:
    """Walk sealed rows in ``chain_seq`` order (unsealed rows may come anywhere) and report the
    first edited, inserted or deleted row; ``anchor`` (place, hash recorded elsewhere) must
    match too, which also catches a rewritten tail."""
    expected, prev, count = 1, GENESIS, 0
    for row in rows:
        count += 1
        if row.chain_seq is None or row.prev_hash is None or row.row_hash is None:
            return Verdict(count, expected - 1, prev, _unsealed(row))
        if row.chain_seq > expected:
            return Verdict(count, expected - 1, prev, _deleted(row, expected))
        if row.chain_seq < expected:
            return Verdict(count, expected - 1, prev, _duplicate(row))
        if row.prev_hash != prev:
            problem = Problem(
                "inserted",
                row.id,
                row.chain_seq,
                f"审计记录 #{row.id}（链序号 {row.chain_seq}）与前一条记录的哈希不衔接："
                "其前有记录被插入、删除或改写",
            )
            return Verdict(count, expected - 1, prev, problem)
        if row.recomputed(row.chain_seq, row.prev_hash) != row.row_hash:
            problem = Problem(
                "edited",
                row.id,
                row.chain_seq,
                f"审计记录 #{row.id}（链序号 {row.chain_seq}）的内容已被修改（哈希不符）",
            )
            return Verdict(count, expected - 1, prev, problem)
        if anchor is not None and anchor[0] == row.chain_seq and anchor[1] != row.row_hash:
            problem = Problem(
                "anchor",
                row.id,
                row.chain_seq,
                f"链序号 {row.chain_seq} 的哈希与留存的锚点不符：该位置及之前的记录已被整体改写",
            )
            return Verdict(count, expected - 1, prev, problem)
        prev, expected = row.row_hash, expected + 1
    last = expected - 1
    if head_seq > last:
        problem = Problem(
            "truncated",
            None,
            last + 1,
            f"审计日志末尾缺少记录：链头记到序号 {head_seq}，"
            f"实际只到 {last}（第 {last + 1} 条起被删除）",
        )
        return Verdict(count, last, prev, problem)
    if head_seq != last or (last > 0 and head_hash != prev):
        problem = Problem(
            "inserted", None, last, f"链头（序号 {head_seq}）与最后一条记录（序号 {last}）不符"
        )
        return Verdict(count, last, prev, problem)
    if anchor is not None and anchor[0] > last:
        problem = Problem(
            "anchor", None, anchor[0], f"锚点序号 {anchor[0]} 超出了日志（只到 {last}）"
        )
        return Verdict(count, last, prev, problem)
    return Verdict(count, last, prev, None)


def _unsealed(row: ChainRow) -> Problem:
    return Problem(
        "unsealed",
        row.id,
        None,
        f"审计记录 #{row.id} 不在哈希链中：它绕过应用被直接写入数据库",
    )


def _deleted(row: ChainRow, expected: int) -> Problem:
    return Problem(
        "deleted",
        row.id,
        expected,
        f"链序号 {expected} 的审计记录缺失（在记录 #{row.id} 之前被删除）",
    )


def _duplicate(row: ChainRow) -> Problem:
    return Problem(
        "inserted",
        row.id,
        row.chain_seq,
        f"审计记录 #{row.id} 重复使用了链序号 {row.chain_seq}：它是被插入的",
    )
