"""A case's state: what the workflow keeps, queries return and the read model stores.

Typed records only (no `dict[str, str]` holding "true"): every sub-record is a dataclass that
round-trips exactly through the pydantic payload converter.
"""

from dataclasses import dataclass, field
from datetime import datetime

from caseflow.domain.enums import (
    OPEN_WINDOW_STATES,
    CaseType,
    Category,
    Channel,
    CustomerTier,
    Outcome,
    Phase,
    Role,
    Satisfaction,
    Severity,
    TerminationStatus,
    Urgency,
    WindowName,
    WindowState,
)

# ---------------------------------------------------------------- people and customers


@dataclass
class Actor:
    """Who performs an action; the API fills it from the bearer token, never from the body."""

    user_id: str
    role: Role
    name: str = ""
    department: str | None = None


SYSTEM_ACTOR = Actor(user_id="system", role=Role.ADMIN, name="caseflow timers")


@dataclass
class Customer:
    name: str
    phone: str
    customer_id: str | None = None
    tier: CustomerTier = CustomerTier.STANDARD
    # Where a reply reaches the customer on the channel they used (附件三 §7.5.5): an e-mail
    # address, the operator app's user id (app, web), the WeChat openid of the service account.
    email: str | None = None
    app_id: str | None = None
    openid: str | None = None


# ---------------------------------------------------------------- SLA clock state


@dataclass
class Segment:
    """An interval during which a window's clock ran; end None = still running."""

    start: datetime
    end: datetime | None = None


@dataclass
class Window:
    name: WindowName
    target: str  # policy duration, e.g. "24h", "3wd" (working days), "8wh" (working hours)
    state: WindowState
    opened_at: datetime
    segments: list[Segment] = field(default_factory=list)
    due_at: datetime | None = None  # None while paused
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    closed_at: datetime | None = None
    pause_reason: str | None = None
    extensions: int = 0  # supervisor-approved extensions (服务补救); never reported as on time
    extended_from: datetime | None = None  # the deadline before the first extension

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_WINDOW_STATES


@dataclass
class Escalation:
    level: int = 1  # 1 = agent; each breach moves one level up the policy's ladder
    level_name: str = ""
    next_at: datetime | None = None  # when the chain climbs again if nobody acts
    window: WindowName | None = None  # the breached window driving the chain
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


# ---------------------------------------------------------------- typed sub-records


@dataclass
class Resolution:
    """What was done (标准 §6.3.2: department, process, result, evidence)."""

    department: str
    process: str
    result: str
    resolved_by: str
    evidence: str = ""


@dataclass
class Feedback:
    """The result as delivered to the customer, on which channel."""

    department: str
    process: str
    result: str
    message: str
    channel: Channel
    delivered_by: str


@dataclass
class SatisfactionRecord:
    satisfaction: Satisfaction
    recorded_by: str
    comment: str = ""


@dataclass
class FirstAnswer:
    """Inquiry: the first answer given to the customer."""

    answer: str
    by: str
    at: datetime


@dataclass
class Consent:
    """Unsubscribe: the customer's explicit second confirmation (二次确认)."""

    at: datetime
    by: str


@dataclass
class Termination:
    """Unsubscribe: what provisioning did; `results` maps a service to what happened to it
    ("terminated" / "already_terminated"). `on_time` is None until it completed."""

    status: TerminationStatus
    completed_at: datetime | None = None
    on_time: bool | None = None
    results: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Review:
    """Unsubscribe: the supervisor's review (复核)."""

    approved: bool
    reviewer: str
    at: datetime
    comment: str = ""


@dataclass
class FaultRecord:
    """Fault repair (故障报修): what broke where, who went, what fixed it."""

    service_number: str
    location: str
    outage_id: str | None = None  # the incident this fault is part of, if any
    engineer: str | None = None
    appointment_at: datetime | None = None  # 上门预约, told to the customer
    cause: str | None = None
    fix: str | None = None
    restored_at: datetime | None = None
    restored_by: str | None = None  # a user id, or the outage id that restored it


@dataclass
class Fulfilment:
    """Service request (业务办理): what was done for the customer."""

    result: str
    by: str
    at: datetime


@dataclass
class OutageRecord:
    """An internal incident: its area and the fault cases linked to it (restored with it)."""

    area: str
    linked: list[str] = field(default_factory=list)
    cause: str | None = None
    fix: str | None = None
    restored_at: datetime | None = None
    told: list[str] = field(default_factory=list)  # linked faults told of the restoration


@dataclass
class Urge:
    """A supervisor's demand (督办, 002 附件五 §6.7) that the case be handled by a deadline."""

    by: str
    at: datetime
    due_at: datetime
    note: str = ""


# ---------------------------------------------------------------- the case


@dataclass
class CaseState:
    """The whole state of a case: query result, update result and read-model snapshot."""

    case_id: str
    case_type: CaseType
    phase: Phase
    customer: Customer
    channel: Channel
    reply_channel: Channel
    description: str
    department: str | None
    assignee: str | None
    policy_version: str
    opened_at: datetime
    updated_at: datetime
    filed_by: str = ""  # the user (an intake channel, or staff) who filed it
    received_at: datetime | None = None  # when the customer made contact (None = opened_at)
    first_responsible: str | None = None  # 首问负责人: the first to take it; stays on it
    transferred_from: str | None = None  # the department that sent it here (for 退单)
    callback_attempts: int = 0  # satisfaction callbacks that reached nobody
    # Policy selectors (which rows apply) besides the customer's tier and the channel.
    category: Category | None = None
    severity: Severity | None = None
    kind: str | None = None  # the type's own kind (a FaultKind, a ServiceKind)
    urgency: Urgency | None = None
    windows: dict[str, Window] = field(default_factory=dict)
    escalation: Escalation = field(default_factory=Escalation)
    seq: int = 0  # number of audit events so far (continues across runs)
    run: int = 1  # which Temporal run of the case holds it (continue-as-new counts up)
    reopen_count: int = 0
    transfer_count: int = 0
    customer_confirmed: bool | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    client_reference: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # e.g. {"converted_from": "INQ-..."}
    resolution: Resolution | None = None
    feedback: Feedback | None = None
    satisfaction: SatisfactionRecord | None = None
    first_answer: FirstAnswer | None = None  # inquiry
    services: list[str] = field(default_factory=list)  # unsubscribe: what to stop
    consent: Consent | None = None  # unsubscribe
    termination: Termination | None = None  # unsubscribe
    review: Review | None = None  # unsubscribe
    fault: FaultRecord | None = None  # fault
    fulfilment: Fulfilment | None = None  # service request
    outage: OutageRecord | None = None  # outage
    urge: Urge | None = None  # the supervisor's 督办 in force, if any

    def window(self, name: WindowName) -> Window | None:
        return self.windows.get(name.value)


# ---------------------------------------------------------------- records of transitions


@dataclass
class AuditEvent:
    seq: int
    kind: str  # e.g. "intake", "accepted", "warning", "breach", "escalated", "note"
    at: datetime
    actor_id: str
    actor_role: str
    summary: str
    window: str | None = None
    deadline: datetime | None = None  # the deadline this event concerned, if any
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class NotificationRequest:
    recipient: str  # "customer", or a ladder role such as "team_lead", or a user id
    channel: str  # sms / email / app / internal
    template: str  # e.g. "escalation", "warning", "feedback"
    department: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    not_before: datetime | None = None  # held back until then (recipient's business hours)


@dataclass
class RecordRequest:
    """One transition: the new snapshot, its audit events and notifications, written atomically."""

    state: CaseState
    events: list[AuditEvent]
    notifications: list[NotificationRequest] = field(default_factory=list)
