"""staff sign-in: password hashes, server-side web sessions, sign-in failure limits, OIDC logins

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    # Signed-in browsers: only a hash of each session id is stored.
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column(
            "user_id",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            sa.ForeignKey("users.id"),
            nullable=False,
        ),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    # Failed sign-ins per client address / user name (hashed keys), shared by every replica.
    op.create_table(
        "sign_in_failures",
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
    )
    # OpenID Connect sign-ins in flight (state -> nonce, PKCE verifier), used once.
    op.create_table(
        "oidc_logins",
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("next_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oidc_logins")
    op.drop_table("sign_in_failures")
    op.drop_index("ix_web_sessions_expires_at", table_name="web_sessions")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_column("users", "password_hash")
