"""Messages between a case and its SLA policy: which rows apply, and when a window is due.

Calendar and policy files never run in workflow code: these cross into activities (or the
API's intake planning) and the answers are read back from history on replay.
"""

from dataclasses import dataclass, field
from datetime import datetime

from caseflow.domain.enums import (
    CaseType,
    Category,
    Channel,
    CustomerTier,
    Severity,
    Start,
    Urgency,
)
from caseflow.domain.state import Segment


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
    starts: dict[str, Start] = field(default_factory=dict)  # window -> where its clock starts
    max_extensions: int = 1  # 服务补救: extensions a window may get (000 §4.3)
    max_extension_ratio: float = 1.0  # each by at most this share of the window's own length
    callback_attempts: int = 3  # unanswered satisfaction callbacks before "unreachable"

    def opening_at(self, start: Start) -> list[str]:
        """The windows this case has a target for whose clocks start at `start`."""
        return [w for w, s in self.starts.items() if s == start and w in self.targets]


@dataclass
class PolicyRequest:
    version: str | None  # None = the active version (new cases)
    case_type: CaseType
    severity: Severity | None
    tier: CustomerTier
    category: Category | None
    channel: Channel | None
    kind: str | None = None
    urgency: Urgency | None = None


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


@dataclass
class IntakePlan:
    """The policy and intake deadlines, resolved by the API when it files the case so that it
    can answer (and record the intake) without waiting for a worker. The workflow adopts them
    as they are: replay reads them from its input, never from today's policy files."""

    policy: ResolvedPolicy
    windows: dict[str, PlanResult]  # intake window name -> its plan
