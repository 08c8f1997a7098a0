"""What people read for each code the pages show, in the page's language.

Case types, phases, windows, window states, outcomes, satisfaction, fault and service kinds
and actions are named by the case-type registry and the action table (`Label(zh, en)`); the
other vocabularies are named here, as catalog entries (context = the vocabulary), so that they
are translated like every other page string. An unknown code is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from caseflow.domain import (
    Category,
    Channel,
    CustomerTier,
    Outcome,
    Phase,
    Role,
    Satisfaction,
    Severity,
    Urgency,
    WindowName,
    WindowState,
)
from caseflow.domain.actions import ACTIONS
from caseflow.domain.case_types import (
    CASE_TYPES,
    PHASE_LABELS,
    SATISFACTION_LABELS,
    WINDOW_LABELS,
    WINDOW_STATE_LABELS,
    outcome_label,
)
from caseflow.domain.labels import Label
from caseflow.i18n import N_, translations

# ------------------------------------------------------------------ from the catalog
CATALOG_LABELS: dict[str, dict[str, str]] = {
    "severity": {
        Severity.GENERAL: N_("severity", "general"),
        Severity.MAJOR: N_("severity", "major"),
        Severity.ESPECIALLY_MAJOR: N_("severity", "especially major"),
        Severity.URGENT: N_("severity", "urgent"),
    },
    "category": {
        Category.SERVICE: N_("category", "service"),
        Category.PRODUCT: N_("category", "product"),
        Category.MARKETING: N_("category", "marketing"),
        Category.POLICY: N_("category", "policy"),
        Category.NETWORK: N_("category", "network"),
        Category.RULES: N_("category", "business rules"),
    },
    "channel": {
        Channel.PHONE: N_("channel", "phone"),
        Channel.SMS: N_("channel", "SMS"),
        Channel.EMAIL: N_("channel", "e-mail"),
        Channel.APP: N_("channel", "app"),
        Channel.WEB: N_("channel", "web"),
        Channel.WECHAT: N_("channel", "WeChat"),
        Channel.IN_PERSON: N_("channel", "in person"),
        Channel.INTERNAL: N_("channel", "internal"),
    },
    "tier": {
        CustomerTier.STANDARD: N_("tier", "standard"),
        CustomerTier.VIP: N_("tier", "VIP"),
        CustomerTier.VULNERABLE: N_("tier", "vulnerable group"),
    },
    "urgency": {
        Urgency.NORMAL: N_("urgency", "normal"),
        Urgency.EMERGENCY: N_("urgency", "emergency"),
    },
    "role": {
        Role.AGENT: N_("role", "agent"),
        Role.SUPERVISOR: N_("role", "supervisor"),
        Role.ADMIN: N_("role", "administrator"),
        Role.CHANNEL: N_("role", "intake channel"),
    },
    "ladder_role": {
        "agent": N_("ladder_role", "agent"),
        "team_lead": N_("ladder_role", "team lead"),
        "supervisor": N_("ladder_role", "supervisor"),
        "manager": N_("ladder_role", "department manager"),
    },
    "notification_status": {
        "pending": N_("notification_status", "pending"),
        "sent": N_("notification_status", "sent"),
        "failed": N_("notification_status", "failed"),
    },
    "department": {
        "customer_service": N_("department", "customer service"),
        "product": N_("department", "product"),
        "marketing": N_("department", "marketing"),
        "policy": N_("department", "policy"),
        "network_ops": N_("department", "network operations"),
    },
    # The fields of a case's records (resolution, feedback, consent, ...), as the case page
    # lists them.
    "record": {
        "department": N_("record", "department"),
        "process": N_("record", "how it was handled"),
        "result": N_("record", "result"),
        "resolved_by": N_("record", "resolved by"),
        "evidence": N_("record", "evidence"),
        "message": N_("record", "message"),
        "channel": N_("record", "channel"),
        "delivered_by": N_("record", "delivered by"),
        "satisfaction": N_("record", "satisfaction"),
        "recorded_by": N_("record", "recorded by"),
        "comment": N_("record", "comment"),
        "at": N_("record", "at"),
        "by": N_("record", "by"),
        "answer": N_("record", "answer"),
        "approved": N_("record", "approved"),
        "reviewer": N_("record", "reviewer"),
        "service_number": N_("record", "service number"),
        "location": N_("record", "location"),
        "outage_id": N_("record", "outage"),
        "engineer": N_("record", "engineer"),
        "appointment_at": N_("record", "appointment"),
        "cause": N_("record", "cause"),
        "fix": N_("record", "fix"),
        "restored_at": N_("record", "restored at"),
        "restored_by": N_("record", "restored by"),
        "area": N_("record", "area"),
        "linked": N_("record", "linked faults"),
        "told": N_("record", "customers told"),
        "status": N_("record", "status"),
        "completed_at": N_("record", "completed at"),
        "on_time": N_("record", "on time"),
        "results": N_("record", "results"),
        "error": N_("record", "error"),
    },
    # The timeline's event kinds (what the workflows record).
    "event": {
        "intake": N_("event", "filed"),
        "accepted": N_("event", "accepted"),
        "assigned": N_("event", "assigned"),
        "transferred": N_("event", "transferred"),
        "note": N_("event", "note"),
        "paused": N_("event", "clock paused"),
        "resumed": N_("event", "clock resumed"),
        "reclassified": N_("event", "reclassified"),
        "resolved": N_("event", "resolved"),
        "feedback_delivered": N_("event", "result delivered"),
        "customer_confirmed": N_("event", "customer confirmed"),
        "reopened": N_("event", "reopened"),
        "callback": N_("event", "satisfaction callback"),
        "warning": N_("event", "deadline warning"),
        "breach": N_("event", "deadline breached"),
        "escalated": N_("event", "escalated"),
        "escalation_acknowledged": N_("event", "escalation acknowledged"),
        "first_answer": N_("event", "first answer"),
        "resolved_at_first_contact": N_("event", "resolved at first contact"),
        "closed": N_("event", "closed"),
        "converted": N_("event", "converted to a complaint"),
        "consent_given": N_("event", "customer consented"),
        "consent_declined": N_("event", "customer declined"),
        "consent_timeout": N_("event", "no consent in time"),
        "terminated": N_("event", "services terminated"),
        "termination_failed": N_("event", "termination failed"),
        "termination_retried": N_("event", "termination retried"),
        "reviewed": N_("event", "reviewed"),
        "review_returned": N_("event", "review sent back"),
        "dispatched": N_("event", "engineer dispatched"),
        "progress": N_("event", "progress told"),
        "restored": N_("event", "restored"),
        "linked_outage": N_("event", "linked to an outage"),
        "fault_linked": N_("event", "fault linked"),
        "faults_told": N_("event", "linked faults told"),
        "outage_restored": N_("event", "outage restored"),
        "fulfilled": N_("event", "fulfilled"),
        "archived": N_("event", "archived"),
        "lost": N_("event", "workflow lost"),
        "revived": N_("event", "revived"),
    },
    # How a lost case's workflow ended (caseflow.domain.LostStatus).
    "lost_status": {
        "terminated": N_("lost_status", "terminated"),
        "failed": N_("lost_status", "failed"),
        "timed_out": N_("lost_status", "timed out"),
        "canceled": N_("lost_status", "cancelled"),
        "missing": N_("lost_status", "missing from Temporal"),
    },
}


def _registry_label(vocabulary: str, code: str) -> Label | None:
    try:
        match vocabulary:
            case "case_type":
                return next(s.label for t, s in CASE_TYPES.items() if t.value == code)
            case "phase":
                return PHASE_LABELS[Phase(code)]
            case "window":
                return WINDOW_LABELS[WindowName(code)]
            case "window_state":
                return WINDOW_STATE_LABELS[WindowState(code)]
            case "satisfaction":
                return SATISFACTION_LABELS[Satisfaction(code)]
            case "outcome":
                return outcome_label(Outcome(code))
            case "action":
                return ACTIONS[code].label
            case "kind":  # fault and service-request kinds
                specs = CASE_TYPES.values()
                return next(s.kind_labels[code] for s in specs if code in s.kind_labels)
    except (KeyError, ValueError, StopIteration):
        return None
    return None


def label(vocabulary: str, code: object, language: str) -> str:
    """The name of `code` (a value of `vocabulary`) in `language`."""
    if code is None or code == "":
        return "—"
    code = str(code)
    registry = _registry_label(vocabulary, code)
    if registry is not None:
        return registry(language)
    source = CATALOG_LABELS.get(vocabulary, {}).get(code)
    if source is not None:
        return translations(language).pgettext(vocabulary, source)
    return code


def labeller(language: str) -> Callable[[str, object], str]:
    return lambda vocabulary, code: label(vocabulary, code, language)
