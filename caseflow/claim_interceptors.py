"""Temporal interceptors that carry and check signed actor claims (caseflow.claims).

Clients (the API, the tools) sign every case start, update and signal they send; a case's own
continue-as-new, child cases and the signals cases send each other are signed by the worker.
The worker refuses, before anything enters the history:
- an update whose claim is missing, wrong or stale: the update is rejected (403 at the API);
- a case start without a valid claim: the case fails at once, nothing recorded;
- a signal between cases without one: dropped, with a warning.

Cases started before claims existed replay unchanged: the start and signal checks run behind
the signed-claims patch (caseflow.patches: an old run has no marker, so its recorded signals
are not judged again; a new case is born with the patch and needs none), and update
validators never run on replay.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import client, workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ContinueAsNewInput,
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    SignalExternalWorkflowInput,
    StartChildWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from caseflow.claims import HEADER, MAX_SKEW, Call, Claim, ClaimError, ClaimKeys, sign, verify
from caseflow.patches import SIGNED_CLAIMS, applied

FORBIDDEN = "Forbidden"  # the ApplicationError type the API maps to 403
_JSON = {"encoding": b"json/plain"}


def _with_claim(headers: Mapping[str, Payload], claim: Claim) -> dict[str, Payload]:
    return {**headers, HEADER: Payload(metadata=_JSON, data=claim.to_json())}


def _claim_of(headers: Mapping[str, Payload]) -> Claim | None:
    payload = headers.get(HEADER)
    return None if payload is None else Claim.from_json(payload.data)


# ------------------------------------------------------------------ clients sign
class SignClaims(client.Interceptor):
    """For `Client.connect(interceptors=[...])`: signs what this client sends to cases."""

    def __init__(self, keys: ClaimKeys) -> None:
        self.keys = keys

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _SigningClient(next, self.keys)


class _SigningClient(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, keys: ClaimKeys) -> None:
        super().__init__(next)
        self.keys = keys

    def _start(self, input: client.StartWorkflowInput) -> None:
        call = Call("start", input.id, input.workflow, tuple(input.args))
        input.headers = _with_claim(input.headers, sign(self.keys, call))

    def _update(self, input: client.StartWorkflowUpdateInput) -> None:
        # The id is chosen here rather than by the SDK, so the claim can name it: a captured
        # claim replayed with the same id is deduplicated by Temporal.
        input.update_id = input.update_id or str(uuid.uuid4())
        call = Call("update", input.id, input.update, tuple(input.args), input.update_id)
        claim = sign(self.keys, call, datetime.now(UTC))
        input.headers = _with_claim(input.headers, claim)

    async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
        self._start(input)
        return await super().start_workflow(input)

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> Any:
        self._update(input)
        return await super().start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: client.StartWorkflowUpdateWithStartInput
    ) -> Any:
        self._start(input.start_workflow_input)
        update = input.update_workflow_input
        update.update_id = update.update_id or str(uuid.uuid4())
        case_id = input.start_workflow_input.id
        call = Call("update", case_id, update.update, tuple(update.args), update.update_id)
        update.headers = _with_claim(update.headers, sign(self.keys, call, datetime.now(UTC)))
        return await super().start_update_with_start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        call = Call("signal", input.id, input.signal, tuple(input.args))
        input.headers = _with_claim(input.headers, sign(self.keys, call))
        return await super().signal_workflow(input)


# ------------------------------------------------------------------ workers check
class VerifyClaims(Interceptor):
    """For `Worker(interceptors=[...])`: checks the claims of what reaches the workflow types
    named in `case_workflows`, and signs what those cases send.

    `time_skipping_server`: for the tests' time-skipping server, which runs its clock ahead of
    the wall clock updates are signed by and drops the headers of signals between workflows;
    there an update's age and case-to-case signals are not checked (the dev-server tests
    check both)."""

    def __init__(
        self, keys: ClaimKeys, case_workflows: frozenset[str], time_skipping_server: bool = False
    ) -> None:
        class _Bound(_CheckingInbound):
            _keys = keys
            _cases = case_workflows
            _max_age = None if time_skipping_server else MAX_SKEW
            _signals = not time_skipping_server

        self._inbound = _Bound

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return self._inbound


class _CheckingInbound(WorkflowInboundInterceptor):
    _keys: ClaimKeys
    _cases: frozenset[str]
    _max_age: timedelta | None
    _signals: bool
    # The patches the case's input lists (None until its start is seen, or when it lists none).
    _born_with: list[str] | None = None

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_SigningWorkflow(outbound, self._keys))

    def _is_case(self) -> bool:
        # Schedules start the maintenance workflows, unsigned; they act for nobody.
        return workflow.info().workflow_type in self._cases

    def _checks_claims(self) -> bool:
        return applied(self._born_with, SIGNED_CLAIMS)

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        if not self._is_case():
            return await super().execute_workflow(input)
        # A case's input (CaseInput) lists the patches it was born with.
        self._born_with = getattr(input.args[0], "patches", None) if input.args else None
        if self._checks_claims():
            info = workflow.info()
            call = Call("start", info.workflow_id, info.workflow_type, tuple(input.args))
            try:
                verify(self._keys, _claim_of(input.headers), call)
            except ClaimError as exc:
                raise ApplicationError(
                    f"case {info.workflow_id} was not started by caseflow: {exc}",
                    type=FORBIDDEN,
                    non_retryable=True,
                ) from None
        return await super().execute_workflow(input)

    def handle_update_validator(self, input: HandleUpdateInput) -> None:
        if not self._is_case() or _is_dynamic(input.args):
            # A case's dynamic handler refuses every update it gets (an action another case
            # type has): nothing to judge, and its arguments are undecoded.
            return super().handle_update_validator(input)
        case_id = workflow.info().workflow_id
        call = Call("update", case_id, input.update, tuple(input.args), input.id)
        try:
            if self._max_age is None:
                verify(self._keys, _claim_of(input.headers), call)
            else:
                verify(self._keys, _claim_of(input.headers), call, workflow.now(), self._max_age)
        except ClaimError as exc:
            raise ApplicationError(
                f"refused: {exc}; only caseflow's API acts on cases", type=FORBIDDEN
            ) from None
        super().handle_update_validator(input)

    async def handle_signal(self, input: HandleSignalInput) -> None:
        if self._signals and self._is_case() and self._checks_claims():
            call = Call("signal", workflow.info().workflow_id, input.signal, tuple(input.args))
            try:
                verify(self._keys, _claim_of(input.headers), call)
            except ClaimError as exc:
                workflow.logger.warning("signal dropped: %s", exc)
                return
        await super().handle_signal(input)


def _is_dynamic(args: Sequence[Any]) -> bool:
    """A dynamic handler's arguments: the update's name and its raw payloads."""
    return (
        len(args) == 2
        and isinstance(args[0], str)
        and isinstance(args[1], Sequence)
        and all(isinstance(a, RawValue) for a in args[1])
    )


class _SigningWorkflow(WorkflowOutboundInterceptor):
    """A case's own calls: its next run, its child cases, its signals to other cases."""

    def __init__(self, next: WorkflowOutboundInterceptor, keys: ClaimKeys) -> None:
        super().__init__(next)
        self._keys = keys

    def continue_as_new(self, input: ContinueAsNewInput) -> Any:
        info = workflow.info()
        name = input.workflow if isinstance(input.workflow, str) else info.workflow_type
        # The next run's input is serialized when this activation completes, after whatever
        # else runs in it: a copy makes what is sent exactly what is signed.
        input.args = copy.deepcopy(list(input.args))
        call = Call("start", info.workflow_id, name, tuple(input.args))
        input.headers = _with_claim(input.headers, sign(self._keys, call))
        return super().continue_as_new(input)

    async def start_child_workflow(self, input: StartChildWorkflowInput) -> Any:
        call = Call("start", input.id, input.workflow, tuple(input.args))
        input.headers = _with_claim(input.headers, sign(self._keys, call))
        return await super().start_child_workflow(input)

    async def signal_external_workflow(self, input: SignalExternalWorkflowInput) -> None:
        call = Call("signal", input.workflow_id, input.signal, tuple(input.args))
        input.headers = _with_claim(input.headers, sign(self._keys, call))
        return await super().signal_external_workflow(input)
