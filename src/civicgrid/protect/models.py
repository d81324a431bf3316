"""Tables of request protection: throttle counters and stored idempotent answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicgrid.db import Base, UTCDateTime


class ThrottleCounter(Base):
    """One fixed-window counter of the throttling store (``limits``' storage interface).

    ``key`` is the limit's full key (family, identity, limit); the window ends at
    ``expires_epoch_s`` (seconds since the epoch, as the ``limits`` strategies expect). A row
    whose window has ended counts as zero and is restarted by the next hit.

    On PostgreSQL the table is UNLOGGED (migration perf_0007): a counter's commit then waits
    for no WAL flush, and a crash merely restarts every window."""

    __tablename__ = "throttle_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_epoch_s: Mapped[float] = mapped_column(Float, nullable=False, index=True)


class IdempotentAnswer(Base):
    """The first answer to a write sent with an ``Idempotency-Key`` header.

    ``status_code`` 0 marks a claim: the write is committed (or in progress) and its answer
    not stored yet.

    ``scope`` names the operation and the caller (so two clients may use the same key);
    ``request_sha256`` is the digest of the request body, to tell a replay from a reuse of the
    key for another request."""

    __tablename__ = "idempotent_answer"
    __table_args__ = (UniqueConstraint("scope", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(200), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # Response headers replayed with the body (``Location``), as a JSON object.
    headers_json: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
