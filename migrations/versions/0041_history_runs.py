"""case_history_runs: each closed Temporal run's readable history, kept past Temporal's retention

Revision ID: 0041
Revises: 0031
Create Date: 2026-12-12 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import sqlmodel


revision = "0041"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_history_runs",
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("workflow_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("task_queue", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("events", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", "run_id"),
    )
    # The archiver's watermark: the latest run it stored per task queue.
    op.create_index(
        "ix_case_history_runs_queue_closed",
        "case_history_runs",
        ["task_queue", "closed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_case_history_runs_queue_closed", table_name="case_history_runs")
    op.drop_table("case_history_runs")
