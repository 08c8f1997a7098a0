"""lost cases: open in the read model, their workflow ended in Temporal (the reconciler)

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-14 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Set by the reconciler when the case's workflow was terminated, failed or timed out (or is
    # missing) while the case is open; cleared by the next snapshot a live run writes.
    op.add_column("cases", sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "cases",
        sa.Column("lost_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    )
    op.add_column(
        "cases",
        sa.Column("lost_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    # Few rows are ever lost: the floor's count and list read this small partial index.
    op.create_index(
        "ix_cases_lost", "cases", ["lost_at"], postgresql_where=sa.text("lost_at IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_cases_lost", table_name="cases")
    op.drop_column("cases", "lost_run_id")
    op.drop_column("cases", "lost_status")
    op.drop_column("cases", "lost_at")
