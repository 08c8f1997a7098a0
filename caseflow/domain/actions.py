"""The action table: every action an agent, supervisor or intake channel can take on a case.

One row per action: its message type, the roles that may take it, whether an agent must belong
to the case's department, and the phases that allow it for each case type. The API's routes,
bodies and docs, its permission checks, and the workflows' update validators all derive from
this table; a contract test holds the workflows and routes to it.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from caseflow.domain.enums import (
    CUSTOMER_SIDE,
    OPEN_PHASES,
    STAFF,
    SUPERVISORS,
    CaseType,
    Phase,
    Role,
)
from caseflow.domain.labels import Label
from caseflow.domain.messages import (
    AcceptAction,
    AcknowledgeAction,
    AnswerAction,
    AssignAction,
    CallbackAction,
    CallbackAttemptAction,
    CloseAction,
    ConsentAction,
    ConvertAction,
    CustomerReplyAction,
    CustomerResponseAction,
    DispatchAction,
    ExtendAction,
    FeedbackAction,
    FirstContactResolveAction,
    FulfilAction,
    LinkOutageAction,
    NoteAction,
    ProgressAction,
    ReclassifyAction,
    ReplyRegulatorAction,
    RequestInfoAction,
    ResolveAction,
    RestoredAction,
    RestoreOutageAction,
    RetryAction,
    ReviewAction,
    SendBackAction,
    TransferAction,
    UrgeAction,
)

# Short names keep the table readable: one letter per case type.
C, INQ, U = CaseType.COMPLAINT, CaseType.INQUIRY, CaseType.UNSUBSCRIBE
F, OUT, S = CaseType.FAULT, CaseType.OUTAGE, CaseType.SERVICE_REQUEST
APL = CaseType.APPEAL
ALL_TYPES = tuple(CaseType)
CUSTOMER_CASES = (C, INQ, U, F, S, APL)  # everything but the internal outage

NEW_OR_TRANSFERRED = frozenset({Phase.NEW, Phase.TRANSFERRED})
BEFORE_RESOLUTION = frozenset(
    {Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED, Phase.WAITING_CUSTOMER}
)
FIELD_WORK = frozenset({Phase.IN_PROGRESS, Phase.DISPATCHED})


def _only(*phases: Phase) -> frozenset[Phase]:
    return frozenset(phases)


@dataclass(frozen=True)
class ActionRule:
    name: str
    message: type  # the update's argument dataclass (caseflow.domain.messages)
    roles: frozenset[Role]
    scoped: bool  # an agent acts only on cases of their own department
    phases: Mapping[CaseType, frozenset[Phase]]  # case types it applies to -> allowing phases
    label: Label
    summary: str  # one line for the API docs
    # 首问负责制 (002 §7.3): the first to take the case may still take this action after it
    # moved to another department (follow it up), though acting on it stays with its department.
    first_responsible_may: bool = False

    def applies_to(self, case_type: CaseType) -> bool:
        return case_type in self.phases


def _rows(*rules: ActionRule) -> dict[str, ActionRule]:
    table = {r.name: r for r in rules}
    assert len(table) == len(rules), "an action is one row"
    return table


ACTIONS: dict[str, ActionRule] = _rows(
    ActionRule(
        "accept",
        AcceptAction,
        STAFF,
        True,
        {**{t: NEW_OR_TRANSFERRED for t in CUSTOMER_CASES}, OUT: _only(Phase.NEW)},
        Label("受理", "Accept"),
        "Accept (take) the case; closes the response or transfer window and starts handling",
    ),
    ActionRule(
        "note",
        NoteAction,
        STAFF,
        True,
        {t: OPEN_PHASES for t in ALL_TYPES},
        Label("备注", "Note"),
        "Add a note to the timeline",
        first_responsible_may=True,
    ),
    ActionRule(
        "transfer",
        TransferAction,
        STAFF,
        True,
        {
            **{
                t: _only(Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED)
                for t in (C, INQ, F, S, APL)
            },
            U: NEW_OR_TRANSFERRED,
            OUT: _only(Phase.NEW, Phase.IN_PROGRESS),
        },
        Label("转派", "Transfer"),
        "Transfer to another department (it must be taken up within the transfer window)",
    ),
    ActionRule(
        "assign",
        AssignAction,
        SUPERVISORS,
        False,
        {t: OPEN_PHASES for t in ALL_TYPES},
        Label("指派", "Assign"),
        "Assign to a user (supervisors)",
    ),
    ActionRule(
        "callback_attempt",
        CallbackAttemptAction,
        STAFF,
        True,
        {t: _only(Phase.FEEDBACK_GIVEN) for t in (C, INQ, F, S)},
        Label("回访未接通", "Callback: no answer"),
        "A satisfaction callback that reached nobody; the third closes the case as unreachable",
    ),
    ActionRule(
        "acknowledge",
        AcknowledgeAction,
        SUPERVISORS,
        False,
        {t: OPEN_PHASES for t in ALL_TYPES},
        Label("确认升级", "Acknowledge escalation"),
        "Acknowledge the running escalation; the chain stops climbing (supervisors)",
    ),
    ActionRule(
        "send_back",
        SendBackAction,
        STAFF,
        True,
        {
            **{t: _only(Phase.TRANSFERRED, Phase.IN_PROGRESS) for t in (C, INQ, F, S, APL, OUT)},
            U: _only(Phase.TRANSFERRED),
        },
        Label("退单", "Send back"),
        "Return a transferred case, with a reason, to the department that sent it (退单)",
    ),
    ActionRule(
        "urge",
        UrgeAction,
        SUPERVISORS,
        False,
        {
            **{t: BEFORE_RESOLUTION for t in (C, INQ, S)},
            F: NEW_OR_TRANSFERRED | FIELD_WORK,
            U: NEW_OR_TRANSFERRED | {Phase.AWAITING_CONSENT, Phase.TERMINATING},
            **{t: _only(Phase.NEW, Phase.TRANSFERRED, Phase.IN_PROGRESS) for t in (OUT, APL)},
        },
        Label("督办", "Urge"),
        "A supervisor's demand (督办) with a deadline; if it passes, the case climbs one level",
    ),
    ActionRule(
        "extend",
        ExtendAction,
        SUPERVISORS,
        False,
        {t: OPEN_PHASES for t in ALL_TYPES},
        Label("延长时限", "Extend a deadline"),
        "A supervisor-approved extension of one window (服务补救), within the policy's cap; "
        "reported as extended, never as on time",
    ),
    ActionRule(
        "request_info",
        RequestInfoAction,
        STAFF,
        True,
        {t: _only(Phase.IN_PROGRESS) for t in (C, INQ, S)},
        Label("请客户补充信息", "Request information"),
        "Ask the customer for information; pauses the handling clock",
    ),
    ActionRule(
        "customer_reply",
        CustomerReplyAction,
        CUSTOMER_SIDE,
        True,
        {t: _only(Phase.WAITING_CUSTOMER) for t in (C, INQ, S)},
        Label("客户回复", "Customer reply"),
        "The customer's reply; resumes the handling clock with exact credit",
    ),
    ActionRule(
        "reclassify",
        ReclassifyAction,
        STAFF,
        True,
        {
            **{t: BEFORE_RESOLUTION for t in (C, INQ, S)},
            F: _only(Phase.NEW, Phase.IN_PROGRESS, Phase.DISPATCHED, Phase.TRANSFERRED),
        },
        Label("重新分类", "Reclassify"),
        "Change severity, urgency, tier or category; deadlines are recomputed minus the time "
        "already used",
    ),
    ActionRule(
        "resolve",
        ResolveAction,
        STAFF,
        True,
        {t: _only(Phase.IN_PROGRESS) for t in (C, INQ)},
        Label("办结", "Resolve"),
        "Record the resolution; starts the feedback window",
    ),
    ActionRule(
        "feedback",
        FeedbackAction,
        STAFF,
        True,
        {t: _only(Phase.RESOLVED) for t in (C, INQ)},
        Label("反馈结果", "Deliver result"),
        "Deliver the result to the customer; starts the follow-up window",
    ),
    ActionRule(
        "confirm",
        CustomerResponseAction,
        CUSTOMER_SIDE,
        True,
        {
            C: _only(Phase.FEEDBACK_GIVEN),
            INQ: _only(Phase.FEEDBACK_GIVEN),
            F: _only(Phase.RESOLVED),
        },
        Label("客户确认", "Customer confirms"),
        "The customer accepts the result (a fault: confirms service is back)",
    ),
    ActionRule(
        "dispute",
        CustomerResponseAction,
        CUSTOMER_SIDE,
        True,
        {
            C: _only(Phase.FEEDBACK_GIVEN),
            INQ: _only(Phase.FEEDBACK_GIVEN),
            F: _only(Phase.RESOLVED),
        },
        Label("客户异议", "Customer disputes"),
        "The customer disputes the result (a fault: still broken); handling reopens, counted",
    ),
    ActionRule(
        "callback",
        CallbackAction,
        STAFF,
        True,
        {t: _only(Phase.FEEDBACK_GIVEN) for t in (C, INQ, F, S)},
        Label("回访", "Satisfaction callback"),
        "Record the satisfaction callback; the case archives",
    ),
    # ---------------------------------------------------------------- inquiry
    ActionRule(
        "answer",
        AnswerAction,
        STAFF,
        True,
        {INQ: _only(Phase.IN_PROGRESS, Phase.WAITING_CUSTOMER)},
        Label("首次答复", "First answer"),
        "Inquiry: give the first answer",
    ),
    ActionRule(
        "resolve_at_intake",
        FirstContactResolveAction,
        STAFF,
        True,
        {INQ: _only(Phase.NEW)},
        Label("首问解决", "Resolve at first contact"),
        "Inquiry: answer and resolve at first contact",
    ),
    ActionRule(
        "close",
        CloseAction,
        STAFF,
        True,
        {INQ: _only(Phase.FEEDBACK_GIVEN)},
        Label("关闭", "Close"),
        "Inquiry: close without a callback",
    ),
    ActionRule(
        "convert",
        ConvertAction,
        STAFF,
        True,
        {INQ: OPEN_PHASES},
        Label("转投诉", "Convert to complaint"),
        "Inquiry: convert into a complaint (linked both ways)",
    ),
    # ---------------------------------------------------------------- unsubscribe
    ActionRule(
        "consent",
        ConsentAction,
        CUSTOMER_SIDE,
        True,
        {U: _only(Phase.AWAITING_CONSENT)},
        Label("客户确认退订", "Customer consents"),
        "Unsubscribe: the customer's explicit confirmation (二次确认); termination starts",
    ),
    ActionRule(
        "decline",
        ConsentAction,
        CUSTOMER_SIDE,
        True,
        {U: _only(Phase.AWAITING_CONSENT)},
        Label("客户放弃退订", "Customer declines"),
        "Unsubscribe: the customer declines; nothing is terminated",
    ),
    ActionRule(
        "retry_termination",
        RetryAction,
        STAFF,
        True,
        {U: _only(Phase.TERMINATING)},
        Label("重试退订", "Retry termination"),
        "Unsubscribe: retry a failed termination",
    ),
    ActionRule(
        "review",
        ReviewAction,
        SUPERVISORS,
        False,
        {U: _only(Phase.UNDER_REVIEW)},
        Label("复核", "Review"),
        "Unsubscribe: supervisor review (复核): approve to archive, or send back",
    ),
    # ---------------------------------------------------------------- fault repair
    ActionRule(
        "dispatch",
        DispatchAction,
        STAFF,
        True,
        {F: FIELD_WORK},
        Label("派单上门", "Dispatch engineer"),
        "Fault: dispatch a field engineer with an appointment the customer is told about",
    ),
    ActionRule(
        "progress",
        ProgressAction,
        STAFF,
        True,
        {F: FIELD_WORK},
        Label("进展告知", "Progress update"),
        "Fault: a progress note the customer is told",
    ),
    ActionRule(
        "restored",
        RestoredAction,
        STAFF,
        True,
        {F: FIELD_WORK},
        Label("已修复", "Restored"),
        "Fault: service restored (cause and fix told to the customer); waits for confirmation",
    ),
    ActionRule(
        "link_outage",
        LinkOutageAction,
        STAFF,
        True,
        {F: _only(Phase.NEW, Phase.IN_PROGRESS, Phase.DISPATCHED, Phase.TRANSFERRED)},
        Label("关联故障事件", "Link to outage"),
        "Fault: part of a known outage; restoring the outage restores this case",
    ),
    ActionRule(
        "restore_outage",
        RestoreOutageAction,
        STAFF,
        True,
        {OUT: _only(Phase.NEW, Phase.IN_PROGRESS)},
        Label("故障恢复", "Restore outage"),
        "Outage: restored; every linked fault case is restored and its customer told, once",
    ),
    # ---------------------------------------------------------------- regulator appeal
    ActionRule(
        "reply_regulator",
        ReplyRegulatorAction,
        STAFF,
        True,
        {APL: _only(Phase.NEW, Phase.TRANSFERRED, Phase.IN_PROGRESS)},
        Label("答复监管部门", "Reply to the regulator"),
        "Appeal: the reply to the regulator that forwarded it; the appeal closes",
    ),
    # ---------------------------------------------------------------- service request
    ActionRule(
        "fulfil",
        FulfilAction,
        STAFF,
        True,
        {S: _only(Phase.IN_PROGRESS)},
        Label("办理完成", "Fulfil"),
        "Service request: done; the customer is told what was done",
    ),
)


def rule(name: str) -> ActionRule | None:
    return ACTIONS.get(name)


def actions_for(case_type: CaseType) -> list[ActionRule]:
    """The actions a case type has at all, in table order."""
    return [r for r in ACTIONS.values() if r.applies_to(case_type)]


def allowed_now(case_type: CaseType, phase: Phase) -> list[ActionRule]:
    """The actions this phase of this case type allows (forms on the case page)."""
    return [r for r in actions_for(case_type) if phase in r.phases[case_type]]
