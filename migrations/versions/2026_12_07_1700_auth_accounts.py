"""auth: per-address login locks, forced password change, TOTP and recovery codes

Revision ID: 0011_accounts
Revises: 0010
Create Date: 2026-12-07 17:00:00+00:00

Failed logins are counted per (username, client address) in ``login_lock`` instead of on the
account (``user_account.failed_login_count`` goes), so that nobody can lock another person's
account from elsewhere. Accounts gain the forced-change flag, the time of the last password
change and the TOTP columns; ``recovery_code`` holds hashed one-time 2FA recovery codes. API
tokens without an expiry get one: 90 days after they were issued (the new default lifetime).
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import civicgrid.db

revision: str = "0011_accounts"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKEN_DAYS = 90


def upgrade() -> None:
    utc = civicgrid.db.UTCDateTime(timezone=True)
    op.create_table(
        "login_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", utc, nullable=False),
        sa.Column("locked_until", utc, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_lock")),
        sa.UniqueConstraint("username", "ip", name=op.f("uq_login_lock_username_ip")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", utc, nullable=False),
        sa.Column("used_at", utc, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])
    op.add_column(
        "user_account",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("user_account", sa.Column("password_changed_at", utc, nullable=True))
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=255), nullable=True))
    op.add_column("user_account", sa.Column("totp_enabled_at", utc, nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    # SQLite ≥ 3.35 drops a plain column in place (no table rebuild).
    op.drop_column("user_account", "failed_login_count")
    token = sa.table(
        "api_token",
        sa.column("id", sa.Integer()),
        sa.column("created_at", utc),
        sa.column("expires_at", utc),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(token.c.id, token.c.created_at).where(token.c.expires_at.is_(None))
    )
    for token_id, created_at in rows.all():
        conn.execute(
            token.update()
            .where(token.c.id == token_id)
            .values(expires_at=created_at + timedelta(days=_TOKEN_DAYS))
        )


def downgrade() -> None:
    op.add_column(
        "user_account",
        sa.Column("failed_login_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.drop_column("user_account", "totp_last_step")
    op.drop_column("user_account", "totp_enabled_at")
    op.drop_column("user_account", "totp_secret")
    op.drop_column("user_account", "password_changed_at")
    op.drop_column("user_account", "must_change_password")
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("login_lock")
