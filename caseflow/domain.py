"""Domain vocabulary and the messages that cross the workflow boundary.

Pure dataclasses and enums only: workflow code imports this module through the sandbox
pass-through, so it must stay free of I/O and side effects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CaseType(StrEnum):
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    UNSUBSCRIBE = "unsubscribe"


CASE_PREFIX: dict[CaseType, str] = {
    CaseType.COMPLAINT: "CMP",
    CaseType.INQUIRY: "INQ",
    CaseType.UNSUBSCRIBE: "UNS",
}


class Phase(StrEnum):
    NEW = "new"  # filed, waiting for an agent to accept (response window)
    IN_PROGRESS = "in_progress"  # accepted, being handled (handling window)
    TRANSFERRED = "transferred"  # handed to another department, waiting to be taken up
    WAITING_CUSTOMER = "waiting_customer"  # information requested; handling clock paused
    RESOLVED = "resolved"  # result recorded, waiting to be delivered (feedback window)
    FEEDBACK_GIVEN = "feedback_given"  # result delivered, waiting for the callback (follow-up)
    AWAITING_CONSENT = "awaiting_consent"  # unsubscribe: waiting for the customer's 二次确认
    TERMINATING = "terminating"  # unsubscribe: consent given, services being terminated
    UNDER_REVIEW = "under_review"  # unsubscribe: done and notified, supervisor review (复核)
    ARCHIVED = "archived"  # closed for good


OPEN_PHASES = frozenset(set(Phase) - {Phase.ARCHIVED})


class Severity(StrEnum):
    GENERAL = "general"  # 一般: 3 working days
    MAJOR = "major"  # 重大: 5 working days
    ESPECIALLY_MAJOR = "especially_major"  # 特别重大: 10 working days
    URGENT = "urgent"  # rights harmed / urgent: 24 hours


class Category(StrEnum):
    SERVICE = "service"
    PRODUCT = "product"
    MARKETING = "marketing"
    POLICY = "policy"
    NETWORK = "network"
    RULES = "rules"  # a question or complaint about business rules


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    APP = "app"
    WEB = "web"
    WECHAT = "wechat"
    IN_PERSON = "in_person"


class CustomerTier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"  # green channel: shorter windows
    VULNERABLE = "vulnerable"  # elderly, disabled...: priority


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    CHANNEL = "channel"  # an intake channel (hotline IVR, app, SMS gateway) acting for the customer


class WindowName(StrEnum):
    RESPONSE = "response"  # intake -> accepted
    HANDLING = "handling"  # accepted -> resolution recorded
    FEEDBACK = "feedback"  # resolved -> result delivered to the customer
    FOLLOW_UP = "follow_up"  # feedback -> satisfaction callback recorded
    TRANSFER = "transfer"  # transferred -> taken up by the new department
    FIRST_ANSWER = "first_answer"  # inquiry: accepted -> first answer to the customer
    CONSENT = "consent"  # unsubscribe: consent requested -> customer confirms (else closes)
    REVIEW = "review"  # unsubscribe: terminated -> supervisor review recorded


class WindowState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    BREACHED = "breached"  # deadline passed, still open: escalation chain running
    MET = "met"  # closed on time
    MET_LATE = "met_late"  # closed after its deadline
    CANCELLED = "cancelled"  # no longer applies (e.g. a transfer window superseded)


OPEN_WINDOW_STATES = frozenset({WindowState.RUNNING, WindowState.PAUSED, WindowState.BREACHED})


class Outcome(StrEnum):
    """How an archived case ended."""

    RESOLVED = "resolved"
    CONVERTED = "converted"  # inquiry turned into a complaint
    TERMINATED = "terminated"  # unsubscribe carried out and reviewed
    NOT_CONFIRMED = "not_confirmed"  # unsubscribe: no consent within its window
    DECLINED = "declined"  # unsubscribe: the customer said no at the confirmation step
    CLOSED = "closed"  # closed without a callback (inquiries)


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


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


# ---------------------------------------------------------------- policy messages


@dataclass
class LadderStep:
    level: int
    name: str
    notify: str  # who is alerted on reaching this level (e.g. "team_lead")
    acts_within: str | None  # time this level has before the next climbs; None = top
    business_hours_only: bool = False  # deliver this level's alerts in business hours only


@dataclass
class ResolvedPolicy:
    """The policy rows that apply to one case, pinned at start (and on reclassification)."""

    version: str
    targets: dict[str, str]  # window name -> duration
    warn_ratio: float
    department: str | None
    ladder: list[LadderStep]
    sources: dict[str, str] = field(default_factory=dict)  # window -> the policy row that set it


@dataclass
class PolicyRequest:
    version: str | None  # None = the active version (new cases)
    case_type: CaseType
    severity: Severity | None
    tier: CustomerTier
    category: Category | None
    channel: Channel | None


@dataclass
class PlanRequest:
    """Plan a window's deadline: target minus the clock time already used in `segments`."""

    policy_version: str
    target: str
    warn_ratio: float
    now: datetime
    used_segments: list[Segment] = field(default_factory=list)


@dataclass
class InstantRequest:
    policy_version: str
    at: datetime


@dataclass
class PlanResult:
    due_at: datetime
    warn_at: datetime | None  # None when the warning point already passed and was reported
    used_seconds: float
    target_seconds: float


# ---------------------------------------------------------------- case state and records


@dataclass
class CaseState:
    """The whole state of a case: query result, update result and read-model snapshot."""

    case_id: str
    case_type: CaseType
    phase: Phase
    customer: Customer
    channel: Channel
    reply_channel: Channel
    category: Category | None
    severity: Severity | None
    description: str
    department: str | None
    assignee: str | None
    policy_version: str
    opened_at: datetime
    updated_at: datetime
    windows: dict[str, Window] = field(default_factory=dict)
    escalation: Escalation = field(default_factory=Escalation)
    seq: int = 0  # number of audit events so far
    reopen_count: int = 0
    transfer_count: int = 0
    resolution: dict[str, str] | None = None
    feedback: dict[str, str] | None = None
    satisfaction: dict[str, str] | None = None
    customer_confirmed: bool | None = None
    closed_at: datetime | None = None
    client_reference: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # e.g. {"converted_from": "INQ-..."}
    extra: dict[str, str] = field(default_factory=dict)  # type-specific fields
    outcome: Outcome | None = None
    services: list[str] = field(default_factory=list)  # unsubscribe: what to stop
    termination: dict[str, str] | None = None  # unsubscribe: per-service result, times
    review: dict[str, str] | None = None  # unsubscribe: the supervisor's 复核


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


# ---------------------------------------------------------------- workflow input and actions


@dataclass
class IntakePlan:
    """The policy and intake deadlines, resolved by the API when it files the case so that it
    can answer (and record the intake) without waiting for a worker. The workflow adopts them
    as they are: replay reads them from its input, never from today's policy files."""

    policy: ResolvedPolicy
    windows: dict[str, PlanResult]  # intake window name -> its plan


@dataclass
class CaseInput:
    case_id: str
    case_type: CaseType
    customer: Customer
    channel: Channel
    description: str
    created_by: Actor
    category: Category | None = None
    severity: Severity | None = None
    reply_channel: Channel | None = None
    client_reference: str | None = None
    policy_version: str | None = None  # None = the active version when the case starts
    search_attributes: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    # Set together by the API: when the case was filed and its resolved intake. Without them
    # (child cases, tools) the workflow takes its start time and resolves the intake itself.
    opened_at: datetime | None = None
    intake: IntakePlan | None = None


@dataclass
class AcceptAction:
    actor: Actor


@dataclass
class NoteAction:
    actor: Actor
    text: str


@dataclass
class TransferAction:
    actor: Actor
    department: str
    reason: str


@dataclass
class AssignAction:
    actor: Actor
    assignee: str  # user id
    department: str | None = None


@dataclass
class RequestInfoAction:
    actor: Actor
    question: str


@dataclass
class CustomerReplyAction:
    actor: Actor
    text: str


@dataclass
class ReclassifyAction:
    actor: Actor
    reason: str
    severity: Severity | None = None
    tier: CustomerTier | None = None
    category: Category | None = None


@dataclass
class ResolveAction:
    actor: Actor
    result: str
    process: str
    evidence: str = ""


@dataclass
class FeedbackAction:
    """The result delivered to the customer (standard §6.3.2: department, process, result)."""

    actor: Actor
    message: str
    channel: Channel | None = None  # default: the channel the customer asked for / used


@dataclass
class CustomerResponseAction:
    """The customer confirms (accepts) or disputes the delivered result."""

    actor: Actor
    comment: str = ""


@dataclass
class CallbackAction:
    actor: Actor
    satisfaction: Satisfaction
    comment: str = ""


@dataclass
class AcknowledgeAction:
    actor: Actor
    comment: str = ""


@dataclass
class AnswerAction:
    """Inquiry: the first answer given to the customer (e.g. on the phone)."""

    actor: Actor
    answer: str


@dataclass
class FirstContactResolveAction:
    """Inquiry: answered and closed in one step at intake; feedback is recorded with it."""

    actor: Actor
    answer: str


@dataclass
class ConvertAction:
    """Inquiry -> complaint when the customer turns out to be aggrieved."""

    actor: Actor
    category: Category
    severity: Severity
    reason: str


@dataclass
class CloseAction:
    actor: Actor
    reason: str


@dataclass
class ConsentAction:
    """Unsubscribe: the customer's explicit second confirmation (二次确认), or a refusal."""

    actor: Actor
    comment: str = ""


@dataclass
class ReviewAction:
    """Unsubscribe: the supervisor's review (复核): approve, or send it back."""

    actor: Actor
    approved: bool
    comment: str = ""


@dataclass
class RetryAction:
    actor: Actor
    comment: str = ""


@dataclass
class CaseNumberRequest:
    case_type: CaseType
    at: datetime


@dataclass
class TerminationRequest:
    case_id: str
    phone: str
    services: list[str]


@dataclass
class TerminationResult:
    results: dict[str, str]  # service -> "terminated" / "already_terminated"
    completed_at: datetime


@dataclass
class RetentionRequest:
    run_key: str
    cutoff: datetime
    batch: int = 500


# Activity names, so workflow modules never import activity code (and its database stack).
class ActivityName:
    RESOLVE_POLICY = "resolve_policy"
    PLAN_WINDOW = "plan_window"
    RECORD_TRANSITION = "record_transition"
    NEXT_WORKING_INSTANT = "next_working_instant"
    ALLOCATE_CASE_NUMBER = "allocate_case_number"
    GENERATE_MONTHLY_REPORT = "generate_monthly_report"
    ANONYMISE_EXPIRED = "anonymise_expired"
    TERMINATE_SERVICES = "terminate_services"
