"""The floor's case list: one filter record, the two statements it runs (a page, the total).

The API applies who may see what (a channel its own filings, an agent their department) by
filling the filters; the benchmark runs the very same statements to compare the API with them.
Breached cases first, then by the next deadline (none last), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, true

from caseflow.db.models import CaseRow
from caseflow.domain import OPEN_PHASES

LIST_COLUMNS = (
    CaseRow.case_id,
    CaseRow.case_type.label("type"),
    CaseRow.phase,
    CaseRow.category,
    CaseRow.severity,
    CaseRow.tier,
    CaseRow.department,
    CaseRow.assignee,
    CaseRow.escalation_level,
    CaseRow.breached,
    CaseRow.warned,
    CaseRow.next_deadline,
    CaseRow.next_window,
    CaseRow.opened_at,
    CaseRow.updated_at,
    CaseRow.closed_at,
    CaseRow.lost_at.is_not(None).label("lost"),
)
ORDER = (
    CaseRow.breached.desc(),
    CaseRow.next_deadline.asc().nulls_last(),
    CaseRow.opened_at.desc(),
)


@dataclass
class CaseFilters:
    case_type: str | None = None
    phases: list[str] = field(default_factory=list)  # any of these (none: any phase)
    open_only: bool = False
    department: str | None = None
    assignee: str | None = None
    filed_by: str | None = None
    overdue: bool | None = None  # breached or past a deadline
    escalation_level_min: int | None = None
    lost: bool | None = None  # only lost cases (true) or none of them (false)


def list_statements(filters: CaseFilters, now: datetime, limit: int, offset: int):
    """(the page's SELECT, the total's SELECT count(*)) for `filters` at `now`."""
    conditions = []
    if filters.filed_by is not None:
        conditions.append(CaseRow.filed_by == filters.filed_by)
    if filters.case_type:
        conditions.append(CaseRow.case_type == filters.case_type)
    if filters.phases:
        conditions.append(CaseRow.phase.in_(filters.phases))
    if filters.open_only:
        conditions.append(CaseRow.phase.in_(sorted(p.value for p in OPEN_PHASES)))
    if filters.department:
        conditions.append(CaseRow.department == filters.department)
    if filters.assignee:
        conditions.append(CaseRow.assignee == filters.assignee)
    # Spelled out for NULL deadlines: `NOT (false OR NULL)` would drop them from overdue=false.
    overdue = or_(
        CaseRow.breached, and_(CaseRow.next_deadline.is_not(None), CaseRow.next_deadline < now)
    )
    if filters.overdue is True:
        conditions.append(overdue)
    elif filters.overdue is False:
        conditions.append(~overdue)
    if filters.escalation_level_min:
        conditions.append(CaseRow.escalation_level >= filters.escalation_level_min)
    if filters.lost is not None:
        conditions.append(
            CaseRow.lost_at.is_not(None) if filters.lost else CaseRow.lost_at.is_(None)
        )
    where = and_(*conditions) if conditions else true()
    page: Select = select(*LIST_COLUMNS).where(where).order_by(*ORDER).limit(limit).offset(offset)
    total: Select = select(func.count()).select_from(CaseRow).where(where)
    return page, total
