"""Sealing audit rows into the hash chain when their transaction commits, and verifying the
chain (``civicgrid audit verify``). See :mod:`civicgrid.audit.chain` for the design."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Insert, Result, Table, bindparam, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key

from civicgrid.audit import chain
from civicgrid.audit.models import AuditChainHead, AuditEntry

HEAD_ID = 1
_OWN = "civicgrid.audit.unsealed_ids"
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


def _lock_head(session: Session) -> AuditChainHead:
    # populate_existing: a head loaded earlier in this session must not hide what another
    # transaction committed while this one waited for the lock.
    head = session.scalar(
        select(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("audit_chain_head has no row: run `civicgrid migrate`")
    return head


def _pending(session: Session) -> dict[int, chain.ChainRow]:
    pending: dict[int, chain.ChainRow] = session.info.setdefault(_OWN, {})
    return pending


def track(session: Session, entry: AuditEntry) -> None:
    """Note an audit row this transaction wrote (with its values), to be sealed when the
    transaction commits. Joiner."""
    _pending(session)[entry.id] = chain.ChainRow(
        entry.id,
        None,
        None,
        None,
        entry.at,
        entry.actor_user_id,
        entry.actor_label,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        entry.outcome,
        entry.reason,
        entry.detail,
    )


@event.listens_for(Session, "do_orm_execute")
def _track_core_inserts(state: ORMExecuteState) -> Result[Any] | None:
    """Rows appended with :func:`civicgrid.audit.service.append_statement` (which returns the
    new rows) are noted like those of ``record``; the caller still gets the full result."""
    stmt = state.statement
    if not (isinstance(stmt, Insert) and stmt.table is _TABLE):
        return None
    frozen = state.invoke_statement().freeze()
    pending = _pending(state.session)
    for row in frozen().all():
        pending[int(row[0])] = chain.ChainRow(*row)
    return frozen()


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


def seal_pending(session: Session) -> int:
    """Give the audit rows this transaction wrote their places in the chain (in id order),
    under the lock of the head row; returns how many were sealed. Three statements: lock the
    head, seal the rows, move the head. Rows written by anyone else without the application
    (raw SQL) are never sealed, so ``verify`` finds them. Joins the caller's transaction; runs
    by itself before every ORM commit."""
    pending: dict[int, chain.ChainRow] = session.info.pop(_OWN, {})
    if not pending:
        return 0
    session.flush()
    rows = [pending[k] for k in sorted(pending)]
    head = _lock_head(session)
    params, seq, prev = _seal_params(rows, head.last_seq, head.last_hash)
    result = session.execute(_SEAL, params)
    if getattr(result, "rowcount", len(params)) != len(params):
        # Some noted rows were rolled back with a savepoint: seal only those that exist.
        present = set(
            session.scalars(select(AuditEntry.id).where(AuditEntry.id.in_(sorted(pending))))
        )
        rows = [r for r in rows if r.id in present]
        params, seq, prev = _seal_params(rows, head.last_seq, head.last_hash)
        session.execute(_SEAL, params)
    head.last_seq, head.last_hash = seq, prev
    session.flush()
    # The ORM copies of these rows are stale now; reload them when read again.
    for p in params:
        loaded = session.identity_map.get(identity_key(AuditEntry, p["row_id"]))
        if loaded is not None:
            session.expire(loaded, ["chain_seq", "prev_hash", "row_hash"])
    return len(params)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    seal_pending(session)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    # The rows of a rolled-back transaction are gone.
    if not session.in_transaction():
        session.info.pop(_OWN, None)


def _chain_rows(session: Session, batch: int) -> Iterator[chain.ChainRow]:
    unsealed = session.execute(
        select(*CHAIN_COLUMNS)
        .where(AuditEntry.chain_seq.is_(None))
        .order_by(AuditEntry.id)
        .limit(1)
    ).first()
    if unsealed is not None:
        yield chain.ChainRow(*unsealed)
        return
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
    session: Session, *, anchor: tuple[int, str] | None = None, batch: int = 5000
) -> chain.Verdict:
    """Check the whole audit chain against the stored rows and the head; the verdict names the
    first edited, inserted or deleted row. Reads only."""
    head = session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, chain.GENESIS)
    return chain.first_problem(
        _chain_rows(session, batch), head_seq=head_seq, head_hash=head_hash, anchor=anchor
    )
