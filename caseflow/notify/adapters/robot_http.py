"""What the WeCom and DingTalk group robots share: one JSON POST to a webhook, and the
mapping of its outcome onto retryable and permanent delivery errors.

Both answer HTTP 200 with `{"errcode": 0, "errmsg": "ok"}` on success and a non-zero errcode
otherwise; neither returns a message id, so the notification's idempotency key (which the
adapters put in the text) stands in for one.
"""

from __future__ import annotations

import httpx

from caseflow.notify.port import PermanentDeliveryError, RetryableDeliveryError, scrub


async def post_json(
    provider: str,
    url: httpx.URL | str,
    payload: dict,
    *,
    timeout: float,
    retryable_errcodes: frozenset[int],
) -> None:
    """POST `payload`; return when the robot took it, raise a `DeliveryError` otherwise. The
    webhook URL carries the robot's key, so no error text includes it."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, json=payload)
    except httpx.TimeoutException as exc:
        raise RetryableDeliveryError(f"{provider} robot timed out") from exc
    except httpx.TransportError as exc:
        raise RetryableDeliveryError(
            f"{provider} robot unreachable ({type(exc).__name__})"
        ) from exc
    status = response.status_code
    if status >= 500 or status == 429:
        raise RetryableDeliveryError(f"{provider} robot answered HTTP {status}")
    if status >= 400:
        raise PermanentDeliveryError(f"{provider} robot answered HTTP {status}")
    try:
        answer = response.json()
    except ValueError:
        # e.g. a proxy's HTML error page: the robot itself may be fine a moment later
        raise RetryableDeliveryError(f"{provider} robot answered HTTP {status}, not JSON") from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode == 0:
        return
    error = f"{provider} robot errcode {errcode}: {scrub(answer.get('errmsg', ''))}"
    if errcode in retryable_errcodes:
        raise RetryableDeliveryError(error)
    raise PermanentDeliveryError(error)


def cut_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (robots count bytes, Chinese takes three)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def with_footer(text: str, limit: int, footer: str) -> str:
    """`text` cut so that it and `footer` (which always survives) fit in `limit` bytes."""
    return cut_utf8(text, limit - len(footer.encode())) + footer
