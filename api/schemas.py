"""Request and response bodies. Every text is capped so no payload nears Temporal's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from caseflow.domain import (
    CaseState,
    CaseType,
    Category,
    Channel,
    CustomerTier,
    Role,
    Satisfaction,
    Severity,
    WindowState,
)
from caseflow.pii import UNMASKED_ROLES

MAX_TEXT = 4000  # Settings.max_text_chars default; the route re-checks against Settings
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
OptionalText = Annotated[str, Field(max_length=MAX_TEXT)]
SERVICE_PATTERN = re.compile(r"^(voice|sms|data|account|vas:[a-z0-9_-]{1,32})$")


def _no_nul(value: Any, where: str = "body") -> None:
    """PostgreSQL text cannot hold NUL: refuse it here instead of failing in an activity."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key, where)
            _no_nul(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            _no_nul(item, where)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _text_is_storable(cls, data: Any) -> Any:
        _no_nul(data)
        return data


# ------------------------------------------------------------------ intake
class CustomerIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["张三"])]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$", examples=["13800138000"])]
    customer_id: Annotated[str | None, Field(max_length=64)] = None
    tier: CustomerTier = CustomerTier.STANDARD


class CaseCreate(Body):
    """A new case from an intake channel (or an agent filing on the customer's behalf)."""

    type: CaseType
    customer: CustomerIn
    channel: Channel
    reply_channel: Channel | None = Field(
        default=None, description="Where results go; default: the channel the customer used"
    )
    category: Category | None = Field(default=None, description="Required for complaints")
    severity: Severity | None = Field(default=None, description="Required for complaints")
    description: Text
    client_reference: Annotated[str | None, Field(max_length=200)] = Field(
        default=None,
        description="The channel's own id; without an Idempotency-Key it dedupes the intake",
    )
    services: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Unsubscribe only: voice, sms, data, account, or vas:<name>",
        examples=[["sms", "vas:music"]],
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "complaint",
                    "customer": {"name": "张三", "phone": "13800138000"},
                    "channel": "phone",
                    "category": "service",
                    "severity": "general",
                    "description": "Charged twice for the October data package",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _fits_type(self) -> CaseCreate:
        if self.type == CaseType.COMPLAINT:
            missing = [f for f in ("category", "severity") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"a complaint needs {' and '.join(missing)}")
        if self.type == CaseType.UNSUBSCRIBE:
            if not self.services:
                raise ValueError("an unsubscribe needs the services to stop (services)")
            bad = [s for s in self.services if not SERVICE_PATTERN.match(s)]
            if bad:
                raise ValueError(
                    f"unknown services {bad}: use voice, sms, data, account or vas:<name>"
                )
            if len(set(self.services)) != len(self.services):
                raise ValueError("services must not repeat")
        elif self.services:
            raise ValueError("services apply to unsubscribe cases only")
        return self


# ------------------------------------------------------------------ actions
class AcceptBody(Body):
    pass


class NoteBody(Body):
    text: Text


class TransferBody(Body):
    department: Annotated[str, Field(min_length=1, max_length=64, examples=["product"])]
    reason: Text


class AssignBody(Body):
    assignee: Annotated[str, Field(min_length=1, max_length=64)]
    department: Annotated[str | None, Field(max_length=64)] = None


class RequestInfoBody(Body):
    question: Text


class CustomerReplyBody(Body):
    text: Text


class ReclassifyBody(Body):
    reason: Text
    severity: Severity | None = None
    tier: CustomerTier | None = None
    category: Category | None = None


class ResolveBody(Body):
    result: Text
    process: Text
    evidence: OptionalText = ""


class FeedbackBody(Body):
    message: Text
    channel: Channel | None = None


class CustomerResponseBody(Body):
    comment: OptionalText = ""


class CallbackBody(Body):
    satisfaction: Satisfaction
    comment: OptionalText = ""


class AcknowledgeBody(Body):
    comment: OptionalText = ""


class AnswerBody(Body):
    answer: Text


class CloseBody(Body):
    reason: Text


class ConvertBody(Body):
    category: Category
    severity: Severity
    reason: Text


class ConsentBody(Body):
    comment: OptionalText = ""


class ReviewBody(Body):
    approved: bool
    comment: OptionalText = ""


class RetryBody(Body):
    comment: OptionalText = ""


# ------------------------------------------------------------------ views
class WindowView(BaseModel):
    target: str
    state: WindowState
    opened_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    closed_at: datetime | None
    pause_reason: str | None
    remaining_seconds: float | None = Field(
        description="Seconds to the deadline now (negative when overdue); null when closed "
        "or paused"
    )


class CaseView(BaseModel):
    case_id: str
    type: CaseType
    phase: str
    outcome: str | None
    customer: dict[str, Any]
    channel: Channel
    reply_channel: Channel
    category: Category | None
    severity: Severity | None
    description: str
    department: str | None
    assignee: str | None
    escalation: dict[str, Any]
    windows: dict[str, WindowView]
    next_deadline: datetime | None
    breached: bool
    reopen_count: int
    transfer_count: int
    resolution: dict[str, str] | None
    feedback: dict[str, str] | None
    satisfaction: dict[str, str] | None
    customer_confirmed: bool | None
    services: list[str]
    termination: dict[str, str] | None
    review: dict[str, str] | None
    links: dict[str, str]
    policy_version: str
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    client_reference: str | None


def mask(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str | None:
    if not value:
        return value
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def case_view(state: CaseState, role: Role, now: datetime | None = None) -> CaseView:
    now = now or datetime.now(UTC)
    windows = {}
    dues = []
    for name, w in state.windows.items():
        open_running = w.state in (WindowState.RUNNING, WindowState.BREACHED) and w.due_at
        remaining = (w.due_at - now).total_seconds() if open_running else None
        if w.state == WindowState.RUNNING and w.due_at:
            dues.append(w.due_at)
        windows[name] = WindowView(
            target=w.target, state=w.state, opened_at=w.opened_at, due_at=w.due_at,
            warn_at=w.warn_at, warned_at=w.warned_at, breached_at=w.breached_at,
            closed_at=w.closed_at, pause_reason=w.pause_reason, remaining_seconds=remaining,
        )
    customer = {
        "name": state.customer.name,
        "phone": state.customer.phone,
        "customer_id": state.customer.customer_id,
        "tier": state.customer.tier.value,
    }
    # Intake channels file cases but have no need to read personal data back.
    if role not in UNMASKED_ROLES:
        customer["phone"] = mask(customer["phone"])
        customer["customer_id"] = mask(customer["customer_id"], 2, 2)
    esc = state.escalation
    return CaseView(
        case_id=state.case_id,
        type=state.case_type,
        phase=state.phase.value,
        outcome=state.outcome.value if state.outcome else None,
        customer=customer,
        channel=state.channel,
        reply_channel=state.reply_channel,
        category=state.category,
        severity=state.severity,
        description=state.description,
        department=state.department,
        assignee=state.assignee,
        escalation={
            "level": esc.level,
            "level_name": esc.level_name or "L1 agent",
            "next_at": esc.next_at,
            "window": esc.window.value if esc.window else None,
            "acknowledged_by": esc.acknowledged_by,
            "acknowledged_at": esc.acknowledged_at,
        },
        windows=windows,
        next_deadline=min(dues) if dues else None,
        breached=any(w.state == WindowState.BREACHED for w in state.windows.values()),
        reopen_count=state.reopen_count,
        transfer_count=state.transfer_count,
        resolution=state.resolution,
        feedback=state.feedback,
        satisfaction=state.satisfaction,
        customer_confirmed=state.customer_confirmed,
        services=state.services,
        termination=state.termination,
        review=state.review,
        links=state.links,
        policy_version=state.policy_version,
        opened_at=state.opened_at,
        updated_at=state.updated_at,
        closed_at=state.closed_at,
        client_reference=state.client_reference,
    )


class CaseSummary(BaseModel):
    case_id: str
    type: str
    phase: str
    category: str | None
    severity: str | None
    tier: str
    department: str | None
    assignee: str | None
    escalation_level: int
    breached: bool
    warned: bool
    next_deadline: datetime | None
    next_window: str | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    limit: int
    offset: int


class TimelineEvent(BaseModel):
    seq: int
    kind: str
    at: datetime
    actor_id: str
    actor_role: str
    summary: str
    window: str | None
    deadline: datetime | None
    data: dict[str, Any]


class UserView(BaseModel):
    id: str
    name: str
    role: str
    department: str | None


class ErrorBody(BaseModel):
    detail: str
    reason: str | None = None
    errors: list[dict[str, Any]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown bearer token"},
    403: {"model": ErrorBody, "description": "The role or department may not do this"},
    404: {"model": ErrorBody, "description": "Unknown case"},
    409: {"model": ErrorBody, "description": "Not allowed in the case's current state"},
    413: {"model": ErrorBody, "description": "Request body too large"},
    422: {"model": ErrorBody, "description": "Invalid input; `detail` says what is wrong"},
    503: {"model": ErrorBody, "description": "Temporal or PostgreSQL unreachable; retry"},
}
