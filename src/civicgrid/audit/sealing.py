"""Sealing audit rows into the hash chain after they are written, and verifying the chain
(``civicgrid audit seal`` / ``civicgrid audit verify``). See :mod:`civicgrid.audit.chain` for
the design.

Writers only insert audit rows, unsealed (``chain_seq``, ``prev_hash`` and ``row_hash`` NULL):
no lock and no extra statement in their transactions. The sealer (:func:`seal`, run every few
seconds by the ``audit.seal`` job, before every ``audit verify`` and by ``audit seal``) locks
the one row of ``audit_chain_head``, takes the unsealed rows that are committed by then in id
order and gives them the next places. Chain order is sealing order: a row whose transaction
commits late is sealed later, after rows with higher ids, so nothing may assume that id order
is chain order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from civicgrid.audit import chain
from civicgrid.audit.models import AuditChainHead, AuditEntry

HEAD_ID = 1
SEAL_BATCH = 1000
SEAL_INTERVAL = timedelta(seconds=5)
STALE_AFTER = timedelta(minutes=5)
_TABLE = cast(Table, AuditEntry.__table__)
_SEAL = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"))
    .values(
        chain_seq=bindparam("seq"),
        prev_hash=bindparam("prev"),
        row_hash=bindparam("hash"),
    )
)
CHAIN_COLUMNS = (
    AuditEntry.id,
    AuditEntry.chain_seq,
    AuditEntry.prev_hash,
    AuditEntry.row_hash,
    AuditEntry.at,
    AuditEntry.actor_user_id,
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.outcome,
    AuditEntry.reason,
    AuditEntry.detail,
)


def _head(session: Session, *, share: bool) -> AuditChainHead:
    # populate_existing: a head loaded earlier in this session must not hide what another
    # transaction committed while this one waited for the lock.
    head = session.scalar(
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update(read=share)
        .execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("audit_chain_head has no row: run `civicgrid migrate`")
    return head


def _seal_params(
    rows: list[chain.ChainRow], seq: int, prev: str
) -> tuple[list[dict[str, Any]], int, str]:
    params: list[dict[str, Any]] = []
    for row in rows:
        seq += 1
        digest = row.recomputed(seq, prev)
        params.append({"row_id": row.id, "seq": seq, "prev": prev, "hash": digest})
        prev = digest
    return params, seq, prev


def seal(session: Session, *, limit: int = SEAL_BATCH) -> int:
    """Give up to ``limit`` unsealed audit rows (the committed ones, in id order) the next
    places in the chain, under the lock of the head row; returns how many. The lock serialises
    sealers only (the job on every replica, ``audit seal``, ``audit verify``), never writers.
    Joins the caller's transaction (never commits)."""
    head = _head(session, share=False)
    # Read after the lock: under READ COMMITTED this statement sees what an earlier sealer
    # committed, so no row is sealed twice.
    found = session.execute(
        select(*CHAIN_COLUMNS)
        .where(AuditEntry.chain_seq.is_(None))
        .order_by(AuditEntry.id)
        .limit(limit)
    ).all()
    if not found:
        return 0
    rows = [chain.ChainRow(*r) for r in found]
    params, seq, prev = _seal_params(rows, head.last_seq, head.last_hash)
    session.execute(_SEAL, params)
    head.last_seq, head.last_hash = seq, prev
    session.flush()
    # ORM copies of these rows loaded earlier are stale now; reload them when read again.
    for p in params:
        loaded = session.identity_map.get(identity_key(AuditEntry, p["row_id"]))
        if loaded is not None:
            session.expire(loaded, ["chain_seq", "prev_hash", "row_hash"])
    return len(params)


def seal_all(session: Session, *, batch: int = SEAL_BATCH) -> int:
    """Seal every committed unsealed row, committing after each batch of ``batch`` rows;
    returns how many. Sealing again right after seals nothing (idempotent). Commits."""
    total = 0
    while True:
        sealed = seal(session, limit=batch)
        session.commit()
        total += sealed
        if sealed < batch:
            return total


def seal_job(session: Session, now: datetime) -> object:
    """The ``audit.seal`` job: seal what writers inserted since the last run."""
    return {"sealed": seal_all(session)}


def _sealed_rows(session: Session, batch: int) -> Iterator[chain.ChainRow]:
    after = 0
    while True:
        rows = session.execute(
            select(*CHAIN_COLUMNS)
            .where(AuditEntry.chain_seq > after)
            .order_by(AuditEntry.chain_seq)
            .limit(batch)
        ).all()
        for r in rows:
            yield chain.ChainRow(*r)
        if len(rows) < batch:
            return
        after = rows[-1][1]


def verify(
    session: Session,
    *,
    anchor: tuple[int, str] | None = None,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    batch: int = 5000,
) -> chain.Verdict:
    """Check the sealed chain against the stored rows and the head; the verdict names the
    first edited, inserted or deleted sealed row, and counts the rows not sealed yet (with
    the time the oldest was written). Given ``now``, a row written more than ``stale_after``
    before it and still unsealed is a finding too. Reads only; holds the head in share mode
    meanwhile, so no sealer moves it during the walk (writers are not held up)."""
    head = _head(session, share=True)
    verdict = chain.first_problem(
        _sealed_rows(session, batch),
        head_seq=head.last_seq,
        head_hash=head.last_hash,
        anchor=anchor,
    )
    count, oldest = session.execute(
        select(func.count(), func.min(AuditEntry.at)).where(AuditEntry.chain_seq.is_(None))
    ).one()
    return chain.with_unsealed(
        verdict, unsealed=int(count), oldest_at=oldest, now=now, stale_after=stale_after
    )
