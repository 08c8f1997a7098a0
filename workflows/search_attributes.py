"""Search attributes that make cases findable in the Temporal UI and CLI."""

from __future__ import annotations

from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)

from caseflow.domain import CaseState, WindowState

CASE_TYPE = SearchAttributeKey.for_keyword("CaseType")
PRIORITY = SearchAttributeKey.for_keyword("Priority")
PHASE = SearchAttributeKey.for_keyword("Phase")
DEPARTMENT = SearchAttributeKey.for_keyword("Department")
ASSIGNEE = SearchAttributeKey.for_keyword("Assignee")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")


def search_attribute_updates(state: CaseState) -> list[SearchAttributeUpdate]:
    dues = [
        w.due_at
        for w in state.windows.values()
        if w.state == WindowState.RUNNING and w.due_at is not None
    ]
    updates = [
        CASE_TYPE.value_set(state.case_type.value),
        PRIORITY.value_set(state.severity.value if state.severity else state.customer.tier.value),
        PHASE.value_set(state.phase.value),
        ESCALATION_LEVEL.value_set(state.escalation.level),
        DEPARTMENT.value_set(state.department) if state.department else DEPARTMENT.value_unset(),
        ASSIGNEE.value_set(state.assignee) if state.assignee else ASSIGNEE.value_unset(),
        NEXT_DEADLINE.value_set(min(dues)) if dues else NEXT_DEADLINE.value_unset(),
    ]
    return updates


def initial_search_attributes(state: CaseState) -> TypedSearchAttributes:
    """The intake's attributes, given at start by whoever files the case with its plan."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(u.key, u.value)
            for u in search_attribute_updates(state)
            if u.value is not None
        ]
    )
