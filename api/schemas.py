"""Request and response bodies. Every text is capped so no payload nears Temporal's limits.

Action bodies are derived from the action table (api/action_bodies.py); the intake body is
validated per case type from the case-type registry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from api.access import Scrubber, mask, mask_email
from api.action_bodies import MAX_TEXT, Body
from caseflow.domain import (
    CaseState,
    CaseType,
    Category,
    Channel,
    Consent,
    CustomerTier,
    FaultRecord,
    Feedback,
    FirstAnswer,
    Fulfilment,
    LostStatus,
    OutageRecord,
    Phase,
    Resolution,
    Review,
    Role,
    SatisfactionRecord,
    Severity,
    Start,
    Termination,
    Urgency,
    WindowName,
    WindowState,
)
from caseflow.domain.case_types import CASE_TYPES, INTAKE_FIELDS
from caseflow.domain.deadlines import next_deadline
from caseflow.pii import UNMASKED_ROLES
from caseflow.policy import (
    CalendarOverrides,
    Conflict,
    LadderRow,
    PolicyBook,
    PolicyError,
    Remedy,
    WindowRow,
)

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
SERVICE_PATTERN = re.compile(r"^(voice|sms|data|account|vas:[a-z0-9_-]{1,32})$")


def _iso_instant(value: object) -> object:
    """Query values are strings, and pydantic would read "0.5" as seconds since 1970: an
    instant in a query must be written as the schema says (ISO 8601, with its zone)."""
    if isinstance(value, str) and not ISO_INSTANT.match(value):
        raise ValueError("expected an ISO 8601 date-time with zone, e.g. 2026-12-01T09:00:00+08:00")
    return value


ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
# An instant in a query parameter: an aware ISO 8601 date-time, nothing else.
QueryInstant = Annotated[AwareDatetime, BeforeValidator(_iso_instant)]


# ------------------------------------------------------------------ intake
class CustomerIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=100, examples=["张三"])]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$", examples=["13800138000"])]
    customer_id: Annotated[str | None, Field(max_length=64)] = None
    tier: CustomerTier = CustomerTier.STANDARD
    email: Annotated[
        str | None,
        Field(
            max_length=254,
            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            description="Where an e-mail reply reaches the customer (reply channel email)",
            examples=["zhangsan@example.com"],
        ),
    ] = None
    app_id: Annotated[
        str | None,
        Field(
            max_length=64,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description="The customer's user id in the operator's app (reply channel app, web)",
        ),
    ] = None
    openid: Annotated[
        str | None,
        Field(
            max_length=64,
            pattern=r"^[A-Za-z0-9_-]+$",
            description="The customer's WeChat openid for the service account (reply channel "
            "wechat)",
        ),
    ] = None


def _types_with(field: str, required: bool) -> list[CaseType]:
    return [
        t
        for t, s in CASE_TYPES.items()
        if field in (s.intake.required if required else s.intake.allowed)
    ]


def _intake_doc(field: str, what: str) -> str:
    needs = _types_with(field, True)
    may = [t for t in _types_with(field, False) if t not in needs]
    parts = [what]
    if needs:
        parts.append("Required for " + ", ".join(t.value for t in needs) + ".")
    if may:
        parts.append("Optional for " + ", ".join(t.value for t in may) + ".")
    parts.append("Refused for other types.")
    return " ".join(parts)


class CaseCreate(Body):
    """A new case from an intake channel (or staff filing on the customer's behalf). Which of
    the type-specific fields a type needs comes from the case-type registry."""

    type: CaseType
    customer: CustomerIn | None = Field(
        default=None, description="Required for every type that has a customer (not outage)"
    )
    channel: Channel
    reply_channel: Channel | None = Field(
        default=None, description="Where results go; default: the channel the customer used"
    )
    description: Text
    client_reference: Annotated[str | None, Field(max_length=200)] = Field(
        default=None,
        description="The channel's own id; without an Idempotency-Key it dedupes the intake",
    )
    category: Category | None = Field(default=None, description=_intake_doc("category", ""))
    severity: Severity | None = Field(default=None, description=_intake_doc("severity", ""))
    kind: Annotated[str | None, Field(max_length=32)] = Field(
        default=None,
        description=_intake_doc(
            "kind",
            "The type's own kind: a fault's (no_service, slow_data, voice_quality, broadband, "
            "other) or a service request's (business, account, application).",
        ),
    )
    urgency: Urgency | None = Field(default=None, description=_intake_doc("urgency", ""))
    services: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description=_intake_doc(
            "services", "What to stop: voice, sms, data, account or vas:<name>."
        ),
        examples=[["sms", "vas:music"]],
    )
    service_number: Annotated[str | None, Field(min_length=1, max_length=32)] = Field(
        default=None, description=_intake_doc("service_number", "The broken line or account.")
    )
    location: Annotated[str | None, Field(min_length=1, max_length=200)] = Field(
        default=None, description=_intake_doc("location", "Where the fault is.")
    )
    outage_id: Annotated[str | None, Field(min_length=1, max_length=40)] = Field(
        default=None, description=_intake_doc("outage_id", "A known outage this fault is part of.")
    )
    area: Annotated[str | None, Field(min_length=1, max_length=200)] = Field(
        default=None, description=_intake_doc("area", "Where service is out.")
    )
    appeal_of: Annotated[str | None, Field(min_length=1, max_length=40)] = Field(
        default=None, description=_intake_doc("appeal_of", "The case the customer appealed.")
    )
    received_at: AwareDatetime | None = Field(
        default=None,
        description="When the customer actually made contact (a letter, an email read later, "
        "a regulator's transfer), if earlier than now: the clocks that start at receipt count "
        "from it. At most CASEFLOW_MAX_RECEIVED_DAYS back, never in the future (422).",
        examples=["2026-11-30T09:15:00+08:00"],
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
                },
                {
                    "type": "fault",
                    "customer": {"name": "李四", "phone": "13900139000"},
                    "channel": "phone",
                    "kind": "broadband",
                    "service_number": "021-55501234",
                    "location": "上海市浦东新区张江路 100 号",
                    "description": "No internet since this morning",
                },
            ]
        },
    )

    @model_validator(mode="after")
    def _fits_type(self) -> CaseCreate:
        spec = CASE_TYPES[self.type]
        present = {f for f in INTAKE_FIELDS if getattr(self, f) is not None}
        missing = sorted(spec.intake.required - present)
        if missing:
            raise ValueError(f"a {self.type.value} needs {' and '.join(missing)}")
        extra = sorted(present - spec.intake.allowed)
        if extra:
            raise ValueError(f"{', '.join(extra)} do not apply to {self.type.value} cases")
        if spec.customer_facing and self.customer is None:
            raise ValueError(f"a {self.type.value} needs the customer")
        if self.kind is not None and self.kind not in spec.intake.kinds:
            kinds = ", ".join(spec.intake.kinds)
            raise ValueError(f"unknown {self.type.value} kind {self.kind!r} (kinds: {kinds})")
        if self.services is not None:
            bad = [s for s in self.services if not SERVICE_PATTERN.match(s)]
            if bad:
                raise ValueError(
                    f"unknown services {bad}: use voice, sms, data, account or vas:<name>"
                )
            if len(set(self.services)) != len(self.services):
                raise ValueError("services must not repeat")
        return self


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


class CustomerView(BaseModel):
    name: str
    phone: str = Field(description="Masked for intake channels")
    customer_id: str | None = Field(description="Masked for intake channels")
    tier: CustomerTier
    email: str | None = Field(default=None, description="Masked for intake channels")
    app_id: str | None = Field(default=None, description="Masked for intake channels")
    openid: str | None = Field(default=None, description="Masked for intake channels")


class LostView(BaseModel):
    status: LostStatus = Field(
        description="How the workflow's latest run ended: terminated, failed, timed_out, "
        "canceled; missing: Temporal knows no run of it"
    )
    run_id: str | None = Field(description="The run that ended (none when missing)")
    at: datetime = Field(description="When the reconciler found it")


class ReviveBody(Body):
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] = Field(
        description="Why the case is revived (kept in its audit trail)",
        examples=["terminated by mistake during maintenance"],
    )


class CaseView(BaseModel):
    case_id: str = Field(examples=["CMP-20261122-000123"])
    type: CaseType
    phase: Phase
    outcome: str | None
    customer: CustomerView = Field(
        description="Phone and customer id are masked for roles that do not handle the case "
        "(intake channels)"
    )
    channel: Channel
    reply_channel: Channel
    category: Category | None
    severity: Severity | None
    kind: str | None = Field(description="A fault's or a service request's kind")
    urgency: Urgency | None
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
    resolution: Resolution | None
    feedback: Feedback | None
    satisfaction: SatisfactionRecord | None
    customer_confirmed: bool | None
    first_answer: FirstAnswer | None = Field(description="Inquiries")
    services: list[str] = Field(description="Unsubscribes: what to stop")
    consent: Consent | None = Field(description="Unsubscribes")
    termination: Termination | None = Field(description="Unsubscribes")
    review: Review | None = Field(description="Unsubscribes")
    fault: FaultRecord | None = Field(description="Faults")
    fulfilment: Fulfilment | None = Field(description="Service requests")
    outage: OutageRecord | None = Field(description="Outages")
    links: dict[str, str]
    repeat_of: str | None = Field(
        default=None,
        description="A repeat complaint (重复投诉): the earlier complaint by the same customer "
        "in the same category within the policy's repeat window",
    )
    policy_version: str
    run: int = Field(description="Which Temporal run holds the case (continue-as-new counts up)")
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    client_reference: str | None
    lost: LostView | None = Field(
        default=None,
        description="Set when the reconciler found the case open while its workflow had ended "
        "in Temporal: its time limits do not run until an administrator revives it (`POST "
        "/cases/{id}/revive`). Shown to staff.",
    )


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


STAFF_LINKS = frozenset({"repeat_of"})


def case_view(
    state: CaseState, role: Role, book: PolicyBook | None = None, now: datetime | None = None
) -> CaseView:
    """The one shape a case is shown in, whether it comes from the read model or an update."""
    now = now or datetime.now(UTC)
    windows = {}
    for name, w in state.windows.items():
        counting = w.state in (WindowState.RUNNING, WindowState.BREACHED) and w.due_at
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
            remaining_seconds=(w.due_at - now).total_seconds() if counting else None,
        )
    esc = state.escalation
    due, what = next_deadline(state) or (None, None)
    masked = role not in UNMASKED_ROLES  # intake channels file cases; they need not read back
    c = state.customer
    customer = CustomerView(
        name=c.name,
        phone=mask(c.phone) if masked else c.phone,
        customer_id=mask(c.customer_id, 2, 2) if masked else c.customer_id,
        tier=c.tier,
        email=mask_email(c.email) if masked else c.email,
        app_id=mask(c.app_id, 2, 2) if masked else c.app_id,
        openid=mask(c.openid, 2, 2) if masked else c.openid,
    )
    fault = state.fault
    if fault is not None and masked:
        fault = FaultRecord(**{**vars(fault), "service_number": mask(fault.service_number)})
    view = CaseView(
        case_id=state.case_id,
        type=state.case_type,
        phase=state.phase,
        outcome=state.outcome.value if state.outcome else None,
        customer=customer,
        channel=state.channel,
        reply_channel=state.reply_channel,
        category=state.category,
        severity=state.severity,
        kind=state.kind,
        urgency=state.urgency,
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
        next_deadline=due,
        next_window=what,
        breached=any(w.state == WindowState.BREACHED for w in state.windows.values()),
        reopen_count=state.reopen_count,
        transfer_count=state.transfer_count,
        resolution=state.resolution,
        feedback=state.feedback,
        satisfaction=state.satisfaction,
        customer_confirmed=state.customer_confirmed,
        first_answer=state.first_answer,
        services=state.services,
        consent=state.consent,
        termination=state.termination,
        review=state.review,
        fault=fault,
        fulfilment=state.fulfilment,
        outage=state.outage,
        # The earlier complaint a repeat points at may be another channel's: a channel
        # knows only the cases it filed, so masked roles do not see the link.
        links={k: v for k, v in state.links.items() if not (masked and k in STAFF_LINKS)},
        repeat_of=None if masked else state.links.get("repeat_of"),
        policy_version=state.policy_version,
        run=state.run,
        opened_at=state.opened_at,
        updated_at=state.updated_at,
        closed_at=state.closed_at,
        client_reference=state.client_reference,
    )
    if not masked:
        return view
    # Free text (a termination error, a note quoted in a resolution) can repeat a personal
    # value: every string a masked role reads goes through the case's scrubber.
    return CaseView.model_validate(Scrubber(state).tree(view.model_dump()))


class LinkedCaseStatus(BaseModel):
    """What a regulator may see of the case its appeal is about: where it stands, not who."""

    case_id: str
    type: CaseType
    phase: Phase
    outcome: str | None
    department: str | None
    next_deadline: datetime | None
    opened_at: datetime
    closed_at: datetime | None


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
    lost: bool = Field(
        default=False, description="Open here while its workflow ended in Temporal (see lost)"
    )


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
    reading: str = Field(description="default: new cases may get it; strict: only when selected")
    case_types: list[CaseType]
    timezone: str
    warn_ratio: float
    business_hours: BusinessHoursView
    calendar: CalendarOverrides
    routing: dict[Category, str]
    routing_by_kind: dict[CaseType, dict[str, str]]
    type_departments: dict[CaseType, str]
    default_department: str
    ladder: list[LadderRow]
    windows: list[WindowRow]
    starts: dict[CaseType, dict[WindowName, Start]] = Field(
        description="Where a window's clock starts (receipt or accept), over each type's defaults"
    )
    remedy: Remedy
    callback_attempts: int
    conflicts: list[Conflict] = Field(
        description="Where the standards disagree, the reading this version takes, and why"
    )
    known_versions: list[str]


class UserView(BaseModel):
    id: str
    name: str
    role: str
    department: str | None


class ErrorBody(BaseModel):
    detail: str
    reason: str | None = Field(
        default=None, description="The kind of refusal: InvalidState, Forbidden, InvalidInput..."
    )
    code: str | None = Field(
        default=None, description="A stable code for the refusal (pages translate by it)"
    )
    errors: list[dict[str, Any]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or unknown bearer token"},
    403: {"model": ErrorBody, "description": "The role or department may not do this"},
    404: {"model": ErrorBody, "description": "Unknown case"},
    409: {"model": ErrorBody, "description": "Not allowed in the case's current state"},
    413: {"model": ErrorBody, "description": "Request body too large"},
    422: {"model": ErrorBody, "description": "Invalid input; `detail` says what is wrong"},
    429: {
        "model": ErrorBody,
        "description": "Too many requests from this caller or address, or the case is busy "
        "with other actions; retry after `Retry-After` seconds",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    },
    503: {"model": ErrorBody, "description": "Temporal or PostgreSQL unreachable; retry"},
}
