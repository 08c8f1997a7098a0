"""Valid inputs for every case type, so tests that go over all types file each one right."""

from __future__ import annotations

import uuid
from datetime import datetime

from caseflow.domain import (
    Actor,
    CaseInput,
    CaseType,
    Category,
    Channel,
    Customer,
    CustomerTier,
    FaultIntake,
    FaultKind,
    OutageIntake,
    RegulatorKind,
    Role,
    ServiceKind,
    Severity,
    Urgency,
)
from caseflow.domain.case_types import spec

HOTLINE = Actor("channel.hotline", Role.CHANNEL, "hotline")
NETWORK = Actor("agent.network", Role.AGENT, "Zhang Min", "network_ops")
REGULATOR = Actor("channel.miit", Role.CHANNEL, "MIIT appeal centre")


def case_id(case_type: CaseType, tag: str = "T") -> str:
    return f"{spec(case_type).prefix}-{tag}-{uuid.uuid4().hex[:10]}"


def case_input(
    case_type: CaseType,
    *,
    case_id_: str | None = None,
    severity: Severity | None = Severity.GENERAL,
    category: Category | None = Category.SERVICE,
    channel: Channel = Channel.PHONE,
    tier: CustomerTier = CustomerTier.STANDARD,
    phone: str = "13800138000",
    services: list[str] | None = None,
    kind: str | None = None,
    urgency: Urgency | None = None,
    outage_id: str | None = None,
    policy_version: str | None = None,
    opened_at: datetime | None = None,
    received_at: datetime | None = None,
    created_by: Actor | None = None,
    appeal_of: str | None = None,
    patches: list[str] | None = None,
) -> CaseInput:
    """A case as its intake channel would file it (staff file outages)."""
    internal = case_type == CaseType.OUTAGE
    if case_type == CaseType.FAULT:
        kind = kind or FaultKind.BROADBAND.value
        urgency = urgency or Urgency.NORMAL
    elif case_type == CaseType.SERVICE_REQUEST:
        kind = kind or ServiceKind.BUSINESS.value
    elif case_type == CaseType.APPEAL:
        kind = kind or RegulatorKind.MIIT.value
        created_by = created_by or REGULATOR
    return CaseInput(
        case_id=case_id_ or case_id(case_type),
        case_type=case_type,
        customer=Customer("", "") if internal else Customer("张三", phone, tier=tier),
        channel=Channel.INTERNAL if internal else channel,
        description="test case",
        created_by=created_by or (NETWORK if internal else HOTLINE),
        category=category
        if case_type in (CaseType.COMPLAINT, CaseType.INQUIRY, CaseType.APPEAL)
        else None,
        severity=severity if case_type == CaseType.COMPLAINT else None,
        kind=kind,
        urgency=urgency,
        search_attributes=False,  # the test server does not index custom attributes
        services=(services or ["data"]) if case_type == CaseType.UNSUBSCRIBE else [],
        fault=FaultIntake("021-55501234", "浦东张江路100号", outage_id)
        if case_type == CaseType.FAULT
        else None,
        outage=OutageIntake("浦东张江") if internal else None,
        policy_version=policy_version,
        opened_at=opened_at,
        received_at=received_at,
        links={"appeal_of": appeal_of} if appeal_of else {},
        patches=patches,
    )
