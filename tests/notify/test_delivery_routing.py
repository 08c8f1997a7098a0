"""The delivery worker with the routing sender built from settings, against the embedded
PostgreSQL, a real SMTP server and local stand-ins for the SMS provider and the robots:
each row reaches its gateway, is recorded with its provider, id and route, is retried with
backoff while a gateway fails and gives up at once when nobody can be reached."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from caseflow.notify.delivery import DeliveryWorker
from caseflow.notify.routing import RoutingSender, build_sender
from caseflow.settings import Settings
from tests.notify.conftest import SMTP_PASSWORD, SMTP_USER
from tests.notify.outbox import add_case, add_department, add_user, drain, remove_test_data, rows

PHONE = "13800138000"
EMAIL = "zhang.san@example.cn"
CUSTOMER = {"name": "张三", "phone": PHONE, "customer_id": "C-1", "tier": "standard"}
SECRET = "SEC-robot-secret"
SMS_OK = (200, {"RequestId": "r", "Code": "OK", "Message": "OK", "BizId": "biz-1"})
ROBOT_OK = (200, {"errcode": 0, "errmsg": "ok"})


@pytest_asyncio.fixture(autouse=True)
async def _isolated(db_engine):
    await drain(db_engine)  # rows other tests left pending would be claimed too
    yield
    await remove_test_data(db_engine)


def _settings(gateway=None, smtp=None, tls_files=None, robots=None, **extra) -> Settings:
    values: dict = {}
    if smtp is not None:
        values |= dict(
            notify_smtp_host=smtp.host,
            notify_smtp_port=smtp.port,
            notify_smtp_user=SMTP_USER,
            notify_smtp_password=SMTP_PASSWORD,
            notify_smtp_cafile=str(tls_files.cert),
            notify_email_from="caseflow <service@caseflow.example.cn>",
        )
    if gateway is not None:
        values |= dict(
            notify_sms_access_key_id="LTAI-test",
            notify_sms_access_key_secret="secret",
            notify_sms_template_code="SMS_000001",
            notify_sms_endpoint=gateway.url,
        )
    values |= dict(notify_robots=robots or {}, notify_timeout=2, **extra)
    return Settings(_env_file=None, **values)


def _dingtalk(gateway) -> dict:
    return {"kind": "dingtalk", "url": f"{gateway.url}/robot/send?access_token=t", "secret": SECRET}


def _wecom(gateway) -> dict:
    return {"kind": "wecom", "url": f"{gateway.url}/cgi-bin/webhook/send?key=k"}


async def test_each_row_reaches_its_gateway_and_records_provider_id_and_route(
    db_engine, gateway, smtp_sink, tls_files
):
    dept = await add_department(db_engine)
    await add_user(db_engine, dept, ladder_role="team_lead", phone="13900000001")
    await add_user(db_engine, dept, ladder_role="team_lead", phone="13900000002", on_duty=False)
    gateway.defaults = {"/": SMS_OK, "/robot/send": ROBOT_OK, "/cgi-bin/webhook/send": ROBOT_OK}
    robots = {dept: _dingtalk(gateway), "*": _wecom(gateway)}
    sender = build_sender(_settings(gateway, smtp_sink, tls_files, robots))
    case_id = await add_case(
        db_engine,
        {**CUSTOMER, "email": EMAIL},
        [
            {},  # the intake acknowledgement by SMS
            {"channel": "email", "template": "feedback", "params": {"message": "已退还30元"}},
            {"channel": "app"},  # no app id on the case, no push gateway: an SMS instead
            {
                "recipient": "team_lead",
                "channel": "internal",
                "template": "escalation",
                "params": {"level": "2", "level_name": "L2 team lead", "reason": "breached"},
            },
            {"recipient": "supervisor", "channel": "internal", "department": "marketing"},
        ],
        dept,
    )

    assert await DeliveryWorker(db_engine, sender).run_once() == 5
    sms, email, app, alert, other = await rows(db_engine, case_id)
    assert all(r.status == "sent" and r.attempts == 1 for r in (sms, email, app, alert, other))

    # SMS: the SDK's SendSms to the phone, the row id as OutId, the provider's BizId recorded.
    sms_requests = gateway.to("/")
    assert [r.query["OutId"] for r in sms_requests] == [
        f"caseflow-notification-{sms.id}",
        f"caseflow-notification-{app.id}",
    ]
    assert {r.query["PhoneNumbers"] for r in sms_requests} == {PHONE}
    assert (sms.provider, sms.provider_id, sms.route) == ("aliyun_sms", "biz-1", "customer.phone")
    # The app reply went as an SMS, and what is stored is the SMS text that was sent.
    assert (app.provider, app.route, app.subject) == ("aliyun_sms", "customer.phone", None)
    assert app.body.startswith("【caseflow】") and case_id in app.body

    # E-mail: to the customer's address, Message-ID from the row id, the same text stored.
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == [EMAIL]
    assert mail.message["Message-ID"] == f"<caseflow-notification-{email.id}@caseflow.example.cn>"
    assert mail.message["Subject"] == email.subject
    assert mail.message.get_content().rstrip("\n") == email.body and "已退还30元" in email.body
    assert (email.provider, email.provider_id, email.route) == (
        "smtp",
        mail.message["Message-ID"],
        "customer.email",
    )

    # Staff: the department's DingTalk robot, signed, mentioning the on-duty team lead only.
    (ding,) = gateway.to("/robot/send")
    stamp = ding.query["timestamp"]
    digest = hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert ding.query["sign"] == base64.b64encode(digest).decode()
    sent = ding.json()
    assert sent["at"]["atMobiles"] == ["13900000001"]
    assert f"caseflow-notification-{alert.id}" in sent["markdown"]["text"]
    assert (alert.provider, alert.route) == ("dingtalk", f"robot:{dept}")
    assert alert.provider_id == f"caseflow-notification-{alert.id}"
    # Another department without a robot of its own: the default (WeCom) robot.
    (wecom,) = gateway.to("/cgi-bin/webhook/send")
    assert wecom.json()["msgtype"] == "markdown"
    assert (other.provider, other.route) == ("wecom", "robot:*")


async def test_without_a_robot_staff_alerts_are_mailed_to_the_on_duty_holders(
    db_engine, smtp_sink, tls_files
):
    dept = await add_department(db_engine)
    await add_user(db_engine, dept, ladder_role="team_lead", email="lead.on@corp.cn")
    await add_user(
        db_engine, dept, ladder_role="team_lead", email="lead.off@corp.cn", on_duty=False
    )
    await add_user(db_engine, dept, ladder_role="manager", email="boss@corp.cn")
    sender = build_sender(_settings(smtp=smtp_sink, tls_files=tls_files))
    case_id = await add_case(
        db_engine, CUSTOMER, [{"recipient": "team_lead", "channel": "internal"}], dept
    )
    assert await DeliveryWorker(db_engine, sender).run_once() == 1
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["lead.on@corp.cn"]
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.provider, row.route) == ("sent", "smtp", f"users:team_lead@{dept}")


async def _deliver_until_settled(worker, engine, case_id, limit=10.0) -> list[float]:
    """Run passes until the row leaves 'pending'; returns when each attempt was made."""
    attempts_at: list[float] = []
    seen = 0
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await worker.run_once()
        (row,) = await rows(engine, case_id)
        if row.attempts > seen:
            attempts_at.append(time.monotonic())
            seen = row.attempts
        if row.status != "pending":
            return attempts_at
        await asyncio.sleep(0.05)
    raise AssertionError("the row never settled")


async def test_a_failing_sms_gateway_is_retried_with_backoff_until_it_recovers(db_engine, gateway):
    # Fails twice (a 500, then the provider's rate limit), then takes the message.
    gateway.script(
        "/",
        (500, {"RequestId": "r", "Code": "InternalError", "Message": "boom"}),
        (200, {"RequestId": "r", "Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"}),
        SMS_OK,
    )
    worker = DeliveryWorker(db_engine, build_sender(_settings(gateway)), retry_delay=0.4)
    case_id = await add_case(db_engine, CUSTOMER, [{}], "customer_service")

    await worker.run_once()
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("RetryableDeliveryError: aliyun_sms HTTP 500 InternalError")
    assert row.not_before > datetime.now(UTC)  # backing off
    await worker.run_once()  # not due yet: no second request
    assert len(gateway.requests) == 1

    await _deliver_until_settled(worker, db_engine, case_id)
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 3, "biz-1")
    times = [r.at for r in gateway.requests]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.35 and times[2] - times[1] >= 0.75  # 0.4 s, then doubled
    # Every attempt carried the same idempotency key: a duplicate would be recognisable.
    assert {r.query["OutId"] for r in gateway.requests} == {f"caseflow-notification-{row.id}"}


async def test_a_robot_answering_errcodes_is_retried_until_it_recovers(db_engine, gateway):
    gateway.script(
        "/cgi-bin/webhook/send",
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (502, "bad gateway"),
        ROBOT_OK,
    )
    sender = build_sender(_settings(robots={"*": _wecom(gateway)}))
    worker = DeliveryWorker(db_engine, sender, retry_delay=0.2)
    case_id = await add_case(
        db_engine, CUSTOMER, [{"recipient": "supervisor", "channel": "internal"}], "policy"
    )
    await _deliver_until_settled(worker, db_engine, case_id)
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts, row.provider) == ("sent", 3, "wecom")
    keys = {
        f"caseflow-notification-{row.id}" in r.json()["markdown"]["content"]
        for r in gateway.requests
    }
    assert len(gateway.requests) == 3 and keys == {True}


async def test_retries_stop_after_max_attempts(db_engine, gateway):
    gateway.defaults = {"/": (503, "unavailable")}
    worker = DeliveryWorker(
        db_engine, build_sender(_settings(gateway)), retry_delay=0.05, max_attempts=3
    )
    case_id = await add_case(db_engine, CUSTOMER, [{}], "customer_service")
    await _deliver_until_settled(worker, db_engine, case_id)
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts, row.provider) == ("failed", 3, "aliyun_sms")
    assert len(gateway.requests) == 3


async def test_unresolvable_recipients_fail_at_once_with_errors_free_of_personal_data(
    db_engine, gateway, caplog
):
    dept = await add_department(db_engine)
    # A team lead exists but has no e-mail, and the department has no robot.
    await add_user(db_engine, dept, ladder_role="team_lead", phone="13900000009")
    gateway.defaults = {"/": SMS_OK}
    sender = build_sender(_settings(gateway))
    anonymised = {**CUSTOMER, "name": "(anonymised)", "phone": "(anonymised)", "email": EMAIL}
    lost = await add_case(db_engine, anonymised, [{}, {"channel": "email"}], dept)
    staff = await add_case(
        db_engine, CUSTOMER, [{"recipient": "team_lead", "channel": "internal"}], dept
    )

    with caplog.at_level(logging.INFO, logger="caseflow.notify"):
        await DeliveryWorker(db_engine, sender, retry_delay=0).run_once()

    sms, email = await rows(db_engine, lost)
    (alert,) = await rows(db_engine, staff)
    for row in (sms, email, alert):
        assert (row.status, row.attempts) == ("failed", 1)  # no retry can help
    assert (
        sms.last_error == f"UnresolvableRecipient: case {lost}: the customer has no dialable phone"
    )
    # SMTP is not configured here and the phone is gone: the e-mail has nowhere to go either.
    assert email.last_error == sms.last_error
    assert alert.last_error == (
        f"UnresolvableRecipient: team_lead@{dept}: no robot for department {dept} and no "
        "on-duty e-mail address to send to"
    )
    assert not gateway.requests
    logged = " ".join(
        f"{r.getMessage()} {json.dumps(vars(r), default=str, ensure_ascii=False)}"
        for r in caplog.records
    )
    assert "failed for good" in logged
    for secret in (PHONE, EMAIL, "13900000009", "example.cn"):
        assert secret not in logged
        assert all(secret not in (r.last_error or "") for r in (sms, email, alert))


async def test_a_number_the_provider_refuses_fails_at_once_without_the_number(db_engine, gateway):
    gateway.script(
        "/",
        (200, {"RequestId": "r", "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"{PHONE} 非法"}),
    )
    worker = DeliveryWorker(db_engine, build_sender(_settings(gateway)), retry_delay=0)
    case_id = await add_case(db_engine, CUSTOMER, [{}], "customer_service")
    await worker.run_once()
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts, row.provider, row.route) == (
        "failed",
        1,
        "aliyun_sms",
        "customer.phone",
    )
    assert "isv.MOBILE_NUMBER_ILLEGAL" in row.last_error and PHONE not in row.last_error


async def test_a_kind_with_no_gateway_configured_fails_permanently(db_engine, gateway):
    # Only a robot is configured: a customer's SMS has no gateway to go to.
    sender = build_sender(_settings(robots={"*": _wecom(gateway)}))
    case_id = await add_case(db_engine, CUSTOMER, [{}], "customer_service")
    await DeliveryWorker(db_engine, sender).run_once()
    (row,) = await rows(db_engine, case_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == f"NotConfigured: case {case_id}: no SMS gateway is configured"


async def test_with_nothing_configured_every_row_is_logged_as_sent(db_engine, caplog):
    sender = build_sender(_settings())
    assert isinstance(sender, RoutingSender) and sender.fallback is not None
    case_id = await add_case(
        db_engine,
        {**CUSTOMER, "app_id": "app-user-7"},
        [{}, {"channel": "app"}, {"recipient": "manager", "channel": "internal"}],
        "customer_service",
    )
    with caplog.at_level(logging.INFO, logger="caseflow.notify"):
        assert await DeliveryWorker(db_engine, sender).run_once() == 3
    sms, app, alert = await rows(db_engine, case_id)
    assert [(r.status, r.provider, r.route) for r in (sms, app, alert)] == [
        ("sent", "log", "customer.phone"),
        ("sent", "log", "customer.app_id"),
        ("sent", "log", "log:manager"),  # nobody to reach in development: logged anyway
    ]
    lines = [r for r in caplog.records if r.getMessage() == "notification sent"]
    assert {r.notification_id for r in lines} == {sms.id, app.id, alert.id}
    everything = json.dumps([vars(r) for r in caplog.records], default=str, ensure_ascii=False)
    assert PHONE not in everything and "app-user-7" not in everything and "张三" not in everything


def test_robots_come_from_json_in_the_environment(monkeypatch):
    monkeypatch.setenv(
        "CASEFLOW_NOTIFY_ROBOTS",
        '{"*": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?'
        'key=robot-key-xyz"}, "network_ops": {"kind": "dingtalk", "url": '
        '"https://oapi.dingtalk.com/robot/send?access_token=robot-token-xyz", "secret": "S"}}',
    )
    settings = Settings(_env_file=None)
    sender = build_sender(settings)
    assert set(sender.adapters) == {"wecom", "dingtalk"}
    robots = sender.resolver.robots
    assert (robots["*"].kind, robots["network_ops"].kind) == ("wecom", "dingtalk")
    assert robots["network_ops"].secret == "S"
    # The URLs hold the robots' keys: neither the settings nor the robots show them.
    for shown in (repr(settings), repr(robots)):
        assert "robot-key-xyz" not in shown and "robot-token-xyz" not in shown


@pytest.mark.parametrize(
    "settings",
    [
        {"notify_robots": {"*": {"kind": "slack", "url": "https://example.invalid"}}},
        {"notify_robots": {"*": {"kind": "wecom"}}},
        {"notify_sms_access_key_id": "LTAI-only-the-id"},
    ],
)
def test_a_broken_configuration_stops_at_start(settings):
    with pytest.raises(ValueError, match="CASEFLOW_NOTIFY_"):
        build_sender(Settings(_env_file=None, **settings))
