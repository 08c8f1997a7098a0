"""Who may read a case, what of it they see, and the record of every unmasked read.

- An intake channel reads and acts only on the cases it filed (`CaseState.filed_by`); any other
  case is "not found" to it, so case numbers cannot be probed through a channel's token.
- An agent reads only their department's cases (403: they know the case exists).
- Roles outside `UNMASKED_ROLES` (intake channels) see every personal value masked wherever it
  appears: the customer's phone and id, a fault's service number, and any of them (or any
  mobile or ID-card number) quoted in free text such as a termination error, a timeline
  summary or an event's data.
- Every read that shows personal data unmasked is written to `personal_data_access`.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import User
from caseflow.domain import CaseState, Role
from caseflow.pii import UNMASKED_ROLES, record_access

# A mainland mobile number (optionally +86) and an 18-character resident ID number, standing
# alone: case numbers and timestamps have no digit runs this long.
_FREE_TEXT_PII = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+?86)?1[3-9]\d{9}|\d{17}[\dXx])(?![0-9A-Za-z])"
)
_MIN_KNOWN = 4  # shorter known values (a stray "1") would mask unrelated text


def not_found(case_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")


def is_masked(user: User) -> bool:
    return Role(user.role) not in UNMASKED_ROLES


def check_filer(user: User, case_id: str, filed_by: str | None) -> None:
    """A channel acts for the customers whose cases it filed, and knows of no others."""
    if user.role == Role.CHANNEL.value and filed_by != user.id:
        raise not_found(case_id)


def check_can_read(user: User, state: CaseState) -> None:
    check_filer(user, state.case_id, state.filed_by)
    # 首问负责制 (002 §7.3): the first responsible agent follows the case into any department.
    follows = state.first_responsible == user.id
    if user.role == Role.AGENT.value and state.department != user.department and not follows:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"case {state.case_id} belongs to department '{state.department}'; agents see "
            "only their own department's cases",
        )


def mask(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str | None:
    if not value:
        return value
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_email(value: str | None) -> str | None:
    """z***n@example.com: the domain stays (it says which provider), the mailbox does not."""
    if not value or "@" not in value:
        return mask(value)
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***{local[-1:] if len(local) > 1 else ''}@{domain}"


class Scrubber:
    """Masks one case's personal values in any text shown to a masked role."""

    def __init__(self, state: CaseState) -> None:
        known = {state.customer.phone: mask(state.customer.phone)}
        c = state.customer
        if c.customer_id:
            known[c.customer_id] = mask(c.customer_id, 2, 2)
        if c.email:
            known[c.email] = mask_email(c.email)
        for app_id in (c.app_id, c.openid):
            if app_id:
                known[app_id] = mask(app_id, 2, 2)
        if state.fault is not None and state.fault.service_number:
            known[state.fault.service_number] = mask(state.fault.service_number)
        # Longest first, so a value containing another is masked whole.
        self._known = sorted(
            ((v, m) for v, m in known.items() if v and len(v) >= _MIN_KNOWN),
            key=lambda item: -len(item[0]),
        )

    def text(self, value: str) -> str:
        out = value
        for plain, masked in self._known:
            if plain in out:
                out = out.replace(plain, masked)
        out = _FREE_TEXT_PII.sub(lambda m: mask(m.group(0)) or "", out)
        return value if out == value else out  # keep enum members as they are

    def tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(v) for v in value]
        return value


async def audit_read(engine: AsyncEngine, user: User, case_id: str, what: str) -> None:
    """Record a read that showed `case_id`'s personal data unmasked (masked reads are not)."""
    if not is_masked(user):
        await record_access(engine, case_id, user.id, user.role, what)
