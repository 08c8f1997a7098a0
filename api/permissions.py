"""Which roles may call which action: the one table the API checks before any workflow call.

Department scoping (an agent acts only on their department's cases) is enforced by the
workflow's update validators, which know the case's current department.
"""

from __future__ import annotations

from caseflow.domain import Role

STAFF = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CUSTOMER_SIDE = frozenset({Role.CHANNEL, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})

ACTION_ROLES: dict[str, frozenset[Role]] = {
    "accept": STAFF,
    "note": STAFF,
    "transfer": STAFF,
    "assign": SUPERVISORS,
    "request_info": STAFF,
    "customer_reply": CUSTOMER_SIDE,
    "reclassify": STAFF,
    "resolve": STAFF,
    "feedback": STAFF,
    "confirm": CUSTOMER_SIDE,
    "dispute": CUSTOMER_SIDE,
    "callback": STAFF,
    "acknowledge": SUPERVISORS,
    # inquiry
    "answer": STAFF,
    "resolve_at_intake": STAFF,
    "close": STAFF,
    "convert": STAFF,
    # unsubscribe
    "consent": CUSTOMER_SIDE,
    "decline": CUSTOMER_SIDE,
    "retry_termination": STAFF,
    "review": SUPERVISORS,
}

CREATE_ROLES = frozenset({Role.CHANNEL, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
HISTORY_ROLES = SUPERVISORS
