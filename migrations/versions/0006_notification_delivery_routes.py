"""notification delivery routes: staff contact and duty, delivery provider on notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Staff: where their alerts go (e-mail, a phone a group robot can @-mention), which rung of
    # the escalation ladder they stand on, and whether they are on duty now.
    op.add_column(
        "users", sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True)
    )
    op.add_column(
        "users", sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
    )
    op.add_column(
        "users",
        sa.Column("ladder_role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    )
    op.add_column(
        "users", sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    # Notifications: the adapter that took the row, the provider's message id, the route (ids).
    op.add_column(
        "notifications",
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    )
    op.add_column(
        "notifications",
        sa.Column("provider_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column(
        "notifications",
        sa.Column("route", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("notifications", "route")
    op.drop_column("notifications", "provider_id")
    op.drop_column("notifications", "provider")
    op.drop_column("users", "on_duty")
    op.drop_column("users", "ladder_role")
    op.drop_column("users", "phone")
    op.drop_column("users", "email")
