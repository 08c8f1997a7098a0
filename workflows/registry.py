"""Which workflow class runs which case type (the worker registers them; the case-type specs
name them, and a contract test holds the two together)."""

from __future__ import annotations

from caseflow.domain import CaseType
from caseflow.domain.case_types import CASE_TYPES
from workflows.appeal import AppealWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.fault import FaultWorkflow
from workflows.inquiry import InquiryWorkflow
from workflows.maintenance import (
    MonthlyReportWorkflow,
    QuarterlyReportWorkflow,
    RetentionWorkflow,
)
from workflows.outage import OutageWorkflow
from workflows.reconciler import ReconcileWorkflow
from workflows.service_request import ServiceRequestWorkflow
from workflows.unsubscribe import UnsubscribeWorkflow

_CLASSES = (
    ComplaintWorkflow,
    InquiryWorkflow,
    UnsubscribeWorkflow,
    FaultWorkflow,
    OutageWorkflow,
    ServiceRequestWorkflow,
    AppealWorkflow,
)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}

# Case type -> the class its spec names (a spec naming no class fails here, at import).
WORKFLOWS: dict[CaseType, type] = {t: _BY_NAME[s.workflow] for t, s in CASE_TYPES.items()}

# The workflow types that are cases: what reaches them must carry a signed claim.
CASE_WORKFLOW_TYPES = frozenset(s.workflow for s in CASE_TYPES.values())

# Everything the worker runs: the case workflows plus the scheduled housekeeping.
ALL_WORKFLOWS = [
    *_CLASSES,
    MonthlyReportWorkflow,
    QuarterlyReportWorkflow,
    RetentionWorkflow,
    ReconcileWorkflow,
]
