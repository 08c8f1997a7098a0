"""Request and response bodies. Every text is capped so no payload nears Temporal's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from caseflow.domain import (
    CaseState,
    CaseType,
    Category,
    Channel,
    CustomerTier,
    Phase,
    Role,
    Satisfaction,
    Severity,
    WindowName,
    WindowState,
)
from caseflow.pii import UNMASKED_ROLES
from caseflow.policy import (
    CalendarOverrides,
    LadderRow,
    PolicyBook,
    PolicyError,
    WindowRow,
)
from workflows.registry import WORKFLOWS

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

    @field_validator("type", mode="before")
    @classmethod
    def _supported_type(cls, value: Any) -> Any:
        # The enum names every type the domain knows; only those with a workflow can be filed.
        supported = sorted(t.value for t in WORKFLOWS)
        if value not in supported:
            raise PydanticCustomError(
                "unsupported_case_type",
                "case type '{value}' is not supported yet (supported: {supported})",
                {"value": str(value), "supported": ", ".join(supported)},
            )
        return value

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
# One body per action, mirroring the update arguments in caseflow.domain minus `actor`: who acts
# always comes from the bearer token, never from the body.
def _example(**fields: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [fields]})


class AcceptBody(Body):
    """No fields: the signed-in agent becomes the assignee."""


class NoteBody(Body):
    model_config = _example(text="Called the customer back; waiting for the billing team")
    text: Text


class TransferBody(Body):
    model_config = _example(department="product", reason="Billing rule question for product")
    department: Annotated[str, Field(min_length=1, max_length=64, examples=["product"])]
    reason: Text


class AssignBody(Body):
    model_config = _example(assignee="agent.cs")
    assignee: Annotated[str, Field(min_length=1, max_length=64, description="A user id")]
    department: Annotated[str | None, Field(max_length=64)] = None


class RequestInfoBody(Body):
    model_config = _example(question="Which month's bill shows the double charge?")
    question: Text


class CustomerReplyBody(Body):
    model_config = _example(text="October 2026")
    text: Text


class ReclassifyBody(Body):
    model_config = _example(severity="major", reason="Several months affected")
    reason: Text
    severity: Severity | None = None
    tier: CustomerTier | None = None
    category: Category | None = None


class ResolveBody(Body):
    model_config = _example(result="Refunded 30 yuan", process="Checked the billing records")
    result: Text
    process: Text
    evidence: OptionalText = ""


class FeedbackBody(Body):
    model_config = _example(message="We refunded 30 yuan to your account")
    message: Text
    channel: Channel | None = Field(
        default=None, description="Default: the reply channel the customer asked for"
    )


class CustomerResponseBody(Body):
    model_config = _example(comment="OK, thank you")
    comment: OptionalText = ""


class CallbackBody(Body):
    model_config = _example(satisfaction="satisfied", comment="Customer happy with the refund")
    satisfaction: Satisfaction
    comment: OptionalText = ""


class AcknowledgeBody(Body):
    model_config = _example(comment="I have it")
    comment: OptionalText = ""


class AnswerBody(Body):
    model_config = _example(answer="Your promotion ended in October")
    answer: Text


class CloseBody(Body):
    model_config = _example(reason="Answered; no follow-up needed")
    reason: Text


class ConvertBody(Body):
    model_config = _example(
        category="marketing",
        severity="major",
        reason="The customer was never told the promotion ends",
    )
    category: Category
    severity: Severity
    reason: Text


class ConsentBody(Body):
    model_config = _example(comment="SMS reply Y")
    comment: OptionalText = ""


class ReviewBody(Body):
    model_config = _example(approved=True, comment="Record complete")
    approved: bool
    comment: OptionalText = ""


class RetryBody(Body):
    model_config = _example(comment="Provisioning is back")
    comment: OptionalText = ""


# ------------------------------------------------------------------ views
class WindowView(BaseModel):
    target: str = Field(
        description="Policy duration: 24h calendar, 8wh working hours, 3wd working days"
    )
    state: WindowState
    opened_at: datetime
    due_at: datetime | None = Field(description="null while paused")
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    closed_at: datetime | None
    pause_reason: str | None
    remaining_seconds: float | None = Field(
        description="Seconds to the deadline now (negative when overdue); null when closed "
        "or paused"
    )


class EscalationView(BaseModel):
    level: int = Field(description="1 = the agent; each breach climbs one ladder level")
    level_name: str
    next_at: datetime | None = Field(
        description="When the chain climbs again unless someone "
        "acts or acknowledges; null = not climbing"
    )
    window: WindowName | None = Field(description="The breached window driving the chain")
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class CaseView(BaseModel):
    case_id: str = Field(examples=["CMP-20261122-000123"])
    type: CaseType
    phase: Phase
    outcome: str | None
    customer: dict[str, Any] = Field(
        description="Phone and customer id are masked for roles "
        "that do not handle the case (intake channels)"
    )
    channel: Channel
    reply_channel: Channel
    category: Category | None
    severity: Severity | None
    description: str
    department: str | None
    assignee: str | None
    escalation: EscalationView
    windows: dict[str, WindowView]
    next_deadline: datetime | None = Field(
        description="The earliest running deadline or escalation climb"
    )
    next_window: str | None = Field(description="What `next_deadline` belongs to")
    breached: bool = Field(description="An open window is past its deadline")
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


def _level_name(state: CaseState, book: PolicyBook | None) -> str:
    """Workflows name a level only when they climb to it; level 1 takes the pinned ladder's."""
    esc = state.escalation
    if esc.level_name:
        return esc.level_name
    if book is not None:
        try:
            ladder = book.get(state.policy_version).ladder
        except PolicyError:
            ladder = []
        if 0 < esc.level <= len(ladder):
            return ladder[esc.level - 1].name
    return f"L{esc.level}"


def case_view(
    state: CaseState, role: Role, book: PolicyBook | None = None, now: datetime | None = None
) -> CaseView:
    """The one shape a case is shown in, whether it comes from the read model or an update."""
    now = now or datetime.now(UTC)
    windows = {}
    # Same rule as the read model's next_deadline column, so a list and a detail agree.
    upcoming = []
    for name, w in state.windows.items():
        counting = w.state in (WindowState.RUNNING, WindowState.BREACHED) and w.due_at
        remaining = (w.due_at - now).total_seconds() if counting else None
        if w.state == WindowState.RUNNING and w.due_at:
            upcoming.append((w.due_at, name))
        windows[name] = WindowView(
            target=w.target,
            state=w.state,
            opened_at=w.opened_at,
            due_at=w.due_at,
            warn_at=w.warn_at,
            warned_at=w.warned_at,
            breached_at=w.breached_at,
            closed_at=w.closed_at,
            pause_reason=w.pause_reason,
            remaining_seconds=remaining,
        )
    esc = state.escalation
    if esc.next_at is not None:
        upcoming.append((esc.next_at, "escalation"))
    next_deadline, next_window = min(upcoming) if upcoming else (None, None)
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
    return CaseView(
        case_id=state.case_id,
        type=state.case_type,
        phase=state.phase,
        outcome=state.outcome.value if state.outcome else None,
        customer=customer,
        channel=state.channel,
        reply_channel=state.reply_channel,
        category=state.category,
        severity=state.severity,
        description=state.description,
        department=state.department,
        assignee=state.assignee,
        escalation=EscalationView(
            level=esc.level,
            level_name=_level_name(state, book),
            next_at=esc.next_at,
            window=esc.window,
            acknowledged_by=esc.acknowledged_by,
            acknowledged_at=esc.acknowledged_at,
        ),
        windows=windows,
        next_deadline=next_deadline,
        next_window=next_window,
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


class BusinessHoursView(BaseModel):
    # Local wall-clock times in the policy's time zone: no offset, so not OpenAPI "time".
    start: str = Field(examples=["09:00:00"], description="HH:MM:SS, policy time zone")
    end: str = Field(examples=["18:00:00"], description="HH:MM:SS, policy time zone")


class PolicyView(BaseModel):
    """The active policy file as loaded and validated (`Policy.model_dump`), plus every version
    still loaded: running cases keep the version they pinned at start."""

    version: str
    timezone: str
    warn_ratio: float
    business_hours: BusinessHoursView
    calendar: CalendarOverrides
    routing: dict[Category, str]
    default_department: str
    ladder: list[LadderRow]
    windows: list[WindowRow]
    known_versions: list[str]


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
