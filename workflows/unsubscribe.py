"""The unsubscribe case (退订): accepted within 24 h, completed within 72 h, and never without
the customer's explicit consent.

Accept -> the customer is asked to confirm (二次确认) -> on consent the services are terminated
through the provisioning port -> a confirmation notice on the customer's channel -> supervisor
review (复核) -> archived with the record the standard asks for (§6.4.1). No consent within the
consent window closes the case as not confirmed, with nothing terminated. A failed termination
escalates instead of retrying forever.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AcceptAction,
        CaseInput,
        CaseState,
        Consent,
        ConsentAction,
        NotificationRequest,
        Outcome,
        Phase,
        RetryAction,
        Review,
        ReviewAction,
        Termination,
        TerminationRequest,
        TerminationResult,
        TerminationStatus,
        Window,
        WindowName,
        WindowState,
        summaries,
    )
    from caseflow.domain.errors import invalid_state

from workflows.lifecycle.actions import action
from workflows.lifecycle.base import CaseWorkflow

# Bounded: a termination that keeps failing escalates to people instead of looping silently.
TERMINATION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)


def _retry_check(wf: CaseWorkflow, a: RetryAction) -> None:
    termination = wf.state.termination
    if termination is None or termination.status != TerminationStatus.FAILED:
        raise invalid_state("nothing_to_retry", "termination has not failed; nothing to retry")


@workflow.defn
class UnsubscribeWorkflow(CaseWorkflow):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    # ------------------------------------------------------------------ consent (二次确认)
    async def _on_accepted(self, a: AcceptAction) -> list[NotificationRequest]:
        self.state.phase = Phase.AWAITING_CONSENT
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

    @action("consent")
    async def consent(self, a: ConsentAction) -> CaseState:
        self._close_window(WindowName.CONSENT)
        self.state.phase = Phase.TERMINATING
        self.state.consent = Consent(at=workflow.now(), by=a.actor.user_id)
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
        self._start(self._terminate())
        return self.state

    @action("decline")
    async def decline(self, a: ConsentAction) -> CaseState:
        declined = self._event(
            "consent_declined",
            a.actor,
            f"customer declined at the confirmation step; nothing terminated. {a.comment}".strip(),
        )
        await self._archive(
            [declined],
            outcome=Outcome.DECLINED,
            summary="closed: the customer declined; no service was terminated",
            notifications=[self._to_customer("not_confirmed", reason="declined")],
        )
        return self.state

    async def _after_revival(self) -> None:
        # Lost while terminating (consent given, or a review sent back, or a retry asked
        # for): termination is idempotent, so the revived run simply runs it again.
        termination = self.state.termination
        if self.state.phase == Phase.TERMINATING and (
            termination is None or termination.status != TerminationStatus.FAILED
        ):
            self._start(self._terminate())

    # ------------------------------------------------------------------ termination
    async def _terminate(self) -> None:
        try:
            result = await workflow.execute_activity_method(
                CaseActivities.terminate_services,
                TerminationRequest(
                    case_id=self.state.case_id,
                    phone=self.state.customer.phone,
                    services=self.state.services,
                ),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=TERMINATION_RETRY,
                summary=summaries.termination_activity(self.state.services),
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
        self.state.termination = Termination(status=TerminationStatus.FAILED, error=reason)
        handling = self.state.window(WindowName.HANDLING)
        failed = self._event(
            "termination_failed",
            SYSTEM_ACTOR,
            f"termination failed: {reason}",
            window=WindowName.HANDLING,
            deadline=handling.due_at if handling else None,
        )
        self._chain_on(WindowName.HANDLING)
        await self._climb(workflow.now(), reason=f"termination failed: {reason}", before=[failed])

    async def _terminated(self, result: TerminationResult) -> None:
        # A re-run after a sent-back review finds the handling window already closed, so the
        # verdict is read from the window itself: a late first termination stays late.
        self._close_window(WindowName.HANDLING)
        self._resolution_reached()
        handling = self.state.window(WindowName.HANDLING)
        previous = self.state.termination
        rerun = previous is not None and previous.status == TerminationStatus.COMPLETED
        self.state.termination = Termination(
            status=TerminationStatus.COMPLETED,
            completed_at=result.completed_at,
            on_time=handling is None or handling.state == WindowState.MET,
            results=dict(result.results),
        )
        self.state.phase = Phase.UNDER_REVIEW
        review = await self._open_window(WindowName.REVIEW)
        summary = ", ".join(f"{s}: {r}" for s, r in result.results.items())
        # A verification re-run that changed nothing does not tell the customer twice.
        quiet = rerun and set(result.results.values()) == {"already_terminated"}
        done = (
            []
            if quiet
            else [self._to_customer("unsubscribe_done", services=", ".join(result.results))]
        )
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
            [*done, self._internal("supervisor", "review")],
        )

    @action("retry_termination", check=_retry_check)
    async def retry_termination(self, a: RetryAction) -> CaseState:
        self.state.termination = Termination(status=TerminationStatus.RETRYING)
        await self._commit(
            [self._event("termination_retried", a.actor, f"retry requested. {a.comment}")]
        )
        self._start(self._terminate())
        return self.state

    # ------------------------------------------------------------------ review (复核)
    @action("review")
    async def review(self, a: ReviewAction) -> CaseState:
        self._close_window(WindowName.REVIEW)
        self.state.review = Review(
            approved=a.approved, reviewer=a.actor.user_id, at=workflow.now(), comment=a.comment
        )
        if not a.approved:
            # Sent back: termination runs again (idempotent: it verifies every service).
            self.state.phase = Phase.TERMINATING
            await self._commit([self._event("review_returned", a.actor, f"sent back: {a.comment}")])
            self._start(self._terminate())
            return self.state
        approved = self._event(
            "reviewed", a.actor, f"review approved. {a.comment}".strip(), **self._record()
        )
        await self._archive(
            [approved], outcome=Outcome.TERMINATED, summary="unsubscribe completed and reviewed"
        )
        return self.state

    def _record(self) -> dict[str, str]:
        """The unsubscribe record (§6.4.1): service type, user, times, handler, result, system
        log. The user is named by the case's customer id or case number, not the phone: the
        record sits in the audit log, which staff and exports read."""
        termination = self.state.termination
        consent = self.state.consent
        return {
            "services": ", ".join(self.state.services),
            "user": self.state.customer.customer_id or f"customer of {self.state.case_id}",
            "requested_at": self.state.opened_at.isoformat(),
            "consent_at": consent.at.isoformat() if consent else "",
            "completed_at": (
                termination.completed_at.isoformat()
                if termination and termination.completed_at
                else ""
            ),
            "handler": self.state.assignee or "",
            "result": ", ".join(
                f"{k}={v}" for k, v in (termination.results if termination else {}).items()
            ),
            "system_log": f"case {self.state.case_id}, audit events 1..{self.state.seq}",
        }
