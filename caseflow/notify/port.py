"""The port every delivery adapter implements, and the values that cross it.

An adapter sends one rendered `Message` to one resolved `Address` and answers with the
provider's message id, or raises a `DeliveryError` that says whether trying again can help.
Error texts end up in logs and in the row's `last_error`, so they name ids and provider codes,
never a phone number, an e-mail address or a message body (`scrub` guards provider texts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

IDEMPOTENCY_PREFIX = "caseflow-notification-"


def idempotency_key(notification_id: int) -> str:
    """The key every send of one notification carries, so a resend can be recognised (and a
    later count of duplicates can group by it)."""
    return f"{IDEMPOTENCY_PREFIX}{notification_id}"


@dataclass(frozen=True)
class Message:
    """One notification as rendered for the address it goes to."""

    notification_id: int
    case_id: str
    template: str
    language: str
    subject: str | None  # None on SMS-like channels
    body: str
    params: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.notification_id)


@dataclass(frozen=True)
class Address:
    """Where one notification goes, as the recipient resolver found it.

    `kind` picks the adapter; `channel` is the channel whose text shape is sent (an app reply
    that falls back to SMS is rendered as SMS); `route` says in ids only how the address was
    found ("customer.phone", "robot:network_ops", "users:team_lead@network_ops") and is what
    logs, errors and the row may show. `to` and `mentions` hold personal data: never log them.
    """

    kind: str  # sms / email / app / wecom / dingtalk / log
    channel: str
    route: str
    to: tuple[str, ...] = field(default=(), repr=False)  # phones, e-mails, app id, webhook URL
    mentions: tuple[str, ...] = field(default=(), repr=False)  # staff phones a robot @-mentions
    secret: str | None = field(default=None, repr=False)  # a robot's signing secret


class DeliveryError(Exception):
    """A send that did not go through. `retryable` tells the delivery worker whether to try
    again later (gateway down, rate limited) or to give the row up (bad address, no route)."""

    retryable = True


class RetryableDeliveryError(DeliveryError):
    retryable = True


class PermanentDeliveryError(DeliveryError):
    retryable = False


class UnresolvableRecipient(PermanentDeliveryError):
    """Nothing to send to: no phone on the case, no on-duty staff with an address, no robot."""


class NotConfigured(PermanentDeliveryError):
    """The address is known but no gateway for its kind is configured."""


@runtime_checkable
class Adapter(Protocol):
    """One gateway. `name` is recorded on the row as the provider that took the message."""

    name: str

    async def send(self, message: Message, address: Address) -> str:
        """Send and return the provider's message id; raise a `DeliveryError` otherwise."""
        ...


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DIGITS = re.compile(r"\+?\d[\d -]{5,}\d")  # phone-like runs of seven or more digits


def scrub(text: object, limit: int = 200) -> str:
    """A provider's error text made safe for logs: e-mail addresses and phone-like numbers
    (gateways like to echo the number they refused) are masked, and the text is cut short."""
    cleaned = _DIGITS.sub("<number>", _EMAIL.sub("<email>", str(text)))
    return cleaned[:limit]
