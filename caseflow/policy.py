"""The SLA policy table: versioned TOML files, validated when loaded.

`PolicyBook` holds every version (the packaged ones plus those in `Settings.policy_dir`), so a
case keeps the version it pinned at start even after a newer one is published.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, date, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from caseflow.domain import (
    CaseType,
    Category,
    Channel,
    CustomerTier,
    LadderStep,
    PlanRequest,
    PlanResult,
    PolicyRequest,
    ResolvedPolicy,
    Severity,
    Start,
    Urgency,
    WindowName,
)
from caseflow.domain.case_types import CASE_TYPES
from caseflow.worktime import CALENDAR_TIME, CalendarTime, Unit, WorkCalendar, parse_duration

PACKAGED_DIR = Path(__file__).parent / "policies"
WINDOW_FIELDS = tuple(w.value for w in WindowName)


class PolicyError(ValueError):
    """A policy file is missing or invalid; the message says which file and what is wrong."""


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: time = time(9, 0)
    end: time = time(18, 0)

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("business_hours.start must be before business_hours.end")
        return self


class CalendarOverrides(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extra_holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)


class LadderRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1)
    name: str
    notify: str
    acts_within: str | None = None
    # Alerts to this level wait for its business hours (e.g. a manager is not paged at 3 am).
    business_hours_only: bool = False
    _dur = field_validator("acts_within")(_check_duration)


class WindowRow(BaseModel):
    """One row of the window table: selectors ("*" = any) and the windows it sets, by name
    (`response = "24h"`). A window name is any of WindowName; a case type's spec says which
    windows it has."""

    model_config = ConfigDict(extra="allow")
    id: str
    case_type: CaseType
    severity: Severity | Literal["*"] = "*"
    tier: CustomerTier | Literal["*"] = "*"
    channel: Channel | Literal["*"] = "*"
    category: Category | Literal["*"] = "*"
    kind: str = "*"  # the type's own kind (a fault kind, a service-request kind)
    urgency: Urgency | Literal["*"] = "*"
    source: str | None = None  # where the standards set this row's limits (file and section)

    @model_validator(mode="after")
    def _windows_are_durations(self) -> WindowRow:
        for name, value in (self.model_extra or {}).items():
            if name not in WINDOW_FIELDS:
                raise ValueError(
                    f"row {self.id!r}: unknown field {name!r} (windows: {', '.join(WINDOW_FIELDS)})"
                )
            if not isinstance(value, str):
                raise ValueError(f"row {self.id!r}: {name} must be a duration such as '24h'")
            try:
                parse_duration(value)
            except ValueError as exc:
                raise ValueError(f"row {self.id!r}: {name}: {exc}") from None
        spec = CASE_TYPES[self.case_type]
        if self.kind != "*" and self.kind not in spec.intake.kinds:
            raise ValueError(
                f"row {self.id!r}: {self.case_type.value} has no kind {self.kind!r}"
                + (f" (kinds: {', '.join(spec.intake.kinds)})" if spec.intake.kinds else "")
            )
        return self

    @property
    def targets(self) -> dict[str, str]:
        return dict(self.model_extra or {})

    @property
    def specificity(self) -> int:
        selectors = (self.severity, self.tier, self.channel, self.category, self.kind, self.urgency)
        return sum(1 for s in selectors if s != "*")

    def matches(self, req: PolicyRequest) -> bool:
        return (
            self.case_type == req.case_type
            and self.severity in ("*", req.severity)
            and self.tier in ("*", req.tier)
            and self.channel in ("*", req.channel)
            and self.category in ("*", req.category)
            and self.kind in ("*", req.kind)
            and self.urgency in ("*", req.urgency)
        )


class Remedy(BaseModel):
    """服务补救 (000 §4.3): how far a supervisor may extend a window."""

    model_config = ConfigDict(extra="forbid")
    max_extensions: int = Field(default=1, ge=0, le=5)
    max_ratio: float = Field(default=1.0, gt=0, le=3)  # of the window's own length, each time


class Conflict(BaseModel):
    """Where the standards disagree, and which reading this version takes (and why)."""

    model_config = ConfigDict(extra="forbid")
    topic: str
    readings: dict[str, str]  # source ("000 §3.1") -> what it says ("24h")
    chosen: str
    why: str


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(min_length=1)
    # "default": a candidate for new cases when no version is configured; "strict": taken only
    # when selected (CASEFLOW_POLICY_VERSION), e.g. the strictest reading of every limit.
    reading: Literal["default", "strict"] = "default"
    # The case types this version covers: it is validated for them only, and filing any other
    # type while it is active is refused. A new type ships in a new version, so adding one
    # never invalidates a version that running cases pin.
    case_types: list[CaseType] = Field(min_length=1)
    timezone: str  # the one time zone: working time, local dates, report months
    warn_ratio: float = Field(default=0.8, gt=0, lt=1)
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    calendar: CalendarOverrides = Field(default_factory=CalendarOverrides)
    routing: dict[Category, str]  # category -> handling department (标准 §6.2.2)
    # Per case type: kind -> department (e.g. fault kinds to network operations).
    routing_by_kind: dict[CaseType, dict[str, str]] = Field(default_factory=dict)
    # Per case type: the department when neither kind nor category routes it.
    type_departments: dict[CaseType, str] = Field(default_factory=dict)
    default_department: str = "customer_service"  # cases routed by nothing above
    ladder: list[LadderRow] = Field(min_length=1)
    windows: list[WindowRow] = Field(min_length=1)
    # Per case type: where a window's clock starts (receipt or accept), over the type's own
    # defaults (caseflow/domain/case_types.py), e.g. complaint handling from receipt.
    starts: dict[CaseType, dict[WindowName, Start]] = Field(default_factory=dict)
    remedy: Remedy = Field(default_factory=Remedy)
    # Satisfaction callbacks that reach nobody before a case closes as unreachable.
    callback_attempts: int = Field(default=3, ge=1, le=10)
    conflicts: list[Conflict] = Field(default_factory=list)
    # A complaint by the same phone in the same category within this many days of an earlier
    # one is a repeat complaint (重复投诉): linked to it at intake and counted in the reports.
    repeat_window_days: int = Field(default=30, ge=1, le=365)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        levels = [row.level for row in self.ladder]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError(f"ladder levels must be 1, 2, 3... in order, got {levels}")
        if self.ladder[-1].acts_within is not None:
            raise ValueError("the top ladder level has nobody above it: leave acts_within out")
        missing_routes = set(Category) - set(self.routing)
        if missing_routes:
            raise ValueError(f"routing has no department for {sorted(missing_routes)}")
        ids = [row.id for row in self.windows]
        if len(ids) != len(set(ids)):
            raise ValueError("window row ids must be unique")
        covered = set(self.case_types)
        for row in self.windows:
            if row.case_type not in covered:
                raise ValueError(
                    f"row {row.id!r} is for {row.case_type.value}, which this version does not "
                    f"declare in case_types"
                )
        for case_type, kinds in self.routing_by_kind.items():
            unknown = set(kinds) - set(CASE_TYPES[case_type].intake.kinds)
            if unknown:
                raise ValueError(f"routing_by_kind.{case_type.value}: no kinds {sorted(unknown)}")
        for row in self.windows:
            unknown = set(row.targets) - {w.value for w in CASE_TYPES[row.case_type].all_windows}
            if unknown:
                raise ValueError(
                    f"row {row.id!r}: {row.case_type.value} has no window {sorted(unknown)}"
                )
        for case_type, starts in self.starts.items():
            spec = CASE_TYPES[case_type]
            moved = set(starts) - set(spec.starts)
            if moved:
                raise ValueError(
                    f"starts.{case_type.value}: the start of {sorted(w.value for w in moved)} "
                    "is fixed by its step, not chosen by the policy"
                )
        for case_type in self.case_types:
            if CASE_TYPES[case_type].starting_level > len(self.ladder):
                raise ValueError(
                    f"{case_type.value} cases start at ladder level "
                    f"{CASE_TYPES[case_type].starting_level}; the ladder has {len(self.ladder)}"
                )
            defaults = [r for r in self.windows if r.case_type == case_type and r.specificity == 0]
            for name in CASE_TYPES[case_type].windows:
                if not any(name.value in r.targets for r in defaults):
                    raise ValueError(
                        f"no default row (all selectors '*') sets {name.value!r} "
                        f"for {case_type.value}"
                    )
        return self

    def covers(self, case_type: CaseType) -> bool:
        return case_type in self.case_types

    @cached_property
    def calendar_model(self) -> WorkCalendar:
        return WorkCalendar(
            timezone=self.timezone,
            business_start=self.business_hours.start,
            business_end=self.business_hours.end,
            extra_holidays=frozenset(self.calendar.extra_holidays),
            extra_workdays=frozenset(self.calendar.extra_workdays),
        )

    def department_for(self, req: PolicyRequest) -> str:
        by_kind = self.routing_by_kind.get(req.case_type, {})
        if req.kind and req.kind in by_kind:
            return by_kind[req.kind]
        if req.category and req.category in self.routing:
            return self.routing[req.category]
        return self.type_departments.get(req.case_type, self.default_department)

    def resolve(self, req: PolicyRequest) -> ResolvedPolicy:
        if not self.covers(req.case_type):
            raise PolicyError(
                f"policy version {self.version} does not cover {req.case_type.value} cases "
                f"(it covers: {', '.join(t.value for t in self.case_types)})"
            )
        rows = [r for r in self.windows if r.matches(req)]
        # Stable sort: equal specificity keeps file order, so the later row wins below.
        rows.sort(key=lambda r: r.specificity)
        targets: dict[str, str] = {}
        sources: dict[str, str] = {}
        for row in rows:
            for name, value in row.targets.items():
                targets[name] = value
                sources[name] = row.id
        starts = {**CASE_TYPES[req.case_type].starts, **self.starts.get(req.case_type, {})}
        return ResolvedPolicy(
            version=self.version,
            targets=targets,
            warn_ratio=self.warn_ratio,
            department=self.department_for(req),
            ladder=[
                LadderStep(r.level, r.name, r.notify, r.acts_within, r.business_hours_only)
                for r in self.ladder
            ],
            sources=sources,
            starts={w.value: s for w, s in starts.items()},
            max_extensions=self.remedy.max_extensions,
            max_extension_ratio=self.remedy.max_ratio,
            callback_attempts=self.callback_attempts,
        )


def load_policy_file(path: Path) -> Policy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy file {path}: {exc}") from exc
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"invalid policy file {path}: {problems}") from exc
    if policy.version != path.stem:
        raise PolicyError(
            f"policy file {path} declares version {policy.version!r}; name it "
            f"{policy.version}.toml so versions stay unambiguous"
        )
    return policy


def _version_key(version: str) -> tuple:
    """ "2026.10" after "2026.9"; numbers before words at the same place, never compared."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.replace("-", ".").split(".")
    )


class PolicyBook:
    """Every known policy version; `active` is the one new cases pin."""

    def __init__(self, policies: dict[str, Policy], active: str | None = None) -> None:
        if not policies:
            raise PolicyError("no policy files found")
        self.policies = policies
        defaults = [v for v, p in policies.items() if p.reading == "default"] or list(policies)
        chosen = active or max(defaults, key=_version_key)
        if chosen not in policies:
            raise PolicyError(
                f"configured policy version {chosen!r} not found; known: {sorted(policies)}"
            )
        self.active_version = chosen

    @classmethod
    def load(cls, extra_dir: Path | None = None, active: str | None = None) -> PolicyBook:
        policies: dict[str, Policy] = {}
        dirs = [PACKAGED_DIR] + ([extra_dir] if extra_dir else [])
        for folder in dirs:
            if not folder.is_dir():
                raise PolicyError(f"policy directory {folder} does not exist")
            for path in sorted(folder.glob("*.toml")):
                policy = load_policy_file(path)
                policies[policy.version] = policy  # a configured dir may override a version
        return cls(policies, active)

    @property
    def active(self) -> Policy:
        return self.policies[self.active_version]

    def get(self, version: str | None) -> Policy:
        if version is None:
            return self.active
        try:
            return self.policies[version]
        except KeyError:
            raise PolicyError(f"policy version {version!r} is not loaded") from None

    def fingerprint(self, version: str) -> str:
        return hashlib.sha256(self.get(version).model_dump_json().encode()).hexdigest()[:12]

    def resolve(self, req: PolicyRequest) -> ResolvedPolicy:
        return self.get(req.version).resolve(req)

    def plan(self, req: PlanRequest) -> PlanResult:
        return plan_deadline(self.get(req.policy_version).calendar_model, req)


def plan_deadline(calendar: CalendarTime, req: PlanRequest) -> PlanResult:
    """Deadline = now + (target - time already used), measured in the target's own unit."""
    target = parse_duration(req.target)
    used = calendar.used(((s.start, s.end or req.now) for s in req.used_segments), target.unit)
    remaining = max(target.amount - used, timedelta(0))
    due_at = calendar.add(req.now, type(target)(remaining, target.unit))
    warn_point = target.scaled(req.warn_ratio)
    warn_left = warn_point.amount - used
    # A warning point already behind us fires at once (e.g. after a reclassification).
    warn_at = (
        calendar.add(req.now, type(target)(warn_left, target.unit))
        if warn_left > timedelta(0)
        else req.now
    )
    return PlanResult(
        due_at=due_at.astimezone(UTC),
        warn_at=warn_at.astimezone(UTC),
        used_seconds=used.total_seconds(),
        target_seconds=target.amount.total_seconds(),
    )


def plan_in_calendar_time(req: PlanRequest) -> PlanResult | None:
    """The plan of a target counted in calendar time ("24h", "30m"), exactly as the planner
    activity would make it; None for working time, which needs the calendar. It reads nothing
    but the request (no policy file, no calendar data), so workflow code may run it."""
    if parse_duration(req.target).unit is not Unit.CALENDAR:
        return None
    return plan_deadline(CALENDAR_TIME, req)


_book: PolicyBook | None = None


def get_policy_book() -> PolicyBook:
    """The process-wide book, loaded once from Settings (startup fails loudly if invalid)."""
    global _book
    if _book is None:
        from caseflow.settings import get_settings

        settings = get_settings()
        _book = PolicyBook.load(settings.policy_dir, settings.policy_version)
    return _book


def set_policy_book(book: PolicyBook | None) -> None:
    """Install a book explicitly (tests, or a worker configured in code)."""
    global _book
    _book = book
