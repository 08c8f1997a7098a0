"""Which workflow class runs which case type (used by the worker and the API)."""

from __future__ import annotations

from caseflow.domain import CaseType
from workflows.complaint import ComplaintWorkflow
from workflows.inquiry import InquiryWorkflow
from workflows.maintenance import MonthlyReportWorkflow, RetentionWorkflow
from workflows.unsubscribe import UnsubscribeWorkflow

WORKFLOWS = {
    CaseType.COMPLAINT: ComplaintWorkflow,
    CaseType.INQUIRY: InquiryWorkflow,
    CaseType.UNSUBSCRIBE: UnsubscribeWorkflow,
}

# Everything the worker runs: the case workflows plus the scheduled housekeeping.
ALL_WORKFLOWS = [*WORKFLOWS.values(), MonthlyReportWorkflow, RetentionWorkflow]
