"""staff alert digests, and the indexes of the floor's list at a million cases

- notification_digests: one row per staff digest message; its unique key (recipient,
  department, template, escalation level, minute) is what lets any number of delivery workers
  send at most one alert per level, department and minute without talking to each other.
- notifications.digest_id: the digest a row went out in.
- ix_notifications_digestible: the pending staff alerts of one digest key, found without
  scanning the outbox.
- ix_cases_floor_order and ix_cases_department_order: the list's order (breached first, then
  the nearest deadline, newest first), whole and per department, so a page of the floor's
  default query (open cases) and of department + overdue is read in index order and stops
  after the page instead of sorting every open case. Archived cases (not breached, no
  deadline) sort last, so the open ones come first in either index.

Revision ID: 0043
Revises: 0042
Create Date: 2027-01-15 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_digests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "recipient", "department", "template", "level", "minute", name="uq_notification_digests"
        ),
    )
    op.add_column("notifications", sa.Column("digest_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_notifications_digestible",
        "notifications",
        ["template", "recipient", "department", "created_at"],
        postgresql_where=sa.text("status = 'pending' AND channel = 'internal'"),
    )
    op.execute(
        "CREATE INDEX ix_cases_floor_order ON cases "
        "(breached DESC, next_deadline ASC NULLS LAST, opened_at DESC)"
    )
    op.execute(
        "CREATE INDEX ix_cases_department_order ON cases "
        "(department, breached DESC, next_deadline ASC NULLS LAST, opened_at DESC)"
    )


def downgrade() -> None:
    op.drop_index("ix_cases_department_order", table_name="cases")
    op.drop_index("ix_cases_floor_order", table_name="cases")
    op.drop_index("ix_notifications_digestible", table_name="notifications")
    op.drop_column("notifications", "digest_id")
    op.drop_table("notification_digests")
