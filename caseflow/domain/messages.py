"""The message of each action (one dataclass per message; the action table names which).

`actor` always comes from the signed-in user, never from a request body. The API derives each
action's request body from the other fields (see caseflow.domain.fields for the markers).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from caseflow.domain.enums import (
    Category,
    Channel,
    CustomerTier,
    Satisfaction,
    Severity,
    Urgency,
    WindowName,
)
from caseflow.domain.fields import Doc, Ref, Short
from caseflow.domain.state import Actor

# Evidence files (000 §2.3, 001 §6.3.2) by id: uploaded to the case first, never their bytes.
Attachments = Annotated[
    list[str],
    Ref("attachment"),
    Doc("Ids of files uploaded to this case (POST /cases/{case_id}/attachments)", []),
]


@dataclass
class AcceptAction:
    """No fields: the signed-in agent becomes the assignee."""

    actor: Actor


@dataclass
class NoteAction:
    actor: Actor
    text: Annotated[str, Doc("The note", "Called the customer back; waiting for billing")]
    attachments: Attachments = field(default_factory=list)


@dataclass
class TransferAction:
    actor: Actor
    department: Annotated[str, Ref("department"), Short(), Doc("Target department", "product")]
    reason: Annotated[str, Doc("Why it goes there", "Billing rule question for product")]


@dataclass
class AssignAction:
    actor: Actor
    assignee: Annotated[str, Ref("user"), Short(), Doc("A user id", "agent.cs")]
    department: Annotated[
        str | None, Ref("department"), Short(), Doc("Move the case to this department too")
    ] = None


@dataclass
class RequestInfoAction:
    actor: Actor
    question: Annotated[str, Doc("What the customer is asked", "Which month's bill?")]


@dataclass
class CustomerReplyAction:
    actor: Actor
    text: Annotated[str, Doc("The customer's answer", "October 2026")]


@dataclass
class ReclassifyAction:
    actor: Actor
    reason: Annotated[str, Doc("Why", "Several months affected")]
    severity: Annotated[Severity | None, Doc("New severity (complaints)", "major")] = None
    tier: CustomerTier | None = None
    category: Category | None = None
    urgency: Annotated[Urgency | None, Doc("New urgency (faults)")] = None


@dataclass
class ResolveAction:
    actor: Actor
    result: Annotated[str, Doc("What was done for the customer", "Refunded 30 yuan")]
    process: Annotated[str, Doc("How it was handled", "Checked the billing records")]
    evidence: Annotated[str, Doc("Evidence (标准 §6.3.2)")] = ""
    attachments: Attachments = field(default_factory=list)


@dataclass
class FeedbackAction:
    """The result delivered to the customer (标准 §6.3.2: department, process, result)."""

    actor: Actor
    message: Annotated[str, Doc("What the customer is told", "We refunded 30 yuan")]
    channel: Annotated[
        Channel | None, Doc("Default: the reply channel the customer asked for / used")
    ] = None
    attachments: Attachments = field(default_factory=list)


@dataclass
class CustomerResponseAction:
    """The customer confirms (accepts) or disputes the delivered result."""

    actor: Actor
    comment: Annotated[str, Doc("What the customer said", "OK, thank you")] = ""


@dataclass
class CallbackAction:
    actor: Actor
    satisfaction: Annotated[Satisfaction, Doc("The customer's verdict", "satisfied")]
    comment: str = ""


@dataclass
class CallbackAttemptAction:
    """A satisfaction callback that reached nobody; the third closes the case as unreachable."""

    actor: Actor
    note: Annotated[str, Doc("What happened", "No answer; voicemail left")] = ""


@dataclass
class SendBackAction:
    """退单 (002 附件五 §6.6): the receiving department returns a transferred case, with a
    reason, to the sending department's unassigned queue."""

    actor: Actor
    reason: Annotated[str, Doc("Why it is not ours", "A billing question, not network")]


@dataclass
class UrgeAction:
    """督办 (002 附件五 §6.7): a supervisor's demand that the case be handled by a deadline;
    if the deadline passes, the case climbs one level."""

    actor: Actor
    due_at: Annotated[datetime, Doc("Handled by when", "2030-01-01T18:00:00+08:00")]
    note: Annotated[str, Doc("The demand", "The customer called three times; close it today")]


@dataclass
class ExtendAction:
    """服务补救 (000 §4.3): a supervisor-approved extension of one window's deadline, once and
    by at most the window's own length (the policy's cap); reported as extended."""

    actor: Actor
    window: Annotated[WindowName, Doc("The window to extend", "handling")]
    until: Annotated[datetime, Doc("The new deadline", "2030-01-03T18:00:00+08:00")]
    reason: Annotated[str, Doc("Why", "The customer asked us to wait for the new bill")]


@dataclass
class AcknowledgeAction:
    actor: Actor
    comment: Annotated[str, Doc("A comment for the timeline", "I have it")] = ""


# ---------------------------------------------------------------- inquiry


@dataclass
class AnswerAction:
    """Inquiry: the first answer given to the customer (e.g. on the phone)."""

    actor: Actor
    answer: Annotated[str, Doc("The answer", "Your promotion ended in October")]


@dataclass
class FirstContactResolveAction:
    """Inquiry: answered and closed in one step at intake; feedback is recorded with it."""

    actor: Actor
    answer: Annotated[str, Doc("The answer", "Your promotion ended in October")]


@dataclass
class ConvertAction:
    """Inquiry -> complaint when the customer turns out to be aggrieved."""

    actor: Actor
    category: Annotated[Category, Doc("The complaint's category", "marketing")]
    severity: Annotated[Severity, Doc("The complaint's severity", "major")]
    reason: Annotated[str, Doc("Why", "The customer was never told the promotion ends")]


@dataclass
class CloseAction:
    actor: Actor
    reason: Annotated[str, Doc("Why no callback is needed", "Answered; no follow-up needed")]


# ---------------------------------------------------------------- unsubscribe


@dataclass
class ConsentAction:
    """Unsubscribe: the customer's explicit second confirmation (二次确认), or a refusal."""

    actor: Actor
    comment: Annotated[str, Doc("How the customer answered", "SMS reply Y")] = ""


@dataclass
class ReviewAction:
    """Unsubscribe: the supervisor's review (复核): approve, or send it back."""

    actor: Actor
    approved: Annotated[bool, Doc("Approve to archive; false sends it back", True)]
    comment: Annotated[str, Doc("A comment for the timeline", "Record complete")] = ""


@dataclass
class RetryAction:
    actor: Actor
    comment: Annotated[str, Doc("A comment for the timeline", "Provisioning is back")] = ""


# ---------------------------------------------------------------- fault repair


@dataclass
class DispatchAction:
    """Fault: send a field engineer, with the appointment the customer is told (上门预约)."""

    actor: Actor
    engineer: Annotated[str, Short(), Doc("Who goes (a name or user id)", "Zhang Min")]
    appointment_at: Annotated[
        datetime, Doc("When the engineer will be there", "2026-12-01T14:00:00+08:00")
    ]
    note: str = ""


@dataclass
class ProgressAction:
    """Fault: a progress note the customer is told (customers are kept informed)."""

    actor: Actor
    text: Annotated[str, Doc("What the customer is told", "The engineer is on the way")]


@dataclass
class RestoredAction:
    """Fault: service restored; the customer is told the cause and the fix."""

    actor: Actor
    cause: Annotated[str, Doc("What was broken", "Damaged fibre at the cabinet")]
    fix: Annotated[str, Doc("What fixed it", "Fibre spliced; line tested")]


@dataclass
class LinkOutageAction:
    """Fault: part of a known outage; restoring the outage restores this case."""

    actor: Actor
    outage_id: Annotated[
        str, Ref("outage"), Short(40), Doc("The outage case", "OUT-20261201-000042")
    ]


@dataclass
class RestoreOutageAction:
    """Outage: restored; every linked fault case is restored and told, once each."""

    actor: Actor
    cause: Annotated[str, Doc("What was broken", "Power loss at the Pudong exchange")]
    fix: Annotated[str, Doc("What fixed it", "Generator on; links restored")]


# ---------------------------------------------------------------- regulator appeal


@dataclass
class ReplyRegulatorAction:
    """Appeal: the reply sent to the regulator that forwarded it."""

    actor: Actor
    reply: Annotated[str, Doc("The reply", "Refunded 30 yuan; the customer confirmed by phone")]


# ---------------------------------------------------------------- service request


@dataclass
class FulfilAction:
    """Service request: done; the customer is told what was done."""

    actor: Actor
    result: Annotated[str, Doc("What was done", "Plan changed to 5G-199 from next month")]
