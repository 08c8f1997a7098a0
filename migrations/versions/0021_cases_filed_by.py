"""index cases by who filed them (an intake channel lists only its own cases)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 10:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The filer is in the snapshot (CaseState.filed_by); an expression index serves the
    # channel's list filter without a new column the writers would have to fill.
    op.create_index("ix_cases_filed_by", "cases", [sa.text("(state->>'filed_by')")])


def downgrade() -> None:
    op.drop_index("ix_cases_filed_by", table_name="cases")
