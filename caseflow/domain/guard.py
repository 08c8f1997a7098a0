"""The one check behind every action: the action table applied to a case and an actor."""

from caseflow.domain.actions import ACTIONS, ActionRule
from caseflow.domain.enums import CaseType, Phase, Role
from caseflow.domain.errors import Refusal, forbidden, invalid_state
from caseflow.domain.state import Actor


def not_applicable(name: str, case_type: CaseType) -> Refusal:
    return invalid_state(
        "not_applicable", f"action '{name}' does not apply to {case_type.value} cases"
    )


def check_action(
    name: str,
    *,
    case_id: str,
    case_type: CaseType,
    phase: Phase,
    department: str | None,
    actor: Actor,
    filed_by: str | None = None,
    first_responsible: str | None = None,
    department_known: bool = True,
) -> ActionRule:
    """Raise a Refusal unless `actor` may take action `name` on this case now.

    `department_known` is False for a case filed by the API that no worker has opened yet:
    its phase is known (new) but the department check waits until the intake is adopted."""
    rule = ACTIONS.get(name)
    if rule is None or not rule.applies_to(case_type):
        raise not_applicable(name, case_type)
    allowed = rule.phases[case_type]
    if phase not in allowed:
        phases = ", ".join(sorted(p.value for p in allowed))
        raise invalid_state(
            "phase",
            f"cannot {name} case {case_id} in phase '{phase.value}' (allowed in: {phases})",
        )
    if actor.role not in rule.roles:
        roles = ", ".join(sorted(r.value for r in rule.roles))
        raise forbidden(
            "role", f"role '{actor.role.value}' may not {name} cases (allowed: {roles})"
        )
    if actor.role == Role.CHANNEL and filed_by is not None and actor.user_id != filed_by:
        # An intake channel speaks for the customers whose cases it filed, and no others.
        raise forbidden("not_filer", f"case {case_id} was not filed through this channel")
    follows_up = rule.first_responsible_may and actor.user_id == first_responsible
    if (
        department_known
        and rule.scoped
        and actor.role == Role.AGENT
        and actor.department != department
        and not follows_up
    ):
        raise forbidden(
            "department",
            f"case {case_id} belongs to department '{department}'; agents of "
            f"'{actor.department}' cannot {name} it",
        )
    return rule
