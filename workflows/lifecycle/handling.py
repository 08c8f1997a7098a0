"""Steps several case types share, as mixins a case type composes: a type has exactly the
updates of the steps it takes (the action table's rows for it; a contract test checks).

- CustomerInfoSteps: ask the customer for information (the handling clock pauses) and take
  their reply (it resumes with exact credit); a silent customer is reminded, then the case
  closes as no response — a case never waits forever.
- ReclassifySteps: new severity, urgency, tier or category; remaining time recomputed.
- ResolutionSteps: resolve, deliver the result, the customer confirms or disputes.
- CallbackSteps: the satisfaction callback (回访) archives the case; three that reach nobody
  close it as unreachable.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        CallbackAction,
        CallbackAttemptAction,
        CaseState,
        CaseType,
        CustomerReplyAction,
        CustomerResponseAction,
        Feedback,
        FeedbackAction,
        Outcome,
        Phase,
        ReclassifyAction,
        RequestInfoAction,
        Resolution,
        ResolveAction,
        SatisfactionRecord,
        Window,
        WindowName,
        WindowState,
    )
    from caseflow.domain.errors import invalid_input, invalid_state

from workflows.lifecycle.actions import action
from workflows.lifecycle.base import CaseWorkflow, attachment_ids


class CustomerInfoSteps(CaseWorkflow):
    @action("request_info")
    async def request_info(self, a: RequestInfoAction) -> CaseState:
        w = self._pause_window(WindowName.HANDLING, "waiting on customer")
        self.state.phase = Phase.WAITING_CUSTOMER
        # A reminder, then closing as no response (000 §5.3: a closed loop in 7 working days).
        for name in (WindowName.REPLY_REMINDER, WindowName.REPLY):
            self.state.windows.pop(name.value, None)
            await self._open_window(name)
        await self._commit(
            [
                self._event(
                    "paused",
                    a.actor,
                    f"information requested from the customer; handling clock paused: {a.question}",
                    window=WindowName.HANDLING if w else None,
                    reason="waiting on customer",
                )
            ],
            [self._to_customer("info_request", question=a.question)],
        )
        return self.state

    @action("customer_reply")
    async def customer_reply(self, a: CustomerReplyAction) -> CaseState:
        for name in (WindowName.REPLY_REMINDER, WindowName.REPLY):
            self._close_window(name, cancelled=True)
        w = await self._resume_window(WindowName.HANDLING)
        self.state.phase = Phase.IN_PROGRESS
        await self._commit(
            [
                self._event(
                    "resumed",
                    a.actor,
                    f"customer replied; handling clock resumed: {a.text}",
                    window=WindowName.HANDLING if w else None,
                    deadline=w.due_at if w else None,
                )
            ]
        )
        return self.state

    async def _on_due(self, w: Window, now) -> None:
        if w.name == WindowName.REPLY_REMINDER:
            self._close_window(w.name)
            reminded = self._event(
                "customer_reminded",
                SYSTEM_ACTOR,
                "the customer was reminded of the information requested",
                window=WindowName.REPLY,
                deadline=(self.state.window(WindowName.REPLY) or w).due_at,
            )
            await self._commit([reminded], [self._to_customer("info_reminder")])
        elif w.name == WindowName.REPLY:
            silent = self._event(
                "no_response",
                SYSTEM_ACTOR,
                "the customer did not answer the request for information in time; closed",
                window=WindowName.REPLY,
                deadline=w.due_at,
            )
            self._close_window(w.name)
            await self._archive(
                [silent],
                outcome=Outcome.NO_RESPONSE,
                summary="closed: no response from the customer",
                notifications=[self._to_customer("no_response")],
            )
        else:
            await super()._on_due(w, now)


def _reclassify_check(wf: CaseWorkflow, a: ReclassifyAction) -> None:
    if not (a.severity or a.tier or a.category or a.urgency):
        raise invalid_input(
            "no_change", "reclassify needs a new severity, urgency, tier or category"
        )


class ReclassifySteps(CaseWorkflow):
    @action("reclassify", check=_reclassify_check)
    async def reclassify(self, a: ReclassifyAction) -> CaseState:
        before = {n: w.target for n, w in self.state.windows.items() if w.is_open}
        changes = []
        state = self.state
        if a.severity and a.severity != state.severity:
            changes.append(f"severity {state.severity} -> {a.severity.value}")
            state.severity = a.severity
        if a.urgency and a.urgency != state.urgency:
            changes.append(f"urgency {state.urgency} -> {a.urgency.value}")
            state.urgency = a.urgency
        if a.tier and a.tier != state.customer.tier:
            changes.append(f"tier {state.customer.tier.value} -> {a.tier.value}")
            state.customer.tier = a.tier
        if a.category and a.category != state.category:
            changes.append(f"category {state.category} -> {a.category.value}")
            state.category = a.category
        # The pinned version, new selectors: remaining = new target - time already used.
        self.policy = await self._resolve_policy(state.policy_version)
        now = workflow.now()
        for w in state.windows.values():
            if not w.is_open or w.name.value not in self.policy.targets:
                continue  # closed, or not the policy's (a supervisor's urge keeps its deadline)
            w.target = self.policy.targets[w.name.value]
            if w.state != WindowState.PAUSED:
                await self._replan(w, now)
        after = {n: w.target for n, w in state.windows.items() if w.is_open}
        await self._commit(
            [
                self._event(
                    "reclassified",
                    a.actor,
                    f"reclassified ({'; '.join(changes) or 'no change'}): {a.reason}; "
                    f"targets {before} -> {after}",
                )
            ]
        )
        return self.state


def _confirm_check(wf: CaseWorkflow, a: CustomerResponseAction) -> None:
    if wf.state.customer_confirmed:
        raise invalid_state(
            "already_confirmed", f"the customer already confirmed case {wf.state.case_id}"
        )


class ResolutionSteps(CaseWorkflow):
    @action("resolve")
    async def resolve(self, a: ResolveAction) -> CaseState:
        self._close_window(WindowName.HANDLING)
        self._resolution_reached()
        self.state.resolution = Resolution(
            department=self.state.department or "",
            process=a.process,
            result=a.result,
            evidence=a.evidence,
            resolved_by=a.actor.user_id,
        )
        self.state.phase = Phase.RESOLVED
        w = await self._open_window(WindowName.FEEDBACK)
        await self._commit(
            [
                self._event(
                    "resolved",
                    a.actor,
                    f"resolved: {a.result}",
                    window=WindowName.FEEDBACK,
                    deadline=w.due_at if w else None,
                    attachments=attachment_ids(a.attachments),
                )
            ]
        )
        return self.state

    @action("feedback")
    async def feedback(self, a: FeedbackAction) -> CaseState:
        self._close_window(WindowName.FEEDBACK)
        resolution = self.state.resolution
        channel = a.channel or self.state.reply_channel
        self.state.feedback = Feedback(
            department=resolution.department if resolution else self.state.department or "",
            process=resolution.process if resolution else "",
            result=resolution.result if resolution else "",
            message=a.message,
            channel=channel,
            delivered_by=a.actor.user_id,
        )
        self.state.phase = Phase.FEEDBACK_GIVEN
        w = await self._open_window(WindowName.FOLLOW_UP)
        await self._commit(
            [
                self._event(
                    "feedback_delivered",
                    a.actor,
                    f"result delivered to the customer via {channel.value}",
                    window=WindowName.FOLLOW_UP,
                    deadline=w.due_at if w else None,
                    attachments=attachment_ids(a.attachments),
                )
            ],
            [self._to_customer(self._result_template(), channel, message=a.message)],
        )
        return self.state

    def _result_template(self) -> str:
        # A complaint's final reply also names where to appeal (004 (三)).
        return "complaint_result" if self.state.case_type == CaseType.COMPLAINT else "feedback"

    @action("confirm", check=_confirm_check)
    async def confirm(self, a: CustomerResponseAction) -> CaseState:
        self.state.customer_confirmed = True
        await self._commit(
            [
                self._event(
                    "customer_confirmed",
                    a.actor,
                    f"customer accepted the result. {a.comment}".strip(),
                )
            ]
        )
        return self.state

    @action("dispute")
    async def dispute(self, a: CustomerResponseAction) -> CaseState:
        """The customer rejects the result: handling reopens with a fresh window (counted)."""
        self._close_window(WindowName.FOLLOW_UP, cancelled=True)
        self.state.customer_confirmed = False
        self.state.reopen_count += 1
        self.state.phase = Phase.IN_PROGRESS
        self.state.windows.pop(WindowName.HANDLING.value, None)
        self.state.windows.pop(WindowName.FEEDBACK.value, None)
        w = await self._open_window(WindowName.HANDLING)
        await self._commit(
            [
                self._event(
                    "reopened",
                    a.actor,
                    f"customer disputed the result; handling reopened "
                    f"(reopen #{self.state.reopen_count}): {a.comment}",
                    window=WindowName.HANDLING,
                    deadline=w.due_at if w else None,
                    reopen_count=str(self.state.reopen_count),
                )
            ],
            [self._internal(self.state.assignee or "agent", "reopened")],
        )
        return self.state


class CallbackSteps(CaseWorkflow):
    @action("callback")
    async def callback(self, a: CallbackAction) -> CaseState:
        """The satisfaction callback (回访) is recorded and the case archives."""
        self._close_window(WindowName.FOLLOW_UP)
        self.state.satisfaction = SatisfactionRecord(
            satisfaction=a.satisfaction, comment=a.comment, recorded_by=a.actor.user_id
        )
        callback = self._event(
            "callback",
            a.actor,
            f"satisfaction callback: {a.satisfaction.value}. {a.comment}".strip(),
            window=WindowName.FOLLOW_UP,
            satisfaction=a.satisfaction.value,
        )
        await self._archive([callback], outcome=Outcome.RESOLVED)
        return self.state

    @action("callback_attempt")
    async def callback_attempt(self, a: CallbackAttemptAction) -> CaseState:
        """A callback that reached nobody; after the policy's number of attempts (three) the
        case closes as unreachable: attempted, never counted as satisfied."""
        assert self.policy is not None
        self.state.callback_attempts += 1
        n = self.state.callback_attempts
        attempt = self._event(
            "callback_attempt",
            a.actor,
            f"callback attempt {n} reached nobody. {a.note}".strip(),
            window=WindowName.FOLLOW_UP,
            attempt=str(n),
            reached="false",
        )
        if n < self.policy.callback_attempts:
            await self._commit([attempt])
            return self.state
        self._close_window(WindowName.FOLLOW_UP)
        await self._archive(
            [attempt],
            outcome=Outcome.UNREACHABLE,
            summary=f"closed: {n} callback attempts reached nobody",
        )
        return self.state
