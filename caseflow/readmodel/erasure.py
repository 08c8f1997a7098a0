"""Removing a customer's personal data from every copy caseflow holds of one closed case: the
snapshot, the audit trail's summaries and data, the notifications (parameters and rendered
texts), the termination records on the provisioning side and the attachments' bytes.

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
