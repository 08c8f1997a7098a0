"""Who a notification's `recipient` is, as an address an adapter can send to.

A row names its recipient abstractly: "customer", a ladder role ("agent", "team_lead",
"supervisor", "manager") or a user id. Here that becomes an `Address`:

- the customer, from the case snapshot (`cases.state -> 'customer'`): the phone for sms, phone
  and in_person; the e-mail address for email; the app id (app, web) or WeChat openid (wechat).
  The reply goes on the customer's own channel (附件三 §7.5.5) when it can: an email or app
  reply with no address (or no gateway) for it falls back to an SMS to the phone, rendered as
  an SMS, rather than not reaching the customer at all.
- staff: the department's group robot (WeCom or DingTalk; the "*" robot when the department
  has none), @-mentioning the on-duty holders of the role; with no robot, an e-mail to those
  holders. A role's holders are active, on-duty users of the case's department, or of none
  (floor-wide staff such as a supervisor), whose `ladder_role` is the role; a user without a
  ladder role holds their application role (an agent is an L1 agent). A user id goes to that
  user (on duty or not: it was addressed to them) the same way.

Nothing resolvable is a `UnresolvableRecipient`: a permanent failure whose text names the
case, role, department or user id, never a phone number or an e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import String, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from caseflow.db.models import CaseRow, User
from caseflow.notify.port import Address, DeliveryError, NotConfigured, UnresolvableRecipient

CUSTOMER = "customer"
LADDER_ROLES = frozenset({"agent", "team_lead", "supervisor", "manager"})
PHONE_CHANNELS = frozenset({"sms", "phone", "in_person"})
# Customer channels answered through an app, and the snapshot field holding its address.
APP_FIELDS = {"app": "app_id", "web": "app_id", "wechat": "openid"}
DEFAULT_ROBOT = "*"
STAFF_CHANNEL = "internal"

_DIALABLE = re.compile(r"\+?\d{5,20}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Robot:
    """A group robot's webhook (the URL holds its key, so it is never shown)."""

    kind: Literal["wecom", "dingtalk"]
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)  # DingTalk "加签" secret


@dataclass(frozen=True)
class StaffMember:
    id: str
    department: str | None
    ladder_role: str
    email: str | None
    phone: str | None
    on_duty: bool


def _phone(value: object) -> str | None:
    """A number a gateway can dial; anonymised or masked values ("138****8000") are not."""
    if not isinstance(value, str):
        return None
    number = re.sub(r"[\s-]", "", value)
    return number if _DIALABLE.fullmatch(number) else None


def _email(value: object) -> str | None:
    if isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
        return value.strip()
    return None


def customer_address(
    case_id: str, channel: str, customer: Mapping[str, Any] | None, deliverable: Collection[str]
) -> Address:
    """Where the customer of `case_id` gets a notification meant for `channel`."""
    customer = customer or {}
    if channel == "email":
        email = _email(customer.get("email"))
        if email and "email" in deliverable:
            return Address("email", "email", "customer.email", to=(email,))
    elif channel in APP_FIELDS:
        key = APP_FIELDS[channel]
        app_id = customer.get(key)
        if isinstance(app_id, str) and app_id and "app" in deliverable:
            return Address("app", channel, f"customer.{key}", to=(app_id,))
    phone = _phone(customer.get("phone"))
    if phone is None:
        raise UnresolvableRecipient(f"case {case_id}: the customer has no dialable phone")
    if "sms" not in deliverable:
        raise NotConfigured(f"case {case_id}: no SMS gateway is configured")
    # Phone-like channels keep their own name (the text shape is the SMS one either way).
    sms_channel = channel if channel in PHONE_CHANNELS else "sms"
    return Address("sms", sms_channel, "customer.phone", to=(phone,))


def staff_address(
    recipient: str,
    department: str | None,
    staff: Sequence[StaffMember],
    robots: Mapping[str, Robot],
    deliverable: Collection[str],
) -> Address:
    """Where a staff notification for `recipient` (a ladder role or a user id) goes."""
    if recipient in LADDER_ROLES:
        holders = [
            s
            for s in staff
            if s.ladder_role == recipient and s.on_duty and s.department in (department, None)
        ]
        who = f"{recipient}@{department or '-'}"
    else:
        holders = [s for s in staff if s.id == recipient]
        if not holders:
            raise UnresolvableRecipient(f"user {recipient} is unknown or inactive")
        who = f"user {recipient}"
    robot_key = department if department in robots else DEFAULT_ROBOT
    robot = robots.get(robot_key)
    if robot is not None:
        phones = tuple(dict.fromkeys(p for s in holders if (p := _phone(s.phone))))
        return Address(
            robot.kind,
            STAFF_CHANNEL,
            f"robot:{robot_key}",
            to=(robot.url,),
            mentions=phones,
            secret=robot.secret,
        )
    emails = tuple(dict.fromkeys(e for s in holders if (e := _email(s.email))))
    if not emails:
        on_duty = "on-duty " if recipient in LADDER_ROLES else ""
        raise UnresolvableRecipient(
            f"{who}: no robot for department {department or '-'} and no {on_duty}"
            "e-mail address to send to"
        )
    if "email" not in deliverable:
        raise NotConfigured(f"{who}: no robot for the department and no e-mail gateway")
    route = f"users:{who}" if recipient in LADDER_ROLES else f"user:{recipient}"
    return Address("email", STAFF_CHANNEL, route, to=emails)


_cases = CaseRow.__table__
_CUSTOMERS = select(_cases.c.case_id, _cases.c.state["customer"].label("customer")).where(
    _cases.c.case_id == func.any(bindparam("case_ids", type_=ARRAY(String)))
)
_users = User.__table__
_role = func.coalesce(_users.c.ladder_role, _users.c.role)
_STAFF = select(
    _users.c.id,
    _users.c.department,
    _role.label("ladder_role"),
    _users.c.email,
    _users.c.phone,
    _users.c.on_duty,
).where(
    _users.c.active,
    or_(
        _users.c.id == func.any(bindparam("user_ids", type_=ARRAY(String))),
        _role == func.any(bindparam("roles", type_=ARRAY(String))),
    ),
)


class RecipientResolver:
    """Resolves a claim's rows with two queries at most (customers, staff), run on the claim's
    own connection before anything is sent."""

    def __init__(self, robots: Mapping[str, Robot], deliverable: Collection[str]) -> None:
        self.robots = dict(robots)
        self.deliverable = frozenset(deliverable)

    async def resolve(
        self, conn: AsyncConnection, rows: Sequence[Any]
    ) -> list[Address | DeliveryError]:
        customer_cases = sorted({r.case_id for r in rows if r.recipient == CUSTOMER})
        customers: dict[str, Any] = {}
        if customer_cases:
            result = await conn.execute(_CUSTOMERS, {"case_ids": customer_cases})
            customers = {r.case_id: r.customer for r in result}
        named = {r.recipient for r in rows if r.recipient != CUSTOMER}
        staff: list[StaffMember] = []
        if named:
            result = await conn.execute(
                _STAFF,
                {
                    "user_ids": sorted(named - LADDER_ROLES),
                    "roles": sorted(named & LADDER_ROLES),
                },
            )
            staff = [StaffMember(**r._mapping) for r in result]
        found: list[Address | DeliveryError] = []
        for row in rows:
            try:
                if row.recipient == CUSTOMER:
                    customer = customers.get(row.case_id)
                    found.append(
                        customer_address(
                            row.case_id,
                            row.channel,
                            customer if isinstance(customer, dict) else None,
                            self.deliverable,
                        )
                    )
                else:
                    found.append(
                        staff_address(
                            row.recipient, row.department, staff, self.robots, self.deliverable
                        )
                    )
            except DeliveryError as exc:
                found.append(exc)
        return found
