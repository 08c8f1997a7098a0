"""The action table and the case-type registry are the one place their rules live: every
action has a route, a handler on each workflow whose type it applies to, and a validator; every
route and every handler has a row; every spec names a workflow that exists."""

from __future__ import annotations

import dataclasses

import pytest
from temporalio import workflow

from api.action_bodies import body_model, references
from api.main import create_app
from caseflow.domain import CaseType, Phase, Role
from caseflow.domain.actions import ACTIONS, actions_for, allowed_now
from caseflow.domain.case_types import (
    CASE_TYPES,
    PHASE_LABELS,
    WINDOW_LABELS,
    spec_for_case_id,
)
from caseflow.domain.errors import Refusal, RefusalKind
from caseflow.domain.guard import check_action
from caseflow.domain.state import Actor
from caseflow.settings import Settings
from workflows.registry import WORKFLOWS

# Updates every case has that are not agent actions: the API's read-your-writes for intake.
INTERNAL_UPDATES = {"opened"}
ACTION_PREFIX = "/api/v1/cases/{case_id}/actions/"


def definition(case_type: CaseType):
    return workflow._Definition.must_from_class(WORKFLOWS[case_type])


def test_every_action_has_exactly_one_route_and_every_route_a_row():
    paths = create_app(Settings(temporal_ui_url=None)).openapi()["paths"]
    actions = {p.removeprefix(ACTION_PREFIX): ops for p, ops in paths.items() if ACTION_PREFIX in p}
    assert sorted(actions) == sorted(ACTIONS)
    for name, ops in actions.items():
        assert set(ops) == {"post"}, name
        body = ops["post"].get("requestBody", {}).get("content", {}).get("application/json")
        assert body is not None, name  # documented, derived from the row's message


@pytest.mark.parametrize("case_type", list(CaseType))
def test_a_case_types_workflow_handles_exactly_the_actions_its_rows_give_it(case_type):
    updates = {name for name in definition(case_type).updates if name} - INTERNAL_UPDATES
    assert updates == {r.name for r in actions_for(case_type)}


@pytest.mark.parametrize("case_type", list(CaseType))
def test_every_handler_has_the_tables_guard_as_its_validator(case_type):
    defn = definition(case_type)
    for rule in actions_for(case_type):
        update = defn.updates[rule.name]
        assert update.validator is not None, rule.name
        # The handler's argument is the row's message type.
        assert update.arg_types == [rule.message], rule.name
    # Anything else (another type's action) is refused by the dynamic handler's validator.
    assert defn.updates[None].validator is not None


def test_every_spec_names_a_registered_workflow_and_unique_prefixes():
    for case_type, spec in CASE_TYPES.items():
        assert WORKFLOWS[case_type].__name__ == spec.workflow
        assert spec_for_case_id(f"{spec.prefix}-20261201-000001") is spec
    assert spec_for_case_id("ZZZ-1") is None


@pytest.mark.parametrize("case_type", list(CaseType))
def test_a_spec_is_consistent_with_itself(case_type):
    spec = CASE_TYPES[case_type]
    assert set(spec.starts) <= set(spec.all_windows)
    assert spec.phases[0] == Phase.NEW and spec.phases[-1] == Phase.ARCHIVED
    assert spec.outcomes, "a case type must be able to end"
    for rule in actions_for(case_type):
        assert rule.phases[case_type] <= set(spec.phases) | {
            p for p in Phase if p != Phase.ARCHIVED and p in rule.phases[case_type]
        }
    # Everything a person reads has a label in both languages.
    for name in (*spec.windows, *spec.optional_windows):
        assert WINDOW_LABELS[name].zh and WINDOW_LABELS[name].en
    for phase in spec.phases:
        assert PHASE_LABELS[phase].zh and PHASE_LABELS[phase].en
    for kind in spec.intake.kinds:
        assert spec.kind_labels[kind].zh, kind


def test_no_action_is_allowed_in_a_phase_its_type_never_reaches():
    for case_type, spec in CASE_TYPES.items():
        for rule in actions_for(case_type):
            unreachable = rule.phases[case_type] - set(spec.phases)
            # OPEN_PHASES rows (note, assign...) name every phase; that is fine. A narrow row
            # naming a phase the type never has is a mistake in the table.
            if len(rule.phases[case_type]) < len(Phase) - 1:
                assert not unreachable, (case_type, rule.name, unreachable)


def test_bodies_are_the_messages_minus_the_actor():
    for rule in ACTIONS.values():
        fields = {f.name for f in dataclasses.fields(rule.message)} - {"actor"}
        assert set(body_model(rule).model_fields) == fields, rule.name
        assert set(references(rule)) <= fields


def test_the_guard_refuses_by_phase_role_and_department():
    agent = Actor("a", Role.AGENT, department="customer_service")
    case = dict(case_id="CMP-1", case_type=CaseType.COMPLAINT, department="customer_service")
    assert check_action("accept", phase=Phase.NEW, actor=agent, **case).name == "accept"

    def refusal(name, phase, actor, **over) -> tuple[RefusalKind, str]:
        with pytest.raises(Refusal) as err:
            check_action(name, phase=phase, actor=actor, **{**case, **over})
        return err.value.kind, err.value.code

    assert refusal("resolve", Phase.NEW, agent) == (RefusalKind.INVALID_STATE, "phase")
    assert refusal("review", Phase.NEW, agent) == (RefusalKind.INVALID_STATE, "not_applicable")
    assert refusal("no_such_action", Phase.NEW, agent) == (
        RefusalKind.INVALID_STATE,
        "not_applicable",
    )
    assert refusal("assign", Phase.NEW, agent) == (RefusalKind.FORBIDDEN, "role")
    other = Actor("b", Role.AGENT, department="product")
    assert refusal("accept", Phase.NEW, other) == (RefusalKind.FORBIDDEN, "department")
    # An intake channel speaks only for the cases it filed.
    hotline = Actor("channel.hotline", Role.CHANNEL)
    assert check_action(
        "confirm", phase=Phase.FEEDBACK_GIVEN, actor=hotline, filed_by="channel.hotline", **case
    )
    assert refusal(
        "confirm", Phase.FEEDBACK_GIVEN, Actor("channel.app", Role.CHANNEL), filed_by="x"
    ) == (RefusalKind.FORBIDDEN, "not_filer")
    # Supervisors are not scoped to a department; assign is not scoped at all.
    boss = Actor("s", Role.SUPERVISOR)
    assert check_action("assign", phase=Phase.NEW, actor=boss, **case).name == "assign"


def test_allowed_now_lists_the_forms_a_case_page_shows():
    names = [r.name for r in allowed_now(CaseType.FAULT, Phase.DISPATCHED)]
    assert {"dispatch", "progress", "restored", "link_outage", "note"} <= set(names)
    assert "resolve" not in names and "callback" not in names
    assert [r.name for r in allowed_now(CaseType.OUTAGE, Phase.ARCHIVED)] == []
