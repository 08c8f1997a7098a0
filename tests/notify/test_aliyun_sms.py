"""The Alibaba Cloud SMS adapter: the official SDK pointed at a local server standing in for
dysmsapi, asserting the SendSms request it makes and how each answer is taken."""

from __future__ import annotations

import json

import pytest

from caseflow.notify.adapters.aliyun_sms import AliyunSmsAdapter
from caseflow.notify.port import (
    Address,
    Message,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from caseflow.notify.templates import render

PHONE = "13800138000"
CUSTOMER = Address("sms", "sms", "customer.phone", to=(PHONE,))
CASE = "CMP-20261122-000001"
OK = (200, {"RequestId": "req-1", "Code": "OK", "Message": "OK", "BizId": "900619^0"})


def _message(notification_id: int = 12, template: str = "intake_ack") -> Message:
    params = {"case_id": CASE}
    rendered = render(template, "sms", "zh", params, "Asia/Shanghai")
    return Message(notification_id, CASE, template, "zh", rendered.subject, rendered.body, params)


def _adapter(gateway, **overrides) -> AliyunSmsAdapter:
    options = dict(
        access_key_id="LTAI-test-key",
        access_key_secret="test-secret",
        sign_name="caseflow",
        template_code="SMS_000001",
        endpoint=gateway.url,
        timeout=2,
    )
    return AliyunSmsAdapter(**{**options, **overrides})


async def test_send_sms_request_shape_and_biz_id(gateway):
    gateway.script("/", OK)
    biz_id = await _adapter(gateway).send(_message(12), CUSTOMER)
    assert biz_id == "900619^0"

    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.headers["Authorization"].startswith(
        "ACS3-HMAC-SHA256 Credential=LTAI-test-key,"
    )  # signed by the SDK
    query = request.query
    assert query["PhoneNumbers"] == PHONE
    assert query["SignName"] == "caseflow"
    assert query["TemplateCode"] == "SMS_000001"
    assert query["OutId"] == "caseflow-notification-12"  # the idempotency key
    # The text without our 【caseflow】 brand: the gateway puts the approved signature first.
    assert json.loads(query["TemplateParam"]) == {
        "content": f"您的投诉已受理，工单号{CASE}，我们将在规定时限内处理并回复您。"
    }


async def test_a_template_with_its_own_approved_code_gets_the_parameters(gateway):
    gateway.script("/", OK)
    adapter = _adapter(gateway, templates={"intake_ack": "SMS_777"})
    await adapter.send(_message(), CUSTOMER)
    (request,) = gateway.requests
    assert request.query["TemplateCode"] == "SMS_777"
    assert json.loads(request.query["TemplateParam"]) == {"case_id": CASE}


@pytest.mark.parametrize(
    "answer",
    [
        (200, {"RequestId": "r", "Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
        (200, {"RequestId": "r", "Code": "isp.SYSTEM_ERROR", "Message": "system error"}),
        (500, {"RequestId": "r", "Code": "InternalError", "Message": "boom"}),
        (503, "<html>bad gateway</html>"),
        (400, {"RequestId": "r", "Code": "Throttling.User", "Message": "slow down"}),
    ],
)
async def test_rate_limits_and_provider_faults_are_retryable(gateway, answer):
    gateway.script("/", answer)
    with pytest.raises(RetryableDeliveryError):
        await _adapter(gateway).send(_message(), CUSTOMER)


@pytest.mark.parametrize(
    "answer",
    [
        (200, {"RequestId": "r", "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"{PHONE}非法"}),
        (400, {"RequestId": "r", "Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": f"bad {PHONE}"}),
    ],
)
async def test_a_refused_number_or_template_is_permanent_and_the_error_hides_the_number(
    gateway, answer
):
    gateway.script("/", answer)
    with pytest.raises(PermanentDeliveryError) as caught:
        await _adapter(gateway).send(_message(), CUSTOMER)
    text = str(caught.value)
    assert answer[1]["Code"] in text and PHONE not in text


async def test_a_gateway_that_does_not_answer_in_time_is_retryable(gateway):
    gateway.script("/", (*OK, 1.5))  # answers after 1.5 s; the adapter waits 0.5 s
    with pytest.raises(RetryableDeliveryError, match="unavailable"):
        await _adapter(gateway, timeout=0.5).send(_message(), CUSTOMER)
