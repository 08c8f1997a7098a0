"""The unsubscribe case (退订): accepted within 24 h, completed within 72 h, and never without
the customer's explicit consent.

Accept -> the customer is asked to confirm (二次确认) -> on consent the services are terminated
through the provisioning port -> a confirmation notice on the customer's channel -> supervisor
review (复核) -> archived with the record the standard asks for. No consent within the consent
window closes the case as not confirmed, with nothing terminated. A failed termination
escalates instead of retrying forever.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AcceptAction,
        ActivityName,
        CaseInput,
        CaseState,
        ConsentAction,
        NotificationRequest,
        Outcome,
        Phase,
        RetryAction,
        ReviewAction,
        TerminationRequest,
        TerminationResult,
        Window,
        WindowName,
        WindowState,
    )

from workflows.lifecycle import (
    ACTING_ROLES,
    ANY_OPEN,
    CUSTOMER_ROLES,
    SUPERVISING_ROLES,
    CaseLifecycle,
    invalid_state,
)

# Bounded: a termination that keeps failing escalates to people instead of looping silently.
TERMINATION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)


@workflow.defn
class UnsubscribeWorkflow(CaseLifecycle):
    # The 72 h completion clock runs from the request, not from acceptance.
    OPEN_AT_INTAKE = (WindowName.RESPONSE, WindowName.HANDLING)
    ALLOWED = {
        "accept": frozenset({Phase.NEW, Phase.TRANSFERRED}),
        "note": ANY_OPEN,
        "transfer": frozenset({Phase.NEW, Phase.TRANSFERRED}),
        "assign": ANY_OPEN,
        "consent": frozenset({Phase.AWAITING_CONSENT}),
        "decline": frozenset({Phase.AWAITING_CONSENT}),
        "retry_termination": frozenset({Phase.TERMINATING}),
        "review": frozenset({Phase.UNDER_REVIEW}),
        "acknowledge": ANY_OPEN,
    }

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)
        self._termination_task: asyncio.Task | None = None

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    # ------------------------------------------------------------------ consent (二次确认)
    async def _on_accepted(self, a: AcceptAction) -> list[NotificationRequest]:
        self.state.phase = Phase.AWAITING_CONSENT
        await self._open_window(WindowName.CONSENT)
        return [self._to_customer("consent_request", services=", ".join(self.state.services))]

    async def _on_due(self, w: Window, now) -> None:
        if w.name != WindowName.CONSENT:
            await self._breach(w, now)
            return
        # No consent, no termination: the case closes and the customer is told.
        timeout = self._event(
            "consent_timeout",
            SYSTEM_ACTOR,
            "no consent from the customer within the consent window; nothing terminated",
            window=WindowName.CONSENT,
            deadline=w.due_at,
        )
        await self._archive(
            [timeout],
            outcome=Outcome.NOT_CONFIRMED,
            summary="closed as not confirmed; no service was terminated",
            notifications=[self._to_customer("not_confirmed", reason="no confirmation")],
        )

    @workflow.update
    async def consent(self, a: ConsentAction) -> CaseState:
        async with self._turn():
            self._check("consent", a.actor, CUSTOMER_ROLES)
            await self._take_consent(a)
            return self.state

    @consent.validator
    def _validate_consent(self, a: ConsentAction) -> None:
        self._check("consent", a.actor, CUSTOMER_ROLES)

    @workflow.signal
    async def customer_consent(self, a: ConsentAction) -> None:
        """Consent from an SMS reply or the app, where nobody waits for an answer."""
        async with self._turn():
            if self.state.phase != Phase.AWAITING_CONSENT:
                workflow.logger.warning(
                    "consent signal ignored", extra={"phase": self.state.phase.value}
                )
                return
            await self._take_consent(a)

    async def _take_consent(self, a: ConsentAction) -> None:
        self._close_window(WindowName.CONSENT)
        self.state.phase = Phase.TERMINATING
        self.state.extra["consent_at"] = workflow.now().isoformat()
        self.state.extra["consent_by"] = a.actor.user_id
        await self._commit(
            [
                self._event(
                    "consent_given",
                    a.actor,
                    f"customer confirmed the unsubscribe of {', '.join(self.state.services)}. "
                    f"{a.comment}".strip(),
                    window=WindowName.CONSENT,
                )
            ]
        )
        self._termination_task = asyncio.create_task(self._terminate())

    @workflow.update
    async def decline(self, a: ConsentAction) -> CaseState:
        async with self._turn():
            self._check("decline", a.actor, CUSTOMER_ROLES)
            declined = self._event(
                "consent_declined",
                a.actor,
                "customer declined at the confirmation step; nothing terminated. "
                f"{a.comment}".strip(),
            )
            await self._archive(
                [declined],
                outcome=Outcome.DECLINED,
                summary="closed: the customer declined; no service was terminated",
                notifications=[self._to_customer("not_confirmed", reason="declined")],
            )
            return self.state

    @decline.validator
    def _validate_decline(self, a: ConsentAction) -> None:
        self._check("decline", a.actor, CUSTOMER_ROLES)

    # ------------------------------------------------------------------ termination
    async def _terminate(self) -> None:
        try:
            result = await workflow.execute_activity(
                ActivityName.TERMINATE_SERVICES,
                TerminationRequest(
                    case_id=self.state.case_id,
                    phone=self.state.customer.phone,
                    services=self.state.services,
                ),
                result_type=TerminationResult,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=TERMINATION_RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            async with self._lock:
                await self._termination_failed(reason)
            return
        async with self._lock:
            await self._terminated(result)

    async def _termination_failed(self, reason: str) -> None:
        self.state.termination = {"status": "failed", "error": reason}
        handling = self.state.windows[WindowName.HANDLING.value]
        failed = self._event(
            "termination_failed",
            SYSTEM_ACTOR,
            f"termination failed: {reason}",
            window=WindowName.HANDLING,
            deadline=handling.due_at,
        )
        self._chain_on(WindowName.HANDLING)
        await self._climb(workflow.now(), reason=f"termination failed: {reason}", first=failed)

    async def _terminated(self, result: TerminationResult) -> None:
        # A re-run after a sent-back review finds the handling window already closed, so the
        # verdict is read from the window itself: a late first termination stays late.
        self._close_window(WindowName.HANDLING)
        handling = self.state.windows.get(WindowName.HANDLING.value)
        rerun = (self.state.termination or {}).get("status") == "completed"
        self.state.termination = {
            "status": "completed",
            "completed_at": result.completed_at.isoformat(),
            "on_time": str(handling is None or handling.state == WindowState.MET).lower(),
            **{f"service:{s}": r for s, r in result.results.items()},
        }
        self.state.phase = Phase.UNDER_REVIEW
        review = await self._open_window(WindowName.REVIEW)
        summary = ", ".join(f"{s}: {r}" for s, r in result.results.items())
        await self._commit(
            [
                self._event(
                    "terminated",
                    SYSTEM_ACTOR,
                    f"services terminated ({summary}); confirmation sent to the customer on "
                    f"{self.state.reply_channel.value}",
                    window=WindowName.REVIEW,
                    deadline=review.due_at if review else None,
                )
            ],
            [
                # A verification re-run that changed nothing does not tell the customer twice.
                *(
                    []
                    if rerun and set(result.results.values()) == {"already_terminated"}
                    else [self._to_customer("unsubscribe_done", services=", ".join(result.results))]
                ),
                self._internal("supervisor", "review"),
            ],
        )

    @workflow.update
    async def retry_termination(self, a: RetryAction) -> CaseState:
        async with self._turn():
            self._validate_retry_termination(a)
            self.state.termination = {"status": "retrying"}
            await self._commit(
                [self._event("termination_retried", a.actor, f"retry requested. {a.comment}")]
            )
            self._termination_task = asyncio.create_task(self._terminate())
            return self.state

    @retry_termination.validator
    def _validate_retry_termination(self, a: RetryAction) -> None:
        self._check("retry_termination", a.actor, ACTING_ROLES)
        if (self.state.termination or {}).get("status") != "failed":
            raise invalid_state("termination has not failed; nothing to retry")

    # ------------------------------------------------------------------ review (复核)
    @workflow.update
    async def review(self, a: ReviewAction) -> CaseState:
        async with self._turn():
            self._check("review", a.actor, SUPERVISING_ROLES, scoped=False)
            self._close_window(WindowName.REVIEW)
            self.state.review = {
                "approved": str(a.approved).lower(),
                "reviewer": a.actor.user_id,
                "comment": a.comment,
                "at": workflow.now().isoformat(),
            }
            if not a.approved:
                # Sent back: termination runs again (idempotent: it verifies every service).
                self.state.phase = Phase.TERMINATING
                await self._commit(
                    [self._event("review_returned", a.actor, f"sent back: {a.comment}")]
                )
                self._termination_task = asyncio.create_task(self._terminate())
                return self.state
            approved = self._event(
                "reviewed", a.actor, f"review approved. {a.comment}".strip(), **self._record()
            )
            await self._archive(
                [approved], outcome=Outcome.TERMINATED, summary="unsubscribe completed and reviewed"
            )
            return self.state

    @review.validator
    def _validate_review(self, a: ReviewAction) -> None:
        self._check("review", a.actor, SUPERVISING_ROLES, scoped=False)

    def _record(self) -> dict[str, str]:
        """The unsubscribe record (§6.4.1): service, user, times, handler, result, system log."""
        termination = self.state.termination or {}
        return {
            "services": ", ".join(self.state.services),
            "user": self.state.customer.phone,
            "requested_at": self.state.opened_at.isoformat(),
            "consent_at": self.state.extra.get("consent_at", ""),
            "completed_at": termination.get("completed_at", ""),
            "handler": self.state.assignee or "",
            "result": ", ".join(
                f"{k.removeprefix('service:')}={v}"
                for k, v in termination.items()
                if k.startswith("service:")
            ),
            "system_log": f"case {self.state.case_id}, audit events 1..{self.state.seq}",
        }
