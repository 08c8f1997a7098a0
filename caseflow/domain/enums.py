"""The vocabulary every layer shares: case types, phases, windows, roles and the like.

Pure enums: workflow code imports this module through the sandbox pass-through.
"""

from enum import StrEnum


class CaseType(StrEnum):
    COMPLAINT = "complaint"  # 投诉
    INQUIRY = "inquiry"  # 咨询
    UNSUBSCRIBE = "unsubscribe"  # 退订
    FAULT = "fault"  # 故障报修
    OUTAGE = "outage"  # 网络故障事件 (an internal incident that fault cases link to)
    SERVICE_REQUEST = "service_request"  # 业务办理
    APPEAL = "appeal"  # 用户申诉 forwarded by a regulator (工信部 / 通信管理局 转办)


class Phase(StrEnum):
    NEW = "new"  # filed, waiting for an agent to accept (response window)
    IN_PROGRESS = "in_progress"  # accepted, being handled
    TRANSFERRED = "transferred"  # handed to another department, waiting to be taken up
    WAITING_CUSTOMER = "waiting_customer"  # information requested; handling clock paused
    DISPATCHED = "dispatched"  # fault: a field engineer is on the way (上门预约)
    RESOLVED = "resolved"  # result recorded, waiting to be delivered / confirmed
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


class Urgency(StrEnum):
    """How urgent a fault is (003 §2.4: an emergency fault is responded to within 1 h)."""

    NORMAL = "normal"
    EMERGENCY = "emergency"


class Category(StrEnum):
    SERVICE = "service"
    PRODUCT = "product"
    MARKETING = "marketing"
    POLICY = "policy"
    NETWORK = "network"
    RULES = "rules"  # a question or complaint about business rules


class FaultKind(StrEnum):
    NO_SERVICE = "no_service"  # 无信号 / 无法通话
    SLOW_DATA = "slow_data"  # 网速慢
    VOICE_QUALITY = "voice_quality"  # 通话质量差
    BROADBAND = "broadband"  # 宽带故障
    OTHER = "other"


class RegulatorKind(StrEnum):
    """Who forwarded an appeal: the regulator's own deadline applies (policy rows per kind)."""

    MIIT = "miit"  # 工业和信息化部 (电信用户申诉受理中心)
    PROVINCE = "province"  # 省通信管理局


class ServiceKind(StrEnum):
    """业务办理 kinds and their limits (000 §2.4)."""

    BUSINESS = "business"  # 业务办理: 1 working day
    ACCOUNT = "account"  # 账户管理: 3 working days
    APPLICATION = "application"  # 服务申请: 7 working days


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    APP = "app"
    WEB = "web"
    WECHAT = "wechat"
    IN_PERSON = "in_person"
    INTERNAL = "internal"  # opened by staff (an outage) rather than by a customer


class CustomerTier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"  # green channel: shorter windows
    VULNERABLE = "vulnerable"  # elderly, disabled...: priority


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    CHANNEL = "channel"  # an intake channel (hotline IVR, app, SMS gateway) acting for the customer


STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CUSTOMER_SIDE = frozenset({Role.CHANNEL, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


class WindowName(StrEnum):
    RESPONSE = "response"  # intake -> accepted
    HANDLING = "handling"  # accepted (or intake) -> resolution recorded
    FEEDBACK = "feedback"  # resolved -> result delivered to / confirmed by the customer
    FOLLOW_UP = "follow_up"  # feedback -> satisfaction callback recorded
    TRANSFER = "transfer"  # transferred -> taken up by the new department
    FIRST_ANSWER = "first_answer"  # inquiry: accepted -> first answer to the customer
    CONSENT = "consent"  # unsubscribe: consent requested -> customer confirms (else closes)
    REVIEW = "review"  # unsubscribe: terminated -> supervisor review recorded
    DISPATCH = "dispatch"  # fault: accepted -> a field engineer dispatched
    RESTORATION = "restoration"  # fault / outage: intake -> service restored
    DECISION = "decision"  # receipt -> judged: taken up here or transferred (000 §4.1: 30 min)
    COMPLETION = "completion"  # transferred -> handled (000 §4.1: within 24 h of the transfer)
    URGE = "urge"  # a supervisor's 督办: its deadline, set by the supervisor
    REPLY_REMINDER = "reply_reminder"  # info requested -> the customer is reminded
    REPLY = "reply"  # info requested -> closed as no response if the customer stays silent


class Start(StrEnum):
    """Where a window's clock starts, for the windows whose start the policy may choose."""

    RECEIPT = "receipt"  # when the customer made contact (received_at; default: when filed)
    ACCEPT = "accept"  # when an agent took the case up


class WindowState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    BREACHED = "breached"  # deadline passed, still open: escalation chain running
    MET = "met"  # closed on time
    MET_LATE = "met_late"  # closed after its deadline
    MET_EXTENDED = "met_extended"  # closed within a deadline a supervisor extended (服务补救)
    CANCELLED = "cancelled"  # no longer applies (e.g. a transfer window superseded)


OPEN_WINDOW_STATES = frozenset({WindowState.RUNNING, WindowState.PAUSED, WindowState.BREACHED})


class Outcome(StrEnum):
    """How an archived case ended (what each counts for: the case-type registry)."""

    RESOLVED = "resolved"
    CONVERTED = "converted"  # inquiry turned into a complaint
    TERMINATED = "terminated"  # unsubscribe carried out and reviewed
    NOT_CONFIRMED = "not_confirmed"  # unsubscribe: no consent within its window
    DECLINED = "declined"  # unsubscribe: the customer said no at the confirmation step
    CLOSED = "closed"  # closed without a callback (inquiries)
    RESTORED = "restored"  # outage: service restored and every linked fault told
    NO_RESPONSE = "no_response"  # closed: the customer never answered a request for information
    UNREACHABLE = "unreachable"  # closed: the satisfaction callback reached nobody in 3 attempts


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"


class TerminationStatus(StrEnum):
    RETRYING = "retrying"
    FAILED = "failed"
    COMPLETED = "completed"


class LostStatus(StrEnum):
    """How a case's workflow ended while the read model still had the case open (the
    reconciler's verdict): what Temporal's visibility says of its latest run, or that Temporal
    knows no run of it at all."""

    TERMINATED = "terminated"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELED = "canceled"
    MISSING = "missing"
