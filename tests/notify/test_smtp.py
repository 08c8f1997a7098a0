"""The SMTP adapter against a real aiosmtpd server: STARTTLS or implicit TLS with login,
UTF-8 Chinese subject and body, a Message-ID a resend repeats, and SMTP replies mapped onto
retryable and permanent failures."""

from __future__ import annotations

import socket

import pytest

from caseflow.notify.adapters.smtp import SmtpAdapter
from caseflow.notify.port import (
    Address,
    Message,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from caseflow.notify.templates import render
from tests.notify.conftest import SMTP_PASSWORD, SMTP_USER, SmtpSink, start_smtp

CUSTOMER = Address("email", "email", "customer.email", to=("zhang.san@example.cn",))


def _message(notification_id: int = 41) -> Message:
    rendered = render(
        "feedback",
        "email",
        "zh",
        {"case_id": "CMP-20261122-000001", "message": "已退还30元"},
        "Asia/Shanghai",
    )
    return Message(
        notification_id=notification_id,
        case_id="CMP-20261122-000001",
        template="feedback",
        language="zh",
        subject=rendered.subject,
        body=rendered.body,
    )


def _adapter(sink: SmtpSink, tls_files, **overrides) -> SmtpAdapter:
    options = dict(
        port=sink.port,
        security="starttls",
        username=SMTP_USER,
        password=SMTP_PASSWORD,
        sender="客服中心 <service@caseflow.example.cn>",
        cafile=str(tls_files.cert),
        timeout=5,
    )
    return SmtpAdapter(sink.host, **{**options, **overrides})


async def test_chinese_email_arrives_over_starttls_with_a_message_id_from_the_notification(
    smtp_sink, tls_files
):
    message = _message(41)
    provider_id = await _adapter(smtp_sink, tls_files).send(message, CUSTOMER)

    (got,) = smtp_sink.received
    assert got.tls and got.login == SMTP_USER  # upgraded before logging in
    assert got.rcpt_tos == ["zhang.san@example.cn"]
    assert got.mail_from == "service@caseflow.example.cn"
    mail = got.message
    assert mail["Subject"] == "【caseflow】工单CMP-20261122-000001处理结果"
    assert mail["To"] == "zhang.san@example.cn"
    assert mail["Message-ID"] == "<caseflow-notification-41@caseflow.example.cn>"
    assert provider_id == mail["Message-ID"]
    assert mail["X-Caseflow-Notification"] == "caseflow-notification-41"
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert body == message.body + "\n" and "已退还30元" in body and "尊敬的客户" in body


async def test_a_resend_carries_the_same_message_id(smtp_sink, tls_files):
    adapter = _adapter(smtp_sink, tls_files)
    await adapter.send(_message(7), CUSTOMER)
    await adapter.send(_message(7), CUSTOMER)
    await adapter.send(_message(8), CUSTOMER)
    ids = [r.message["Message-ID"] for r in smtp_sink.received]
    assert ids[0] == ids[1] != ids[2]


async def test_implicit_tls(tls_files):
    sink = SmtpSink()
    server = await start_smtp(sink, tls_files, "tls")
    try:
        await _adapter(sink, tls_files, security="tls").send(_message(), CUSTOMER)
    finally:
        server.close()
        await server.wait_closed()
    (got,) = sink.received
    assert got.tls and got.login == SMTP_USER


async def test_staff_mail_goes_to_every_address_in_one_message(smtp_sink, tls_files):
    staff = Address("email", "internal", "users:team_lead@cs", to=("a@corp.cn", "b@corp.cn"))
    await _adapter(smtp_sink, tls_files).send(_message(), staff)
    (got,) = smtp_sink.received
    assert got.rcpt_tos == ["a@corp.cn", "b@corp.cn"]


async def test_a_refused_recipient_is_permanent_and_the_error_names_no_address(
    smtp_sink, tls_files
):
    smtp_sink.refuse["zhang.san@example.cn"] = "550 5.1.1 <zhang.san@example.cn> unknown"
    with pytest.raises(PermanentDeliveryError) as caught:
        await _adapter(smtp_sink, tls_files).send(_message(), CUSTOMER)
    assert "550" in str(caught.value) and "zhang.san" not in str(caught.value)
    assert not smtp_sink.received


async def test_a_temporary_refusal_is_retryable(smtp_sink, tls_files):
    smtp_sink.refuse["zhang.san@example.cn"] = "450 4.2.1 mailbox busy, try later"
    with pytest.raises(RetryableDeliveryError, match="450"):
        await _adapter(smtp_sink, tls_files).send(_message(), CUSTOMER)


async def test_a_wrong_password_is_retryable_until_the_operator_fixes_it(smtp_sink, tls_files):
    with pytest.raises(RetryableDeliveryError, match="login refused"):
        await _adapter(smtp_sink, tls_files, password="wrong").send(_message(), CUSTOMER)
    assert not smtp_sink.received


async def test_an_untrusted_certificate_is_refused_not_ignored(smtp_sink, tls_files):
    # No cafile: the system's trust store does not know the test certificate.
    with pytest.raises(RetryableDeliveryError, match="unavailable"):
        await _adapter(smtp_sink, tls_files, cafile=None).send(_message(), CUSTOMER)
    assert not smtp_sink.received


async def test_a_relay_that_is_down_is_retryable(tls_files):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink(port=port)
    with pytest.raises(RetryableDeliveryError, match="unavailable"):
        await _adapter(sink, tls_files).send(_message(), CUSTOMER)
