"""The hash chain that makes the audit log tamper-evident (等保 2.0 安全审计: 审计记录应受到保护).

Every audit row carries its place in the chain (``chain_seq``, 1, 2, 3 …), the hash of the row
before it (``prev_hash``) and its own hash (``row_hash``): SHA-256 over a canonical JSON of the
version tag, the place, the previous hash and every recorded column. Editing a row changes its
hash; deleting or inserting a row breaks the link of the next one; deleting rows at the end
leaves the chain shorter than the head (``audit_chain_head``) says.

Writers insert rows unsealed (the three columns NULL), taking no lock. A sealer
(:func:`civicgrid.audit.sealing.seal`: the ``audit.seal`` job every few seconds, ``audit seal``
and ``audit verify``) locks the one row of ``audit_chain_head``, gives the committed unsealed rows
the next places in id order and moves the head, so sealers are serialised and never fork the
chain while writers never wait for each other. Chain order is sealing order, not id order: a
row whose transaction commits late is sealed after rows with higher ids. A row is protected
once sealed; until then it is counted as unsealed, and one unsealed for longer than a threshold
(the sealer is not running, or a row was slipped in with an old time) is a finding.

The pure part (:func:`row_hash`, :func:`first_problem`) takes plain values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None


def first_problem(
    rows: Iterable[ChainRow],
    *,
    head_seq: int,
    head_hash: str,
    anchor: tuple[int, str] | None = None,
) -> Verdict:
    """Walk sealed rows in ``chain_seq`` order and report the
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


def with_unsealed(
    verdict: Verdict,
    *,
    unsealed: int,
    oldest_at: datetime | None,
    now: datetime | None,
    stale_after: timedelta,
) -> Verdict:
    """``verdict`` with the count of rows not sealed yet and the time the oldest was written;
    when the chain itself is intact and that row is older than ``stale_after`` at ``now``, the
    stale row is the problem."""
    problem = verdict.problem
    if problem is None and unsealed and oldest_at is not None and now is not None:
        age = now - oldest_at
        if age > stale_after:
            problem = Problem(
                "unsealed",
                None,
                None,
                f"有 {unsealed} 条审计记录尚未封存入哈希链，最早的一条写于 "
                f"{int(age.total_seconds())} 秒前（超过 {int(stale_after.total_seconds())} 秒）："
                "封存任务没有运行，或有记录绕过应用以旧时间写入",
            )
    return replace(verdict, problem=problem, unsealed=unsealed, oldest_unsealed_at=oldest_at)


def _unsealed(row: ChainRow) -> Problem:
    return Problem(
        "unsealed",
        row.id,
        None,
        f"审计记录 #{row.id} 没有链序号却混在已封存的记录中",
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
