"""regulator channels; who filed a case and who first took it, as read-model columns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A channel user that is a regulator (工信部 / 通信管理局) files appeals and sees only them.
    op.add_column(
        "users",
        sa.Column("regulator", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # Lists filter on them: an intake channel sees the cases it filed; an agent's queue holds
    # the cases they first took (首问负责制) wherever those went since.
    op.add_column(
        "cases", sa.Column("filed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.add_column(
        "cases",
        sa.Column("first_responsible", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index("ix_cases_filed_by", "cases", ["filed_by"])
    op.create_index("ix_cases_first_responsible", "cases", ["first_responsible"])


def downgrade() -> None:
    op.drop_index("ix_cases_first_responsible", table_name="cases")
    op.drop_index("ix_cases_filed_by", table_name="cases")
    op.drop_column("cases", "first_responsible")
    op.drop_column("cases", "filed_by")
    op.drop_column("users", "regulator")
