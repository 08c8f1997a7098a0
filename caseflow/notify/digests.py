"""Staff alert digests: at most one message per recipient, department, template, escalation
level and minute, listing every case it stands for.

When deadlines collide (every complaint filed in a holiday week falls due on the first
working morning) a team lead would otherwise get one alert per case, thousands in a few
minutes. The delivery worker (caseflow.notify.delivery) merges them as it claims them:

- A claimed staff alert ("warning", "escalation" on the internal channel) belongs to a
  `DigestKey`. The worker takes the key's current minute by inserting a
  `notification_digests` row; its unique key is the only coordination several workers need.
  The insert waits for another worker's uncommitted digest of the same key and minute, and
  then does nothing.
- The worker that took the minute collects every other pending, due row of the key (FOR
  UPDATE SKIP LOCKED, as the claim itself), sends one message listing them, and marks all of
  them sent with the digest's id, in the claim's transaction.
- A worker that finds the minute taken defers its rows to the next minute: they go out in
  that minute's digest. The first alert of a quiet key goes out at once, on its own.

A failed send gives the minute back (the digest row is deleted in the same transaction) and
every row of it is retried as a failed row would be. Customer notices are never digested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, all_, bindparam, delete, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from caseflow.db.models import NotificationDigest, NotificationRow

DIGESTED_TEMPLATES = frozenset({"warning", "escalation"})
STAFF_CHANNEL = "internal"
CUSTOMER = "customer"
MAX_ROWS = 1000  # rows one message stands for; more wait for the next minute's digest
KEEP_DIGESTS = timedelta(days=1)  # only the current minute matters; a day helps an inquiry

_rows = NotificationRow.__table__
_digests = NotificationDigest.__table__


@dataclass(frozen=True, order=True)
class DigestKey:
    recipient: str
    department: str  # "" for none
    template: str
    level: str  # the escalation level; "" for templates without one

    def values(self) -> dict[str, str]:
        return {
            "recipient": self.recipient,
            "department": self.department,
            "template": self.template,
            "level": self.level,
        }


def digest_key(row: Any) -> DigestKey | None:
    """The digest a claimed row belongs to; None: it is sent on its own."""
    if (
        row.channel != STAFF_CHANNEL
        or row.template not in DIGESTED_TEMPLATES
        or row.recipient == CUSTOMER
    ):
        return None
    params = row.params if isinstance(row.params, dict) else {}
    level = params.get("level")
    return DigestKey(row.recipient, row.department or "", row.template, str(level or "")[:8])


def group(rows: Iterable[Any]) -> tuple[list[Any], dict[DigestKey, list[Any]]]:
    """(rows sent on their own, digestible rows by key), in claim order."""
    single: list[Any] = []
    keyed: dict[DigestKey, list[Any]] = {}
    for row in rows:
        key = digest_key(row)
        if key is None:
            single.append(row)
        else:
            keyed.setdefault(key, []).append(row)
    return single, dict(sorted(keyed.items()))  # sorted: workers take keys in one order


def take_minute(key: DigestKey, minute: datetime):
    """INSERT ... RETURNING id: a row back means this transaction owns the key's minute."""
    return (
        pg_insert(_digests)
        .values(**key.values(), minute=minute, rows=0)
        .on_conflict_do_nothing(constraint="uq_notification_digests")
        .returning(_digests.c.id)
    )


def more_rows(
    key: DigestKey, columns: Sequence[Any], claimed: list[int], now: datetime, limit: int
):
    """The key's other pending, due rows that no other worker holds."""
    department = func.coalesce(_rows.c.department, "")
    level = func.coalesce(_rows.c.params["level"].astext, "")
    return (
        select(*columns)
        .where(
            _rows.c.status == "pending",
            _rows.c.channel == STAFF_CHANNEL,
            _rows.c.template == key.template,
            _rows.c.recipient == key.recipient,
            department == key.department,
            level == key.level,
            or_(_rows.c.not_before.is_(None), _rows.c.not_before <= now),
            _rows.c.id != all_(bindparam("claimed", value=claimed, type_=ARRAY(Integer))),
        )
        .order_by(_rows.c.created_at, _rows.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def record_rows(digest_id: int, count: int):
    return _digests.update().where(_digests.c.id == digest_id).values(rows=count)


def give_back(digest_id: int):
    """A failed send: the minute is free again for the rows' retry."""
    return delete(_digests).where(_digests.c.id == digest_id)


def prune(before: datetime):
    """Digest rows of minutes long gone (the rows they carried keep their `digest_id`, and
    their text: the outbox's own retention covers those)."""
    return delete(_digests).where(_digests.c.minute < before)


def defer(ids: list[int], until: datetime):
    """Rows whose key's minute is taken wait for the next minute's digest."""
    return (
        _rows.update()
        .where(_rows.c.id == func.any(bindparam("ids", value=ids, type_=ARRAY(Integer))))
        .values(not_before=until)
    )
