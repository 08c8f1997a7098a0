"""Removing a customer's personal data from every copy caseflow holds of one closed case: the
snapshot, the audit trail's summaries and data, the notifications (parameters and rendered
texts), the termination records on the provisioning side, the attachments' bytes and the
readable histories of the case's Temporal runs.

Used by retention (after the records period, 000 §4.2, 附件一 §7.3.4) and by an erasure on a
personal-data request. Free texts are replaced whole, not searched for the name: an agent's
note can carry the customer in any spelling. What stays is who did what and when (kinds,
actors, times, windows, outcomes, ids), which holds no personal data.

Only archived cases: an open case's workflow still holds the data and would write it back
with its next transition.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text

from caseflow.attachments.port import BlobStore

ANONYMISED = "(anonymised)"

# Audit events written from fixed templates, whose summaries name no one.
SYSTEM_KINDS = frozenset(
    {"warning", "breach", "escalated", "archived", "anonymised", "erased", "continued"}
)
# Event data and notification parameters that are ids, enums, counts or times.
SAFE_KEYS = [
    "outcome",
    "level",
    "level_name",
    "satisfaction",
    "reopen_count",
    "complaint_id",
    "assignee",
    "from_department",
    "to_department",
    "outage",
    "outage_id",
    "restored_by",
    "attachments",
    "attempt",
    "reached",
    "run",
    "request",
    "case_id",
    "window",
    "due",
    "from",
    "services",
]

# Text fields of the snapshot's sub-records (caseflow/domain/state.py) that hold prose.
_PROSE = {
    "resolution": ("process", "result", "evidence"),
    "feedback": ("process", "result", "message"),
    "satisfaction": ("comment",),
    "first_answer": ("answer",),
    "fulfilment": ("result",),
    "fault": ("service_number", "location", "cause", "fix"),
    "review": ("comment",),
    "termination": ("error",),
}


# A readable history's fields that say who did what, when and why in codes (caseflow/history):
# kept. Arguments and results keep only these keys; free texts (failures, the summaries of
# recorded events that are not from a fixed template) are replaced whole.
HISTORY_FIELDS = (
    "run",
    "run_id",
    "event_id",
    "at",
    "kind",
    "actor",
    "name",
    "label",  # the summaries workflows give timers and activities name no one
    "purpose",
    "window",
    "target",
    "level",
    "fires_at",
    "status",
    "closed_at",
    "timeline_seq",
)
HISTORY_VALUE_KEYS = frozenset(
    {
        *SAFE_KEYS,
        "case_type",
        "channel",
        "category",
        "severity",
        "urgency",
        "department",
        "phase",
        "escalation_level",
        "seq",
        "until",
        "due_at",
        "warn_at",
        "used_seconds",
        "target_seconds",
        "version",
        "targets",
        "approved",
        "continues",
    }
)
# Search attributes (codes, ids and instants) and the outcome of a run are no one's data.
_HISTORY_KINDS_KEPT_WHOLE = frozenset({"attributes"})


def _history_value(value):
    """Arguments or a result, reduced to the keys that hold codes (kept as they are)."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in HISTORY_VALUE_KEYS}
    if isinstance(value, list):
        return [_history_value(v) for v in value if isinstance(v, dict | list)]
    return None if isinstance(value, str) else value


def anonymised_history(events: list[dict]) -> list[dict]:
    """A stored run's readable events without personal data: who did what and when stays
    (kinds, actors, times, windows, labels, timeline numbers), arguments and results keep
    their codes only, and every free text goes."""
    out = []
    for event in events:
        kept = {k: event.get(k) for k in HISTORY_FIELDS if k in event}
        if event.get("kind") in _HISTORY_KINDS_KEPT_WHOLE:
            kept["args"] = event.get("args")
        else:
            kept["args"] = _history_value(event.get("args"))
        kept["result"] = _history_value(event.get("result"))
        kept["failure"] = ANONYMISED if event.get("failure") else None
        kept["recorded"] = [
            {
                "seq": r.get("seq"),
                "kind": r.get("kind"),
                "at": r.get("at"),
                "actor_id": r.get("actor_id"),
                "window": r.get("window"),
                "deadline": r.get("deadline"),
                "summary": r.get("summary")
                if r.get("kind") in SYSTEM_KINDS
                else f"{r.get('kind')}: {ANONYMISED}",
                "data": {k: v for k, v in (r.get("data") or {}).items() if k in SAFE_KEYS},
            }
            for r in event.get("recorded") or []
        ]
        out.append(kept)
    return out


def anonymised_state(state: dict) -> dict:
    """The snapshot without personal data: the customer's name, phone, id and addresses, the
    description and every free text of the result records."""
    state = json.loads(json.dumps(state))  # a deep copy of plain JSON
    customer = state.get("customer") or {}
    customer.update(
        name=ANONYMISED, phone="", customer_id=None, email=None, app_id=None, openid=None
    )
    state["customer"] = customer
    state["description"] = ANONYMISED
    for record, fields in _PROSE.items():
        sub = state.get(record)
        if isinstance(sub, dict):
            for name in fields:
                if sub.get(name):
                    sub[name] = ANONYMISED
    return state


async def strip_case(
    conn,
    case_id: str,
    blobs: BlobStore,
    *,
    kind: str,
    summary: str,
    data: dict[str, str],
    actor_id: str,
    actor_role: str,
    now: datetime,
) -> bool:
    """Strip one archived case inside the caller's transaction, with an audit event of
    `kind`; False (nothing done) when it is not archived or is already stripped."""
    row = (
        await conn.execute(
            text("SELECT seq, phase, state FROM cases WHERE case_id = :c FOR UPDATE"),
            {"c": case_id},
        )
    ).first()
    if row is None or row.phase != "archived":
        return False
    if (row.state.get("customer") or {}).get("name") == ANONYMISED:
        return False
    seq = row.seq + 1
    # Bytes first: a failure after this rolls the records back and a retry deletes again
    # (deleting a missing key is not an error), so no record ever outlives its erasure.
    keys = (
        await conn.execute(
            text("SELECT id FROM attachments WHERE case_id = :c AND erased_at IS NULL"),
            {"c": case_id},
        )
    ).scalars()
    for key in list(keys):
        await blobs.delete(key)
    params = {"c": case_id, "now": now, "anon": ANONYMISED, "safe": SAFE_KEYS}
    await conn.execute(
        text(
            "UPDATE cases SET seq = :seq, updated_at = :now, client_reference = NULL, "
            "state = CAST(:state AS jsonb) WHERE case_id = :c"
        ),
        {**params, "seq": seq, "state": json.dumps(anonymised_state(row.state))},
    )
    await conn.execute(
        text(
            """
            UPDATE case_events SET
              summary = CASE WHEN kind = ANY(CAST(:system AS text[])) THEN summary
                ELSE kind || ': ' || :anon END,
              data = (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
                      FROM jsonb_each(data) WHERE key = ANY(CAST(:safe AS text[])))
            WHERE case_id = :c
            """
        ),
        {**params, "system": sorted(SYSTEM_KINDS)},
    )
    await conn.execute(
        text(
            """
            UPDATE notifications SET
              subject = CASE WHEN subject IS NULL THEN NULL ELSE :anon END,
              body = CASE WHEN body IS NULL THEN NULL ELSE :anon END,
              params = (SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
                        FROM jsonb_each(params) WHERE key = ANY(CAST(:safe AS text[]))),
              -- nothing can reach a customer whose address is gone
              status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END
            WHERE case_id = :c
            """
        ),
        params,
    )
    # The provisioning side's record of what this case terminated keeps the services and
    # times but not the number (phone and service are unique together: a marker per row).
    await conn.execute(
        text(
            "UPDATE subscriptions SET phone = 'erased:' || id WHERE terminated_by_case = :c "
            "AND phone NOT LIKE 'erased:%'"
        ),
        params,
    )
    await conn.execute(
        text(
            "UPDATE attachments SET filename = :anon, sha256 = NULL, erased_at = :now "
            "WHERE case_id = :c AND erased_at IS NULL"
        ),
        params,
    )
    # The readable histories of the case's closed runs (caseflow/history/store.py). A run that
    # closes after this is stored anonymised: the store reads the case's row FOR SHARE.
    runs = (
        await conn.execute(
            text(
                "SELECT run_id, events FROM case_history_runs WHERE case_id = :c "
                "AND anonymised_at IS NULL FOR UPDATE"
            ),
            params,
        )
    ).all()
    for run in runs:
        await conn.execute(
            text(
                "UPDATE case_history_runs SET events = CAST(:events AS jsonb), "
                "anonymised_at = :now WHERE case_id = :c AND run_id = :r"
            ),
            {**params, "r": run.run_id, "events": json.dumps(anonymised_history(run.events))},
        )
    await conn.execute(
        text(
            """
            INSERT INTO case_events (case_id, seq, kind, at, actor_id, actor_role, summary, data)
            VALUES (:c, :seq, :kind, :now, :actor_id, :actor_role, :summary, CAST(:data AS jsonb))
            ON CONFLICT ON CONSTRAINT uq_case_events_case_seq DO NOTHING
            """
        ),
        {
            **params,
            "seq": seq,
            "kind": kind,
            "actor_id": actor_id,
            "actor_role": actor_role,
            "summary": summary,
            "data": json.dumps(data),
        },
    )
    return True
