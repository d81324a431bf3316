"""perf: the throttle counters are an UNLOGGED table on PostgreSQL

Revision ID: perf_0007
Revises: perf_0006
Create Date: 2026-12-08 02:29:00+00:00

Every intake request and every login commits a throttle counter in a short transaction of its
own (``protect.throttle.DatabaseStorage``). On a logged table each of those commits waits for a
WAL flush (5.9 ms per counter transaction on this project's benchmark machine, 0.2 ms
unlogged). A counter that only bounds request rates does not need to survive a crash: an
unlogged table is emptied by crash recovery (every window starts again) and is not copied to
streaming replicas, which never throttle. PostgreSQL only; SQLite has no WAL flush per table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "perf_0007"
down_revision: str | None = "perf_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE throttle_counter SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE throttle_counter SET LOGGED")
