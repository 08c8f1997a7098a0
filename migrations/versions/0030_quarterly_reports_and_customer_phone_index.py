"""quarterly reports; an index on the customer's phone (repeat complaints, phone search, PIPL)

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-10 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarterly_reports",
        sa.Column("quarter", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("csv", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("quarter"),
    )
    # Exact-match lookups by the customer's phone: the repeat-complaint check at every intake,
    # staff's phone search and personal-data requests; without it each one reads every case.
    op.execute(
        "CREATE INDEX ix_cases_customer_phone ON cases ((state->'customer'->>'phone'), opened_at)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_cases_customer_phone")
    op.drop_table("quarterly_reports")
