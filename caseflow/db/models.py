"""PostgreSQL read model and record. Written only by activities (and seeding of users)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kw))


class Department(SQLModel, table=True):
    __tablename__ = "departments"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)  # agent / supervisor / admin / channel
    department: str | None = Field(default=None, foreign_key="departments.id", max_length=64)
    token_hash: str = Field(unique=True, max_length=64)  # sha256 of the bearer token
    active: bool = True
    # Where staff notifications reach this user, and whether ladder alerts go to them now.
    # ladder_role: agent / team_lead / supervisor / manager (None: the application role).
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    ladder_role: str | None = Field(default=None, max_length=32)
    on_duty: bool = True
    regulator: bool = False  # a channel user that is a regulator: files appeals, sees only them
    # Staff sign in to the pages with a password (argon2id hash; None: no password sign-in).
    password_hash: str | None = Field(default=None, max_length=200, repr=False)


class CaseRow(SQLModel, table=True):
    """One row per case: the latest snapshot, flattened for lists, filters and counts."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_phase_deadline", "phase", "next_deadline"),
        Index("ix_cases_department_phase", "department", "phase"),
        Index("ix_cases_assignee_phase", "assignee", "phase"),
        Index("ix_cases_type_phase", "case_type", "phase"),
        Index("ix_cases_opened_at", "opened_at"),
        Index("ix_cases_lost", "lost_at", postgresql_where=text("lost_at IS NOT NULL")),
    )
    case_id: str = Field(primary_key=True, max_length=40)
    case_type: str = Field(max_length=20)
    phase: str = Field(max_length=32)
    channel: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=20)
    severity: str | None = Field(default=None, max_length=20)
    tier: str = Field(max_length=20)
    department: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    filed_by: str | None = Field(default=None, max_length=64, index=True)
    first_responsible: str | None = Field(default=None, max_length=64, index=True)
    escalation_level: int = 1
    breached: bool = False  # an open window is past its deadline
    warned: bool = False  # an open window's warning has fired
    next_deadline: datetime | None = _ts(nullable=True)
    next_window: str | None = Field(default=None, max_length=20)
    policy_version: str = Field(max_length=40)
    seq: int = 0  # audit sequence of the snapshot: older snapshots never overwrite newer ones
    reopen_count: int = 0
    client_reference: str | None = Field(default=None, max_length=200)
    opened_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    closed_at: datetime | None = _ts(nullable=True)
    state: dict = Field(sa_column=Column(JSONB, nullable=False))  # the full CaseState
    # Lost (migration 0042): the reconciler found the case open here while its workflow had
    # ended in Temporal (terminated / failed / timed_out / missing). The next snapshot a live
    # run writes (a revived run's first) clears it.
    lost_at: datetime | None = _ts(nullable=True)
    lost_status: str | None = Field(default=None, max_length=20)
    lost_run_id: str | None = Field(default=None, max_length=64)


class CaseEventRow(SQLModel, table=True):
    """Append-only audit log: one row per transition, unique on (case, sequence)."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),)
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    case_id: str = Field(foreign_key="cases.case_id", max_length=40, index=True)
    seq: int
    kind: str = Field(max_length=40)
    at: datetime = _ts(nullable=False)
    actor_id: str = Field(max_length=64)
    actor_role: str = Field(max_length=32)
    summary: str
    window: str | None = Field(default=None, max_length=20)
    deadline: datetime | None = _ts(nullable=True)
    data: dict = Field(sa_column=Column(JSONB, nullable=False))


class NotificationRow(SQLModel, table=True):
    """Outbox: written in the same transaction as the transition that caused it."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", "idx", name="uq_notifications_case_seq_idx"),
        Index("ix_notifications_status", "status", "created_at"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    case_id: str = Field(foreign_key="cases.case_id", max_length=40)
    seq: int
    idx: int
    recipient: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    template: str = Field(max_length=40)
    department: str | None = Field(default=None, max_length=64)
    params: dict = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending / sent / failed
    created_at: datetime = _ts(nullable=False)
    sent_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    language: str = Field(default="zh", max_length=8)
    subject: str | None = None  # rendered by the delivery worker from the channel's template
    body: str | None = None
    last_error: str | None = None
    not_before: datetime | None = _ts(nullable=True)  # delivery waits until then
    # How the row was delivered: the adapter ("smtp", "aliyun_sms", "wecom", "dingtalk", "log"),
    # the provider's message id, and the route in ids ("customer.phone", "robot:network_ops").
    provider: str | None = Field(default=None, max_length=32)
    provider_id: str | None = Field(default=None, max_length=200)
    route: str | None = Field(default=None, max_length=120)
    # The staff digest that carried this row (caseflow.notify.digests); None: sent on its own.
    digest_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class NotificationDigest(SQLModel, table=True):
    """One staff digest message: at most one per recipient, department, template, escalation
    level and minute, which the unique key enforces between any number of delivery workers."""

    __tablename__ = "notification_digests"
    __table_args__ = (
        UniqueConstraint(
            "recipient", "department", "template", "level", "minute", name="uq_notification_digests"
        ),
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    recipient: str = Field(max_length=64)
    department: str = Field(default="", max_length=64)  # "" for none (NULLs never conflict)
    template: str = Field(max_length=40)
    level: str = Field(default="", max_length=8)
    minute: datetime = _ts(nullable=False)
    rows: int = 0  # how many notification rows it carried


class IntakeKey(SQLModel, table=True):
    """Idempotency: one key (header or channel + client reference) maps to one case number."""

    __tablename__ = "intake_keys"
    key: str = Field(primary_key=True, max_length=300)
    case_id: str = Field(max_length=40, unique=True)
    request_hash: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False)


class Subscription(SQLModel, table=True):
    """The provisioning side an unsubscribe acts on (a stand-in for the BSS/CRM)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("phone", "service", name="uq_subscriptions_phone_service"),)
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    phone: str = Field(max_length=32, index=True)
    service: str = Field(max_length=40)  # voice / sms / data / vas:<name> / account
    status: str = Field(default="active", max_length=20)  # active / terminated
    monthly_fee_cents: int = 0
    terminated_at: datetime | None = _ts(nullable=True)
    terminated_by_case: str | None = Field(default=None, max_length=40)


class MonthlyReport(SQLModel, table=True):
    """The monthly statistics report (附件一 §7.1), generated by a Temporal Schedule."""

    __tablename__ = "monthly_reports"
    month: str = Field(primary_key=True, max_length=7)  # "2026-11"
    csv: str
    generated_at: datetime = _ts(nullable=False)


class RetentionRun(SQLModel, table=True):
    """One row per retention pass: what was anonymised, for the audit."""

    __tablename__ = "retention_runs"
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    run_key: str = Field(max_length=80, unique=True)  # the schedule's run id: retries are no-ops
    cutoff: datetime = _ts(nullable=False)
    anonymised: int = 0
    ran_at: datetime = _ts(nullable=False)


class PersonalDataAccess(SQLModel, table=True):
    """Who saw a customer's personal data, when and through what: an audit of its own."""

    __tablename__ = "personal_data_access"
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    case_id: str = Field(max_length=40, index=True)
    user_id: str = Field(max_length=64)
    role: str = Field(max_length=32)
    what: str = Field(max_length=80)  # e.g. "GET /api/v1/cases/{id}", "case page"
    at: datetime = _ts(nullable=False)


class QuarterlyReport(SQLModel, table=True):
    """The quarterly statistics report (001 §9.2.2: a full review each quarter), generated by
    a Temporal Schedule like the monthly one."""

    __tablename__ = "quarterly_reports"
    quarter: str = Field(primary_key=True, max_length=7)  # "2026-Q4"
    csv: str
    generated_at: datetime = _ts(nullable=False)


class Attachment(SQLModel, table=True):
    """Evidence attached to a case (000 §2.3, 001 §6.3.2): what it is and who gave it. The
    bytes live behind the attachment store (caseflow/attachments), never in Temporal."""

    __tablename__ = "attachments"
    id: str = Field(primary_key=True, max_length=40)
    case_id: str = Field(foreign_key="cases.case_id", max_length=40, index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)  # from the bytes (magic numbers), not the client
    size: int
    sha256: str | None = Field(default=None, max_length=64)
    uploaded_by: str = Field(max_length=64)
    uploaded_role: str = Field(max_length=32)
    uploaded_at: datetime = _ts(nullable=False)
    # Set when retention or an erasure removed the bytes; the row stays as the record that
    # there was a file.
    erased_at: datetime | None = _ts(nullable=True)


class AttachmentBlob(SQLModel, table=True):
    """The PostgreSQL attachment store's bytes (the embedded stack; production may use S3)."""

    __tablename__ = "attachment_blobs"
    key: str = Field(primary_key=True, max_length=200)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored, so a
    database dump signs no one in. Any API replica finds it here."""

    __tablename__ = "web_sessions"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", max_length=64, index=True)
    via: str = Field(max_length=16)  # "password" / "oidc"
    created_at: datetime = _ts(nullable=False)
    last_seen_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts(nullable=True)


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins per client address and per user name (keyed by a hash of either), kept
    in PostgreSQL so that every API replica applies the same limits."""

    __tablename__ = "sign_in_failures"
    key_hash: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime = _ts(nullable=False)
    blocked_until: datetime | None = _ts(nullable=True)


class OidcLogin(SQLModel, table=True):
    """A single sign-on in flight: the state sent to the identity provider, with the nonce and
    PKCE verifier to check its answer against. Used once, then deleted."""

    __tablename__ = "oidc_logins"
    state_hash: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=200, repr=False)
    next_path: str = Field(default="/", max_length=500)
    created_at: datetime = _ts(nullable=False)


class HistoryRun(SQLModel, table=True):
    """One closed Temporal run of a case, as its readable history (caseflow/history): kept for
    the records period while Temporal keeps closed runs only for its namespace retention.
    Written once per run by the worker's archiver (keyed on case and run, so a retry or a
    second worker writes nothing twice); anonymised with the case (retention, erasure)."""

    __tablename__ = "case_history_runs"
    __table_args__ = (Index("ix_case_history_runs_queue_closed", "task_queue", "closed_at"),)
    case_id: str = Field(primary_key=True, max_length=40)
    run_id: str = Field(primary_key=True, max_length=64)
    run: int  # 1 = the case's first run; continue-as-new counts up
    workflow_type: str = Field(max_length=64)
    task_queue: str = Field(max_length=200)
    status: str = Field(max_length=32)  # completed / continued_as_new / terminated / ...
    started_at: datetime = _ts(nullable=False)
    closed_at: datetime = _ts(nullable=False)
    event_count: int  # Temporal's events in the run (the readable ones are fewer)
    events: list = Field(sa_column=Column(JSONB, nullable=False))  # ReadableEvent dumps
    stored_at: datetime = _ts(nullable=False)
    anonymised_at: datetime | None = _ts(nullable=True)
