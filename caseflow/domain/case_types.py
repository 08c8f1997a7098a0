"""The case-type registry: one spec per case type.

A spec says what a case of that type is: its number prefix, the workflow that runs it, who may
file it and with which intake fields, which SLA windows it has (and which open at intake), how
it can end and what each ending counts for in the reports, and how people call it. Intake
validation, the floor, the reports, the notification texts and the policy's validation read
it; nothing falls back silently for a type it does not know.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from caseflow.domain.enums import (
    CUSTOMER_SIDE,
    STAFF,
    CaseType,
    FaultKind,
    Outcome,
    Phase,
    RegulatorKind,
    Role,
    Satisfaction,
    ServiceKind,
    Start,
    WindowName,
    WindowState,
)
from caseflow.domain.labels import Label

W = WindowName


@dataclass(frozen=True)
class OutcomeRule:
    label: Label
    resolved: bool  # counts as resolved in the resolution rate
    callback_owed: bool  # the customer was owed a satisfaction callback (回访)
    counted: bool = True  # False: ended by the customer's own choice; in no rate's base


@dataclass(frozen=True)
class IntakeRule:
    """Type-specific fields of an intake (the API's request body): which must be present,
    which may be; any other type-specific field is refused (422)."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    kinds: tuple[str, ...] = ()  # values `kind` may take

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


@dataclass(frozen=True)
class CaseTypeSpec:
    type: CaseType
    prefix: str  # case numbers: PREFIX-YYYYMMDD-NNNNNN
    workflow: str  # the Temporal workflow type that runs it (workflows/registry.py)
    label: Label
    filed_by: frozenset[Role]
    intake: IntakeRule
    windows: tuple[WindowName, ...]  # every window it has; a policy covering it must set each
    # Where the clocks that open at receipt or at acceptance start, unless the policy version
    # says otherwise (`[starts.<type>]`). These defaults are what the versions without a
    # `[starts]` table mean (2026.1, 2026.2); newer versions count from the instants the
    # standards name.
    starts: Mapping[WindowName, Start]
    phases: tuple[Phase, ...]  # the phases it passes through, in order
    outcomes: Mapping[Outcome, OutcomeRule]
    # Windows a policy row may set (absent from a version: that clock does not run).
    optional_windows: tuple[WindowName, ...] = ()
    customer_facing: bool = True  # False: an internal case; no customer, no customer notices
    kind_labels: Mapping[str, Label] = field(default_factory=dict)
    starting_level: int = 1  # the ladder level a case starts at (appeals start at L3)

    def outcome(self, outcome: Outcome) -> OutcomeRule:
        return self.outcomes[outcome]

    @property
    def all_windows(self) -> tuple[WindowName, ...]:
        return (*self.windows, *self.optional_windows)


R, A = Start.RECEIPT, Start.ACCEPT
# Clocks new policy versions add to every customer case: the 30-minute decision to take it up or
# transfer it, and the 24 h to handle it after a transfer (000 §4.1).
SHARED_WINDOWS = (W.DECISION, W.COMPLETION)
# While a customer is asked for information: a reminder, then closing if they stay silent.
WAITING_WINDOWS = (W.REPLY_REMINDER, W.REPLY)

RESOLVED = OutcomeRule(Label("已解决", "resolved"), resolved=True, callback_owed=True)
# Resolved and told, but three callback attempts reached nobody: attempted, never "satisfied".
UNREACHABLE = OutcomeRule(Label("回访未接通", "unreachable"), resolved=True, callback_owed=True)
# The customer never answered a request for information: closed with a notice, not resolved,
# and in no rate's base (the customer's silence, not the service's failure); counted apart.
NO_RESPONSE = OutcomeRule(
    Label("客户未回复", "no response"), resolved=False, callback_owed=False, counted=False
)
HANDLED_ENDINGS = {
    Outcome.RESOLVED: RESOLVED,
    Outcome.UNREACHABLE: UNREACHABLE,
    Outcome.NO_RESPONSE: NO_RESPONSE,
}

CASE_TYPES: dict[CaseType, CaseTypeSpec] = {
    spec.type: spec
    for spec in (
        CaseTypeSpec(
            type=CaseType.COMPLAINT,
            prefix="CMP",
            workflow="ComplaintWorkflow",
            label=Label("投诉", "complaint"),
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(required=frozenset({"category", "severity"})),
            windows=(W.RESPONSE, W.HANDLING, W.FEEDBACK, W.FOLLOW_UP, W.TRANSFER),
            optional_windows=SHARED_WINDOWS + WAITING_WINDOWS,
            starts={W.RESPONSE: R, W.DECISION: R, W.HANDLING: A},
            phases=(
                Phase.NEW,
                Phase.TRANSFERRED,
                Phase.IN_PROGRESS,
                Phase.WAITING_CUSTOMER,
                Phase.RESOLVED,
                Phase.FEEDBACK_GIVEN,
                Phase.ARCHIVED,
            ),
            outcomes=HANDLED_ENDINGS,
        ),
        CaseTypeSpec(
            type=CaseType.INQUIRY,
            prefix="INQ",
            workflow="InquiryWorkflow",
            label=Label("咨询", "enquiry"),
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(optional=frozenset({"category"})),
            windows=(W.RESPONSE, W.HANDLING, W.FEEDBACK, W.FOLLOW_UP, W.TRANSFER),
            optional_windows=(W.FIRST_ANSWER, *SHARED_WINDOWS, *WAITING_WINDOWS),
            starts={W.RESPONSE: R, W.DECISION: R, W.HANDLING: A, W.FIRST_ANSWER: A},
            phases=(
                Phase.NEW,
                Phase.TRANSFERRED,
                Phase.IN_PROGRESS,
                Phase.WAITING_CUSTOMER,
                Phase.RESOLVED,
                Phase.FEEDBACK_GIVEN,
                Phase.ARCHIVED,
            ),
            outcomes={
                **HANDLED_ENDINGS,
                Outcome.CLOSED: OutcomeRule(
                    Label("已答复关闭", "closed"), resolved=True, callback_owed=True
                ),
                Outcome.CONVERTED: OutcomeRule(
                    Label("已转投诉", "converted"),
                    resolved=False,
                    callback_owed=False,
                    counted=False,
                ),
            },
        ),
        CaseTypeSpec(
            type=CaseType.UNSUBSCRIBE,
            prefix="UNS",
            workflow="UnsubscribeWorkflow",
            label=Label("退订申请", "unsubscribe request"),
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(required=frozenset({"services"})),
            windows=(W.RESPONSE, W.CONSENT, W.HANDLING, W.REVIEW, W.TRANSFER),
            optional_windows=SHARED_WINDOWS,
            # The 72 h completion clock runs from the request, not from acceptance (§6.2.1);
            # consent is asked for when an agent takes the request.
            starts={W.RESPONSE: R, W.DECISION: R, W.HANDLING: R, W.CONSENT: A},
            phases=(
                Phase.NEW,
                Phase.TRANSFERRED,
                Phase.AWAITING_CONSENT,
                Phase.TERMINATING,
                Phase.UNDER_REVIEW,
                Phase.ARCHIVED,
            ),
            outcomes={
                Outcome.TERMINATED: OutcomeRule(
                    Label("已退订", "terminated"), resolved=True, callback_owed=False
                ),
                Outcome.NOT_CONFIRMED: OutcomeRule(
                    Label("未确认", "not confirmed"),
                    resolved=False,
                    callback_owed=False,
                    counted=False,
                ),
                Outcome.DECLINED: OutcomeRule(
                    Label("客户放弃", "declined"),
                    resolved=False,
                    callback_owed=False,
                    counted=False,
                ),
            },
        ),
        CaseTypeSpec(
            type=CaseType.FAULT,
            prefix="FLT",
            workflow="FaultWorkflow",
            label=Label("故障报修", "fault report"),
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(
                required=frozenset({"kind", "service_number", "location"}),
                optional=frozenset({"urgency", "outage_id"}),
                kinds=tuple(FaultKind),
            ),
            windows=(W.RESPONSE, W.DISPATCH, W.RESTORATION, W.FEEDBACK, W.FOLLOW_UP, W.TRANSFER),
            optional_windows=SHARED_WINDOWS,
            # Restoration counts from the report (000 §3.1: fault tickets handled within 2 h).
            starts={W.RESPONSE: R, W.DECISION: R, W.RESTORATION: R, W.DISPATCH: A},
            phases=(
                Phase.NEW,
                Phase.TRANSFERRED,
                Phase.IN_PROGRESS,
                Phase.DISPATCHED,
                Phase.RESOLVED,
                Phase.FEEDBACK_GIVEN,
                Phase.ARCHIVED,
            ),
            outcomes={Outcome.RESOLVED: RESOLVED, Outcome.UNREACHABLE: UNREACHABLE},
            kind_labels={
                FaultKind.NO_SERVICE: Label("无信号/无法通话", "no service"),
                FaultKind.SLOW_DATA: Label("网速慢", "slow data"),
                FaultKind.VOICE_QUALITY: Label("通话质量差", "poor voice quality"),
                FaultKind.BROADBAND: Label("宽带故障", "broadband"),
                FaultKind.OTHER: Label("其他故障", "other"),
            },
        ),
        CaseTypeSpec(
            type=CaseType.OUTAGE,
            prefix="OUT",
            workflow="OutageWorkflow",
            label=Label("网络故障事件", "outage"),
            filed_by=STAFF,  # an internal incident, opened by staff
            customer_facing=False,
            intake=IntakeRule(required=frozenset({"area"})),
            windows=(W.RESPONSE, W.RESTORATION, W.TRANSFER),
            starts={W.RESPONSE: R, W.RESTORATION: R},
            phases=(Phase.NEW, Phase.TRANSFERRED, Phase.IN_PROGRESS, Phase.ARCHIVED),
            outcomes={
                Outcome.RESTORED: OutcomeRule(
                    Label("已恢复", "restored"), resolved=True, callback_owed=False
                )
            },
        ),
        CaseTypeSpec(
            type=CaseType.SERVICE_REQUEST,
            prefix="SRV",
            workflow="ServiceRequestWorkflow",
            label=Label("业务办理", "service request"),
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(required=frozenset({"kind"}), kinds=tuple(ServiceKind)),
            windows=(W.RESPONSE, W.HANDLING, W.FOLLOW_UP, W.TRANSFER),
            optional_windows=SHARED_WINDOWS + WAITING_WINDOWS,
            # 000 §2.4 counts the 1 / 3 / 7 working days from the request.
            starts={W.RESPONSE: R, W.DECISION: R, W.HANDLING: R},
            phases=(
                Phase.NEW,
                Phase.TRANSFERRED,
                Phase.IN_PROGRESS,
                Phase.WAITING_CUSTOMER,
                Phase.FEEDBACK_GIVEN,
                Phase.ARCHIVED,
            ),
            outcomes=HANDLED_ENDINGS,
            kind_labels={
                ServiceKind.BUSINESS: Label("业务办理", "business handling"),
                ServiceKind.ACCOUNT: Label("账户管理", "account management"),
                ServiceKind.APPLICATION: Label("服务申请", "service application"),
            },
        ),
        CaseTypeSpec(
            type=CaseType.APPEAL,
            prefix="APL",
            workflow="AppealWorkflow",
            label=Label("用户申诉", "regulator appeal"),
            # A regulator's channel (users.regulator) or staff entering one received by letter.
            filed_by=CUSTOMER_SIDE,
            intake=IntakeRule(
                required=frozenset({"kind"}),
                optional=frozenset({"appeal_of", "category"}),
                kinds=tuple(RegulatorKind),
            ),
            windows=(W.RESPONSE, W.HANDLING, W.TRANSFER),
            optional_windows=SHARED_WINDOWS,
            # The regulator's deadline runs from when it forwarded the appeal.
            starts={W.RESPONSE: R, W.DECISION: R, W.HANDLING: R},
            phases=(Phase.NEW, Phase.TRANSFERRED, Phase.IN_PROGRESS, Phase.ARCHIVED),
            outcomes={
                Outcome.RESOLVED: OutcomeRule(
                    Label("已答复监管部门", "replied"), resolved=True, callback_owed=False
                )
            },
            kind_labels={
                RegulatorKind.MIIT: Label("工业和信息化部", "MIIT"),
                RegulatorKind.PROVINCE: Label("省通信管理局", "provincial regulator"),
            },
            starting_level=3,  # an appeal reaches the complaint specialists at once
        ),
    )
}

# Every type-specific intake field any spec names (the API refuses them on other types).
INTAKE_FIELDS = frozenset().union(*(s.intake.allowed for s in CASE_TYPES.values()))
_BY_PREFIX = {s.prefix: s for s in CASE_TYPES.values()}
assert len(_BY_PREFIX) == len(CASE_TYPES), "case number prefixes must be unique"


def spec(case_type: CaseType) -> CaseTypeSpec:
    return CASE_TYPES[case_type]


def spec_for_case_id(case_id: str) -> CaseTypeSpec | None:
    """The spec a case number's prefix names (None for a number no type issues)."""
    return _BY_PREFIX.get(case_id.split("-", 1)[0])


# ---------------------------------------------------------------- labels people read

PHASE_LABELS: dict[Phase, Label] = {
    Phase.NEW: Label("待受理", "new"),
    Phase.IN_PROGRESS: Label("处理中", "in progress"),
    Phase.TRANSFERRED: Label("已转派", "transferred"),
    Phase.WAITING_CUSTOMER: Label("待客户补充", "waiting for the customer"),
    Phase.DISPATCHED: Label("已派单上门", "engineer dispatched"),
    Phase.RESOLVED: Label("已办结待反馈", "resolved"),
    Phase.FEEDBACK_GIVEN: Label("已反馈待回访", "result delivered"),
    Phase.AWAITING_CONSENT: Label("待客户确认", "awaiting consent"),
    Phase.TERMINATING: Label("退订办理中", "terminating"),
    Phase.UNDER_REVIEW: Label("待复核", "under review"),
    Phase.ARCHIVED: Label("已归档", "archived"),
}

WINDOW_LABELS: dict[WindowName, Label] = {
    W.RESPONSE: Label("响应", "response"),
    W.HANDLING: Label("处理", "handling"),
    W.FEEDBACK: Label("结果反馈", "feedback"),
    W.FOLLOW_UP: Label("回访", "follow-up"),
    W.TRANSFER: Label("转派接手", "transfer"),
    W.FIRST_ANSWER: Label("首次答复", "first answer"),
    W.CONSENT: Label("客户确认", "consent"),
    W.REVIEW: Label("复核", "review"),
    W.DISPATCH: Label("派单", "dispatch"),
    W.RESTORATION: Label("故障修复", "restoration"),
    W.DECISION: Label("判定分派", "decision"),
    W.COMPLETION: Label("转派后办结", "completion after transfer"),
    W.URGE: Label("督办", "urge"),
    W.REPLY_REMINDER: Label("催复提醒", "reply reminder"),
    W.REPLY: Label("客户回复", "customer reply"),
}

WINDOW_STATE_LABELS: dict[WindowState, Label] = {
    WindowState.RUNNING: Label("计时中", "running"),
    WindowState.PAUSED: Label("已暂停", "paused"),
    WindowState.BREACHED: Label("已超时", "breached"),
    WindowState.MET: Label("按时完成", "met"),
    WindowState.MET_LATE: Label("超时完成", "met late"),
    WindowState.MET_EXTENDED: Label("延期后完成", "met after an extension"),
    WindowState.CANCELLED: Label("已取消", "cancelled"),
}

SATISFACTION_LABELS: dict[Satisfaction, Label] = {
    Satisfaction.SATISFIED: Label("满意", "satisfied"),
    Satisfaction.BASICALLY_SATISFIED: Label("基本满意", "basically satisfied"),
    Satisfaction.UNSATISFIED: Label("不满意", "unsatisfied"),
}


def outcome_label(outcome: Outcome) -> Label:
    for s in CASE_TYPES.values():
        if outcome in s.outcomes:
            return s.outcomes[outcome].label
    raise KeyError(f"no case type ends with outcome {outcome.value!r}")
