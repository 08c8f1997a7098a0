"""Search attributes that make cases findable in the Temporal UI and CLI, e.g.
`temporal workflow list -q "CaseType='fault' AND EscalationLevel >= 2"`."""

from __future__ import annotations

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from caseflow.domain import CaseState
from caseflow.domain.deadlines import next_deadline

CASE_TYPE = SearchAttributeKey.for_keyword("CaseType")
PRIORITY = SearchAttributeKey.for_keyword("Priority")
PHASE = SearchAttributeKey.for_keyword("Phase")
DEPARTMENT = SearchAttributeKey.for_keyword("Department")
ASSIGNEE = SearchAttributeKey.for_keyword("Assignee")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")

# name -> Temporal type, registered by `caseflow dev` on the dev server and by the admin tools
# in production.
SEARCH_ATTRIBUTE_TYPES: dict[str, str] = {
    "CaseType": "Keyword",
    "Priority": "Keyword",
    "Phase": "Keyword",
    "Department": "Keyword",
    "Assignee": "Keyword",
    "EscalationLevel": "Int",
    "NextDeadline": "Datetime",
}


def priority(state: CaseState) -> str:
    """What orders a case among its kind: severity, else urgency, else the customer's tier."""
    for value in (state.severity, state.urgency):
        if value is not None:
            return value.value
    return state.customer.tier.value


def search_attribute_values(state: CaseState) -> dict[str, object]:
    """The attribute values a snapshot implies (None = unset)."""
    due = next_deadline(state)
    return {
        CASE_TYPE.name: state.case_type.value,
        PRIORITY.name: priority(state),
        PHASE.name: state.phase.value,
        ESCALATION_LEVEL.name: state.escalation.level,
        DEPARTMENT.name: state.department,
        ASSIGNEE.name: state.assignee,
        NEXT_DEADLINE.name: due[0] if due else None,
    }


_KEYS = {
    k.name: k
    for k in (CASE_TYPE, PRIORITY, PHASE, DEPARTMENT, ASSIGNEE, ESCALATION_LEVEL, NEXT_DEADLINE)
}


def search_attribute_updates(
    values: dict[str, object], previous: dict[str, object] | None = None
) -> list[SearchAttributeUpdate]:
    """Updates for the attributes that differ from `previous` (all of them without it): an
    unchanged attribute costs no history event."""
    updates = []
    for name, value in values.items():
        if previous is not None and previous.get(name) == value:
            continue
        key = _KEYS[name]
        updates.append(key.value_unset() if value is None else key.value_set(value))
    return updates


def initial_search_attributes(state: CaseState) -> TypedSearchAttributes:
    """The intake's attributes, given at start by whoever files the case with its plan."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(_KEYS[name], value)
            for name, value in search_attribute_values(state).items()
            if value is not None
        ]
    )
