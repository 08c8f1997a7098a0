"""What starts a case's workflow (and each of its later runs), the messages cases send each
other, and the requests workflows make of activities."""

from dataclasses import dataclass, field
from datetime import datetime

from caseflow.domain.enums import CaseType, Category, Channel, LostStatus, Severity, Urgency
from caseflow.domain.planning import IntakePlan, ResolvedPolicy
from caseflow.domain.state import Actor, CaseState, Customer


@dataclass
class FaultIntake:
    service_number: str  # the line or account that is broken
    location: str
    outage_id: str | None = None  # filed as part of a known outage


@dataclass
class OutageIntake:
    area: str  # where service is out (a district, an exchange, a cell range)


@dataclass
class HistoryLimits:
    """When a case continues as new (a fresh run carrying its exact state), well inside
    Temporal's per-run limits: 51 200 events, 50 MB of history, 2 000 updates per run."""

    max_events: int = 3000
    max_bytes: int = 3 * 1024 * 1024
    max_updates: int = 1000


@dataclass
class Revival:
    """Why a run was started from the read model's last recorded state: the case's workflow
    had ended in Temporal (the reconciler marked it lost) and an administrator revived it."""

    by: str  # the administrator's user id
    at: datetime
    reason: str
    lost: LostStatus
    lost_run_id: str | None = None


@dataclass
class Carried:
    """The exact state a continued run starts from: nothing is re-planned, nothing re-sent."""

    state: CaseState
    policy: ResolvedPolicy
    # Set only on a revived case's first run (absent from every continue-as-new): the run
    # records the revival, then keeps the windows and the escalation chain as recorded.
    revived: Revival | None = None


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
    kind: str | None = None  # FaultKind / ServiceKind value
    urgency: Urgency | None = None
    reply_channel: Channel | None = None
    client_reference: str | None = None
    policy_version: str | None = None  # None = the active version when the case starts
    search_attributes: bool = True
    links: dict[str, str] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)  # unsubscribe
    fault: FaultIntake | None = None
    outage: OutageIntake | None = None
    limits: HistoryLimits = field(default_factory=HistoryLimits)
    # When the customer actually made contact (a letter, an email read later, a regulator's
    # transfer), as the filing channel reports it: the windows that start at receipt count
    # from here. None: when it was filed.
    received_at: datetime | None = None
    # Set together by the API: when the case was filed and its resolved intake. Without them
    # (child cases, tools) the workflow takes its start time and resolves the intake itself.
    opened_at: datetime | None = None
    intake: IntakePlan | None = None
    # Set by the case itself when it continues as new.
    carried: Carried | None = None
    # The workflow patches the code that starts this run already has (caseflow.patches): the
    # run takes their paths without a marker each. None: ask `workflow.patched`, as every run
    # started before this field did.
    patches: list[str] | None = None


# ---------------------------------------------------------------- between cases


@dataclass
class FaultLinked:
    """Fault -> outage: this fault case is part of the outage."""

    case_id: str


@dataclass
class OutageRestored:
    """Outage -> fault: the outage is over; the fault is restored with its cause and fix."""

    outage_id: str
    cause: str
    fix: str
    at: datetime


@dataclass
class Appealed:
    """Appeal -> the case it is about: a regulator forwarded an appeal against it."""

    appeal_id: str
    regulator: str  # a RegulatorKind value


# ---------------------------------------------------------------- activity requests


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
class OutageStatus:
    """An outage as the read model has it (a fault asks when it links to one)."""

    outage_id: str
    exists: bool
    restored_at: datetime | None = None
    cause: str | None = None
    fix: str | None = None


@dataclass
class MonthlyReportRequest:
    month: str | None = None  # "2026-10"; None = the month before `at`, in the policy's zone
    at: datetime | None = None


@dataclass
class QuarterlyReportRequest:
    quarter: str | None = None  # "2026-Q3"; None = the quarter before `at`, in the policy's zone
    at: datetime | None = None


@dataclass
class RetentionRequest:
    """Anonymise what was archived `years` full calendar years before `at` (the cutoff is
    cut in the policy's zone by the store, which knows it)."""

    run_key: str
    at: datetime
    years: int = 3
    batch: int = 500


@dataclass
class ReconcileRequest:
    """One pass of the reconciler: the read model's open cases against Temporal's runs. A case
    Temporal knows nothing of counts as missing only once it is `grace_seconds` old (a
    workflow just started may not be visible yet)."""

    at: datetime
    grace_seconds: int = 300


@dataclass
class ReconcileResult:
    open_cases: int  # open in the read model (not lost already)
    running: int  # of those, with a running workflow
    lost: list[str] = field(default_factory=list)  # marked lost by this pass
