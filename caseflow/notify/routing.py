"""The routing sender: resolves each row's recipient to an address and picks the adapter for
the address's kind. `build_sender(settings)` makes one from the configuration."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from caseflow.notify.adapters.dingtalk import DingTalkRobotAdapter
from caseflow.notify.adapters.log import LogAdapter
from caseflow.notify.adapters.smtp import SmtpAdapter
from caseflow.notify.adapters.wecom import WeComRobotAdapter
from caseflow.notify.port import Adapter, Address, DeliveryError, NotConfigured
from caseflow.notify.recipients import RecipientResolver, Robot
from caseflow.settings import Settings

log = logging.getLogger(__name__)

ADDRESS_KINDS = frozenset({"sms", "email", "app", "wecom", "dingtalk"})
ROBOT_KINDS = ("wecom", "dingtalk")


class RoutingSender:
    """Address kind -> adapter. With a `fallback` (the log, in development) every kind is
    deliverable and a recipient that cannot be resolved is still logged under its label; without
    one, an unresolvable recipient or a kind with no adapter is a permanent failure."""

    def __init__(
        self,
        adapters: Mapping[str, Adapter],
        robots: Mapping[str, Robot] | None = None,
        *,
        fallback: Adapter | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.fallback = fallback
        deliverable = ADDRESS_KINDS if fallback is not None else frozenset(self.adapters)
        self.resolver = RecipientResolver(robots or {}, deliverable)

    async def resolve(
        self, conn: AsyncConnection, rows: Sequence[Any]
    ) -> list[Address | DeliveryError]:
        found = await self.resolver.resolve(conn, rows)
        if self.fallback is None:
            return found
        # Development: what cannot be resolved is still logged, under its recipient label.
        return [
            a if isinstance(a, Address) else Address("log", row.channel, f"log:{row.recipient}")
            for row, a in zip(rows, found, strict=True)
        ]

    def adapter(self, address: Address) -> Adapter:
        adapter = self.adapters.get(address.kind, self.fallback)
        if adapter is None:
            raise NotConfigured(f"no {address.kind} gateway is configured ({address.route})")
        return adapter


def robots_from(settings: Settings) -> dict[str, Robot]:
    """The configured robots, checked: a typo in the JSON stops the worker at start."""
    robots = {}
    for department, raw in settings.notify_robots.items():
        kind, url = raw.get("kind"), raw.get("url")
        if kind not in ROBOT_KINDS or not url or set(raw) - {"kind", "url", "secret"}:
            raise ValueError(
                f"CASEFLOW_NOTIFY_ROBOTS[{department!r}]: expected "
                '{"kind": "wecom" or "dingtalk", "url": ..., optional "secret"}'
            )
        robots[department] = Robot(kind, url, raw.get("secret") or None)
    return robots


def build_sender(settings: Settings) -> RoutingSender:
    """The adapters the settings configure; none at all means the log takes everything."""
    adapters: dict[str, Adapter] = {}
    timeout = settings.notify_timeout
    if settings.notify_smtp_host:
        adapters["email"] = SmtpAdapter(
            settings.notify_smtp_host,
            port=settings.notify_smtp_port,
            security=settings.notify_smtp_security,  # one of the three (the field has a pattern)
            username=settings.notify_smtp_user,
            password=settings.notify_smtp_password,
            sender=settings.notify_email_from,
            cafile=settings.notify_smtp_cafile,
            timeout=timeout,
        )
    if settings.notify_sms_access_key_id:
        if not (settings.notify_sms_access_key_secret and settings.notify_sms_template_code):
            raise ValueError(
                "CASEFLOW_NOTIFY_SMS_ACCESS_KEY_ID is set: CASEFLOW_NOTIFY_SMS_ACCESS_KEY_SECRET "
                "and CASEFLOW_NOTIFY_SMS_TEMPLATE_CODE are needed too"
            )
        # Imported here: the SDK takes most of a second to import, a stack without SMS never
        # needs it.
        from caseflow.notify.adapters.aliyun_sms import AliyunSmsAdapter

        adapters["sms"] = AliyunSmsAdapter(
            access_key_id=settings.notify_sms_access_key_id,
            access_key_secret=settings.notify_sms_access_key_secret,
            sign_name=settings.notify_sms_sign_name,
            template_code=settings.notify_sms_template_code,
            templates=settings.notify_sms_templates,
            endpoint=settings.notify_sms_endpoint,
            timeout=timeout,
        )
    robots = robots_from(settings)
    if robots:
        adapters["wecom"] = WeComRobotAdapter(timeout)
        adapters["dingtalk"] = DingTalkRobotAdapter(timeout)
    if not adapters:
        log.info("no notification gateway configured: notifications are only logged")
        return RoutingSender({}, fallback=LogAdapter())
    missing = sorted({"sms", "email"} - set(adapters))
    log.info(
        "notification gateways configured",
        extra={
            "gateways": ",".join(sorted({a.name for a in adapters.values()})),
            "robots": ",".join(sorted(robots)),
            "missing": ",".join(missing),
        },
    )
    return RoutingSender(adapters, robots)
