"""Cases: intake, detail, timeline, Temporal history, and the floor list."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.access import Scrubber, audit_read, check_can_read, check_filer, is_masked
from api.deps import (
    HISTORY_ROLES,
    BookDep,
    CaseNumbersDep,
    EngineDep,
    LimiterDep,
    SettingsDep,
    TemporalDep,
    UserDep,
    actor_of,
    require_role,
)
from api.errors import ServiceUnavailable
from api.history_pages import HistoryPage, history_page
from api.history_pages import case_runs as case_runs  # the case pages list runs too
from api.history_words import Words
from api.readable_history import (
    HistoryFilter,
    ReadableEventPublic,
    RunView,
    in_words,
    limit_history_reads,
    read_history,
)
from api.references import require_existing
from api.schemas import (
    CaseCreate,
    CaseList,
    CaseSummary,
    CaseView,
    LinkedCaseStatus,
    LostView,
    QueryInstant,
    TimelineEvent,
    case_view,
)
from caseflow.case_numbers import CaseNumberBlock
from caseflow.db.models import CaseEventRow, CaseRow, IntakeKey, User
from caseflow.domain import (
    STAFF,
    CaseInput,
    CaseState,
    CaseType,
    Customer,
    FaultIntake,
    OutageIntake,
    Phase,
    RecordRequest,
    Role,
    Urgency,
    WindowName,
)
from caseflow.domain.case_types import CASE_TYPES, CaseTypeSpec
from caseflow.domain.deadlines import next_deadline
from caseflow.history.readable import Kind
from caseflow.intake import intake_record, plan_intake
from caseflow.patches import born_with
from caseflow.pii import record_access
from caseflow.policy import PolicyError
from caseflow.readmodel.customers import earlier_complaint
from caseflow.readmodel.lists import CaseFilters, list_statements
from caseflow.readmodel.writes import write_transition
from caseflow.search_attributes import initial_search_attributes

router = APIRouter(prefix="/cases", tags=["cases"])
log = logging.getLogger("caseflow.api.cases")
_state = TypeAdapter(CaseState)
# Long enough for the intake's policy, deadline and read-model write; short enough to answer.
START_TIMEOUT_S = 30
RECEIVED_SKEW = timedelta(minutes=1)  # a channel's clock may run a little ahead of ours


async def load_state(engine, case_id: str) -> CaseState:
    async with engine.connect() as conn:
        row = (await conn.execute(select(CaseRow.state).where(CaseRow.case_id == case_id))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    return _state.validate_python(row.state)


@dataclass(frozen=True)
class CaseSummaryRow:
    case_type: CaseType
    phase: Phase
    department: str | None
    filed_by: str | None


FILED_BY = CaseRow.filed_by  # a column of its own, indexed (migration 0007)


async def load_summary(engine, case_id: str) -> CaseSummaryRow:
    """Type, phase, department and filer (no snapshot to parse): what routing an action
    needs."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    CaseRow.case_type, CaseRow.phase, CaseRow.department, FILED_BY.label("filed_by")
                ).where(CaseRow.case_id == case_id)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    return CaseSummaryRow(CaseType(row.case_type), Phase(row.phase), row.department, row.filed_by)


def _request_hash(body: CaseCreate) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


async def _case_id_for(
    engine, numbers: CaseNumberBlock, key: str | None, body: CaseCreate, from_header: bool
) -> tuple[str, bool]:
    """The case number for this intake; (number, True) when the key was seen before."""
    now = datetime.now(UTC)
    if key is None:
        return await numbers.next(body.type, now), False
    digest = _request_hash(body)
    async with engine.begin() as conn:
        existing = (await conn.execute(select(IntakeKey).where(IntakeKey.key == key))).first()
        if existing is None:
            # The number is drawn first so the key row is complete when it becomes visible.
            candidate = await numbers.next(body.type, now)
            await conn.execute(
                insert(IntakeKey)
                .values(key=key, case_id=candidate, request_hash=digest, created_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            # A concurrent request with the same key may have won the insert: read it back.
            existing = (await conn.execute(select(IntakeKey).where(IntakeKey.key == key))).first()
            replay = existing.case_id != candidate
        else:
            replay = True
    if existing.request_hash != digest:
        what = "Idempotency-Key" if from_header else "client_reference"
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{what} reused with a different request: it already opened case "
            f"{existing.case_id}; send a new key for a new case",
        )
    return existing.case_id, replay


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseView,
    summary="File a case",
    description="Routes the case and plans its intake deadlines, starts its workflow, records "
    "the intake and returns the case: routed to a department, intake windows running. It does "
    "not wait for a worker; the workflow takes over from the recorded intake. Send an "
    "`Idempotency-Key` header (or a `client_reference`; both are the caller's own: another "
    "user's same key is another case) so that a "
    "retried request returns the same case instead of opening a second one: 201 the first "
    "time, 200 on replays, 409 when the key comes back with a different body. Complaints "
    "need `category` and `severity`.",
    responses={200: {"description": "The case this Idempotency-Key already opened"}},
)
async def create_case(
    body: CaseCreate,
    response: Response,
    user: UserDep,
    engine: EngineDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    book: BookDep,
    numbers: CaseNumbersDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            description="Any unique string per intended case, e.g. a UUID",
        ),
    ] = None,
) -> CaseView:
    spec = CASE_TYPES[body.type]
    require_role(user, spec.filed_by, f"file {body.type.value} cases")
    if body.type == CaseType.APPEAL and Role(user.role) == Role.CHANNEL and not user.regulator:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only a regulator's channel files appeals (users.regulator)"
        )
    check_received_at(body.received_at, settings)
    if len(body.description) > settings.max_text_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"description is longer than {settings.max_text_chars} characters",
        )
    if not book.active.covers(body.type):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"the active policy version {book.active_version} does not cover "
            f"{body.type.value} cases (it covers: "
            f"{', '.join(t.value for t in book.active.case_types)}); publish a version that "
            "does, or select one with CASEFLOW_POLICY_VERSION",
        )
    if body.outage_id:
        await require_existing(engine, {"outage_id": ("outage", body.outage_id)})
    if body.appeal_of:
        await require_existing(engine, {"appeal_of": ("case", body.appeal_of)})
    case_id, replay = await _case_id_for(
        engine,
        numbers,
        intake_key(user, idempotency_key, body.client_reference),
        body,
        from_header=bool(idempotency_key),
    )
    inp = case_input(body, case_id, user, settings)
    await link_repeat(engine, book, inp)
    # Routed and planned here, with the same policy functions the workflow would use, so the
    # answer does not wait for a worker; the workflow adopts the plan from its input.
    try:
        inp.intake = plan_intake(book, inp, inp.opened_at)
    except PolicyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    record = intake_record(inp, inp.opened_at, inp.intake)
    state = None if replay else await _file(engine, temporal, settings, spec, record, inp)
    if state is None:
        state = await _existing(engine, temporal, settings, spec, record, inp)
    if replay:
        # A replay reads the case as it is now: the same checks and audit as a GET.
        check_can_read(user, state)
        await audit_read(engine, user, case_id, "POST /api/v1/cases (replayed key)")
    response.status_code = status.HTTP_200_OK if replay else status.HTTP_201_CREATED
    response.headers["Location"] = f"/api/v1/cases/{case_id}"
    return case_view(state, Role(user.role), book)


def check_received_at(received_at: datetime | None, settings) -> None:
    """When the customer made contact: not in the future (a minute's clock skew aside), and
    not further back than the configured days."""
    if received_at is None:
        return
    now = datetime.now(UTC)
    if received_at > now + RECEIVED_SKEW:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "received_at is in the future")
    if received_at < now - timedelta(days=settings.max_received_days):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"received_at is more than {settings.max_received_days} days ago; file it with the "
            "date it reached us and say when the customer wrote in the description",
        )


def intake_key(user: User, header: str | None, client_reference: str | None) -> str | None:
    """The caller's own key: the same Idempotency-Key or client_reference from another caller
    (another channel, another department's agent) is another case, never this one."""
    if header:
        return f"key:{user.id}:{header}"
    if client_reference:
        return f"ref:{user.id}:{client_reference}"
    return None


async def link_repeat(engine, book, inp: CaseInput) -> None:
    """A complaint repeating one from the same phone in the same category within the
    policy's window (重复投诉) is linked to the latest such complaint, for the case view and
    the reports."""
    if inp.case_type != CaseType.COMPLAINT or not inp.customer.phone or inp.category is None:
        return
    earlier = await earlier_complaint(
        engine,
        inp.customer.phone,
        inp.category.value,
        inp.opened_at,
        book.active.repeat_window_days,
        exclude=inp.case_id,
    )
    if earlier:
        inp.links["repeat_of"] = earlier


def case_input(body: CaseCreate, case_id: str, user: User, settings) -> CaseInput:
    """The workflow's input for an intake body (validated against its type's spec)."""
    customer = body.customer
    return CaseInput(
        case_id=case_id,
        case_type=body.type,
        # An internal case (an outage) has no customer: the record keeps an empty one.
        customer=Customer(
            name=customer.name,
            phone=customer.phone,
            customer_id=customer.customer_id,
            tier=customer.tier,
            email=customer.email,
            app_id=customer.app_id,
            openid=customer.openid,
        )
        if customer
        else Customer(name="", phone=""),
        channel=body.channel,
        reply_channel=body.reply_channel,
        description=body.description,
        created_by=actor_of(user),
        category=body.category,
        severity=body.severity,
        kind=body.kind,
        urgency=body.urgency or (Urgency.NORMAL if body.type == CaseType.FAULT else None),
        client_reference=body.client_reference,
        search_attributes=settings.search_attributes,
        services=list(body.services or []),
        fault=FaultIntake(
            service_number=body.service_number,
            location=body.location,
            outage_id=body.outage_id,
        )
        if body.type == CaseType.FAULT
        else None,
        outage=OutageIntake(area=body.area) if body.type == CaseType.OUTAGE else None,
        links={"appeal_of": body.appeal_of} if body.appeal_of else {},
        received_at=body.received_at.astimezone(UTC) if body.received_at else None,
        limits=settings.history_limits(),
        opened_at=datetime.now(UTC),
        patches=born_with(),
    )


def _start_attributes(inp: CaseInput, record: RecordRequest):
    """Findable in the Temporal UI from the start; a workflow filed with its plan does not set
    its intake attributes again."""
    return initial_search_attributes(record.state) if inp.search_attributes else None


async def _file(
    engine, temporal, settings, spec: CaseTypeSpec, record: RecordRequest, inp: CaseInput
) -> CaseState | None:
    """Start a new case's workflow, then write its intake record (the workflow writes the
    same record too). None when the workflow already exists: a concurrent request with the
    same key got there first, and the caller reads what that one filed."""
    try:
        await temporal.start_workflow(
            spec.workflow,
            inp,
            id=inp.case_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=_start_attributes(inp, record),
        )
    except WorkflowAlreadyStartedError:
        return None
    try:
        await write_transition(engine, record)
    except (DBAPIError, OSError) as exc:
        # The case is durable in Temporal and its workflow records this intake itself once
        # PostgreSQL answers again: the request succeeded, only the read model lags.
        log.warning(
            "intake not written by the API; the workflow will record it",
            extra={"case_id": inp.case_id, "err": type(exc).__name__},
        )
    return record.state


async def _existing(
    engine, temporal, settings, spec: CaseTypeSpec, record: RecordRequest, inp: CaseInput
) -> CaseState:
    """A replayed key: the case its first request filed. Update-with-start waits until its
    intake is recorded, and starts it if that first request died before starting it."""
    start = WithStartWorkflowOperation(
        spec.workflow,
        inp,
        id=inp.case_id,
        task_queue=settings.task_queue,
        search_attributes=_start_attributes(inp, record),
        # Same id while running -> the same workflow; a closed one is never started again.
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    try:
        return await asyncio.wait_for(
            temporal.execute_update_with_start_workflow(
                "opened", start_workflow_operation=start, result_type=CaseState
            ),
            START_TIMEOUT_S,
        )
    except (WorkflowAlreadyStartedError, WorkflowUpdateFailedError):
        # The key's workflow already finished (reuse rejected): answer with the recorded case.
        await _discard_start(start)
        return await load_state(engine, inp.case_id)
    except RPCError as err:
        await _discard_start(start)
        if err.status == RPCStatusCode.ALREADY_EXISTS:
            return await load_state(engine, inp.case_id)
        raise
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ServiceUnavailable(
            f"case {inp.case_id} was accepted but its intake is not recorded yet (is a worker "
            "running?); retry with the same Idempotency-Key to get it"
        ) from None


async def _discard_start(start: WithStartWorkflowOperation) -> None:
    """The start half of a refused update-with-start holds the same error: retrieve it, or
    asyncio logs "Future exception was never retrieved" for every replayed intake."""
    with contextlib.suppress(Exception):
        await start.workflow_handle()


@router.get(
    "/{case_id}",
    response_model=CaseView,
    summary="A case's current state",
    description="From the read model (PostgreSQL), as of the case's last transition; "
    "`remaining_seconds` is computed at the time of the request. Agents read only their "
    "department's cases; an intake channel reads only the cases it filed (404 for others) and "
    "sees personal data masked.",
)
async def get_case(case_id: str, user: UserDep, engine: EngineDep, book: BookDep) -> CaseView:
    state, lost = await load_state_and_lost(engine, case_id)
    check_can_read(user, state)
    await audit_read(engine, user, case_id, "GET /api/v1/cases/{id}")
    view = case_view(state, Role(user.role), book)
    if lost is not None and Role(user.role) in STAFF:
        view.lost = lost
    return view


async def load_state_and_lost(engine, case_id: str) -> tuple[CaseState, LostView | None]:
    """The snapshot, and the reconciler's lost mark when there is one."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    CaseRow.state, CaseRow.lost_at, CaseRow.lost_status, CaseRow.lost_run_id
                ).where(CaseRow.case_id == case_id)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    lost = (
        LostView(status=row.lost_status, run_id=row.lost_run_id, at=row.lost_at)
        if row.lost_at is not None
        else None
    )
    return _state.validate_python(row.state), lost


TIMELINE_LIMIT = 100
TIMELINE_MAX = 500


@router.get(
    "/{case_id}/appealed-case",
    response_model=LinkedCaseStatus,
    summary="The status of the case an appeal is about (for the regulator)",
    description="For an appeal: where the appealed case stands (phase, outcome, department, "
    "next deadline), without its personal data. The regulator that filed the appeal, and "
    "staff, may read it; 404 when the appeal names no case.",
)
async def get_appealed_case(case_id: str, user: UserDep, engine: EngineDep) -> LinkedCaseStatus:
    appeal = await load_state(engine, case_id)
    if appeal.case_type != CaseType.APPEAL:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} is not an appeal")
    if Role(user.role) == Role.CHANNEL and appeal.filed_by != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    about = appeal.links.get("appeal_of")
    if not about:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"appeal {case_id} names no case")
    state = await load_state(engine, about)
    due = next_deadline(state)
    return LinkedCaseStatus(
        case_id=state.case_id,
        type=state.case_type,
        phase=state.phase,
        outcome=state.outcome.value if state.outcome else None,
        department=state.department,
        next_deadline=due[0] if due else None,
        opened_at=state.opened_at,
        closed_at=state.closed_at,
    )


@router.get(
    "/{case_id}/timeline",
    response_model=list[TimelineEvent],
    summary="The case's audit trail, a page at a time",
    description="Every transition, window, pause, warning, breach and escalation, in order of "
    f"`seq`, at most `limit` events (default {TIMELINE_LIMIT}, at most {TIMELINE_MAX}) after "
    "the event numbered `after` (default 0: from the start). A full page carries a `Link` "
    'header with `rel="next"` to the following page; the next `after` is the last `seq` '
    "shown. Intake channels see personal data masked in summaries and event data.",
)
async def get_timeline(
    case_id: str,
    request: Request,
    response: Response,
    user: UserDep,
    engine: EngineDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="Last seq seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=TIMELINE_MAX)] = TIMELINE_LIMIT,
) -> list[TimelineEvent]:
    state = await load_state(engine, case_id)
    check_can_read(user, state)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(CaseEventRow)
                .where(CaseEventRow.case_id == case_id, CaseEventRow.seq > after)
                .order_by(CaseEventRow.seq)
                .limit(limit)
            )
        ).all()
    events = [TimelineEvent.model_validate(r._mapping) for r in rows]
    if len(events) == limit:
        url = request.url.include_query_params(after=events[-1].seq, limit=limit)
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    if is_masked(user):
        scrub = Scrubber(state)
        return [TimelineEvent.model_validate(scrub.tree(e.model_dump())) for e in events]
    await audit_read(engine, user, case_id, "GET /api/v1/cases/{id}/timeline")
    return events


HISTORY_LIMIT = 100
HISTORY_MAX = 250


@router.get(
    "/{case_id}/history",
    response_model=HistoryPage,
    summary="Temporal's event history of the case, a page at a time (supervisors)",
    description="The workflow's event history as Temporal's JSON (payloads as stored: "
    "encrypted when payload keys are configured). A case continues as new before its history "
    "nears Temporal's limits, so it has one or more runs (`run_ids`, oldest first; closed runs "
    "are kept for the namespace's retention period, the audit trail at `/timeline` keeps the "
    "whole case). A page holds up to `limit` events (default "
    f"{HISTORY_LIMIT}, at most {HISTORY_MAX}) of one run, in `runs[0]`; pass `next_cursor` as "
    "`cursor` for the next page, which moves on to the next run when one ends; null when "
    "there is no more. Supervisors and admins only; every page read is in the personal-data "
    "access log.",
)
async def get_history(
    case_id: str,
    user: UserDep,
    engine: EngineDep,
    temporal: TemporalDep,
    cursor: Annotated[
        str | None, Query(max_length=4096, pattern=r"^[A-Za-z0-9_-]+$", description="From a page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX)] = HISTORY_LIMIT,
) -> HistoryPage:
    await check_history_reader(engine, user, case_id)
    page = await history_page(temporal, case_id, cursor, limit)
    await audit_read(engine, user, case_id, "GET /api/v1/cases/{id}/history")
    return page


async def check_history_reader(engine, user: User, case_id: str) -> None:
    """404 for an unknown case, and for an intake channel's view of a case it did not file
    (as everywhere); 403 for anyone but supervisors and admins."""
    summary = await load_summary(engine, case_id)
    check_filer(user, case_id, summary.filed_by)
    require_role(user, HISTORY_ROLES, "read a case's Temporal history")


READABLE_LIMIT = 200
READABLE_MAX = 1000


class ReadableHistoryPage(BaseModel):
    case_id: str
    timezone: str = Field(description="The policy's time zone: the texts' times are in it")
    lang: str
    runs: list[RunView] = Field(description="Every run of the case, oldest first")
    actors: list[str] = Field(description="Everyone who acted in the history (for `actor`)")
    windows: list[str] = Field(description="Every window the history names (for `window`)")
    total: int = Field(description="Events left after the filters")
    offset: int
    limit: int
    events: list[ReadableEventPublic]


@router.get(
    "/{case_id}/history/readable",
    response_model=ReadableHistoryPage,
    summary="The case's history in words, decoded, across all runs (supervisors)",
    description="Every event of every run of the case's workflow (workflow task bookkeeping "
    "left out): who did what and when, the decoded arguments and results (payloads decrypted "
    "on the server: the caller handles no key), what each timer and activity was for (the "
    "summaries given where they were created), and the event in words (`text`, in `lang`, "
    "times in the policy's zone). Runs Temporal no longer keeps (closed runs outlive its "
    "namespace retention only here) are read from caseflow's stored copy (`runs[].source`). "
    "Filter by `actor`, `window`, `kind` (repeatable) and `since` / `until`; page with "
    f"`offset` and `limit` (default {READABLE_LIMIT}, at most {READABLE_MAX}). Supervisors "
    "and admins only (403 for others; 404 for an intake channel's view of a case it did not "
    "file); every read is written to the personal-data access log. 429 past "
    "`CASEFLOW_RATE_LIMIT_HISTORY_READS` reads per caller per window (the history page and its "
    "exports count too). The raw, encrypted form stays at `/history`.",
)
async def get_readable_history(
    case_id: str,
    user: UserDep,
    engine: EngineDep,
    temporal: TemporalDep,
    book: BookDep,
    limiter: LimiterDep,
    settings: SettingsDep,
    actor: Annotated[str | None, Query(max_length=64, description="A user id, or system")] = None,
    window: Annotated[WindowName | None, Query(description="Events naming this window")] = None,
    kind: Annotated[list[Kind] | None, Query(description="Event kinds (repeatable)")] = None,
    since: Annotated[QueryInstant | None, Query(description="At or after (with zone)")] = None,
    until: Annotated[QueryInstant | None, Query(description="At or before (with zone)")] = None,
    lang: Annotated[Literal["zh-CN", "en"], Query(description="Language of `text`")] = "zh-CN",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=READABLE_MAX)] = READABLE_LIMIT,
) -> ReadableHistoryPage:
    await check_history_reader(engine, user, case_id)
    await limit_history_reads(limiter, settings, user.id)
    history = await read_history(temporal, engine, case_id)
    await record_access(
        engine, case_id, user.id, user.role, "GET /api/v1/cases/{id}/history/readable"
    )
    chosen = history.filtered(
        HistoryFilter(
            actor=actor,
            window=window.value if window else None,
            kinds=list(kind or []),
            since=since,
            until=until,
        )
    )
    timezone = book.active.timezone
    return ReadableHistoryPage(
        case_id=case_id,
        timezone=timezone,
        lang=lang,
        runs=history.runs,
        actors=history.actors(),
        windows=history.windows(),
        total=len(chosen),
        offset=offset,
        limit=limit,
        events=in_words(chosen[offset : offset + limit], Words(lang, timezone)),
    )


@router.get(
    "",
    response_model=CaseList,
    summary="List and filter cases (read model)",
    description="From PostgreSQL only (no Temporal call per case). Breached cases first, then "
    "by the next deadline (none last). `overdue` = breached or a deadline already passed. "
    "Agents see only their department's cases, intake channels only the cases they filed. "
    "Summaries carry no personal data (no name, phone or text), so listing is not in the "
    "personal-data access log.",
)
async def list_cases(
    user: UserDep,
    engine: EngineDep,
    type: Annotated[CaseType | None, Query(description="complaint / inquiry / unsubscribe")] = None,  # noqa: A002
    phase: Annotated[list[Phase] | None, Query(description="repeatable; default: any")] = None,
    open_only: Annotated[bool, Query(description="only cases not yet archived")] = False,
    department: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    overdue: Annotated[bool | None, Query(description="breached or past a deadline")] = None,
    escalation_level_min: Annotated[int | None, Query(ge=1, le=10)] = None,
    lost: Annotated[
        bool | None, Query(description="only lost cases (true) or none of them (false)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CaseList:
    filters = CaseFilters(
        case_type=type.value if type else None,
        phases=[p.value for p in phase or []],
        open_only=open_only,
        assignee=assignee,
        overdue=overdue,
        escalation_level_min=escalation_level_min,
        lost=lost,
    )
    if user.role == Role.CHANNEL.value:
        filters.filed_by = user.id  # a channel lists only what it filed
    if user.role == Role.AGENT.value:
        if department and department != user.department:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "agents see only their own department's cases"
            )
        department = user.department
    filters.department = department
    page, count = list_statements(filters, datetime.now(UTC), limit, offset)
    async with engine.connect() as conn:
        rows = (await conn.execute(page)).all()
        total = (await conn.execute(count)).scalar_one()
    return CaseList(
        items=[CaseSummary.model_validate(r._mapping) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
