"""Every template renders on every channel, in Chinese and English, and names its case."""

from __future__ import annotations

import pytest

from caseflow.domain import Channel
from caseflow.notify.templates import CHANNEL_KIND, TEMPLATES, render

CASE_ID = "CMP-20261122-000001"
TZ = "Asia/Shanghai"  # the packaged policies' zone
# Realistic values for every parameter a workflow passes (see workflows/*.py).
PARAMS = {
    "case_id": CASE_ID,
    "services": "vas:music",
    "message": "已退还多收的30元话费",
    "question": "请提供出现问题的账单月份",
    "window": "handling",
    "due": "2026-11-23T08:00:00+00:00",
    "level": "2",
    "level_name": "L2 team lead",
    "reason": "handling window breached",
    "from": "billing",
    "complaint_id": "CMP-20261122-000002",
    "engineer": "张师傅",
    "appointment": "2026-11-23T06:00:00+00:00",
    "cause": "光纤损坏",
    "fix": "已熔接",
    "department": "产品部",
    "to": "产品部",
    "appeal_id": "APL-20261122-000003",
}
ALL_TEMPLATES = [
    "intake_ack",
    "info_request",
    "feedback",
    "warning",
    "escalation",
    "new_case",
    "transfer",
    "assigned",
    "reopened",
    "consent_request",
    "unsubscribe_done",
    "not_confirmed",
    "converted",
    "termination_failed",
    "review",
    "appointment",
    "progress",
    "restored",
    "fulfilled",
    "complaint_result",
    "forwarded",
    "info_reminder",
    "no_response",
    "urged",
    "extended",
    "sent_back",
    "followed_transferred",
    "followed_sent_back",
    "appealed",
    "regulator_reply",
    "case_lost",
]
CUSTOMER_TEMPLATES = [t for t in ALL_TEMPLATES if "customer" in TEMPLATES[t]["zh"]]
CHANNELS = [c.value for c in Channel] + ["internal"]
SMS_LIKE = [c for c in CHANNELS if CHANNEL_KIND[c] == "sms"]


def test_every_listed_template_has_texts_in_both_languages():
    assert set(ALL_TEMPLATES) <= set(TEMPLATES)
    for template in TEMPLATES:
        assert set(TEMPLATES[template]) == {"zh", "en"}, template
        assert set(TEMPLATES[template]["zh"]) == set(TEMPLATES[template]["en"]), template


def test_every_channel_has_a_kind():
    assert {c: CHANNEL_KIND[c] for c in ("phone", "web", "wechat", "in_person")} == {
        "phone": "sms",
        "web": "app",
        "wechat": "app",
        "in_person": "sms",
    }
    assert set(CHANNELS) <= set(CHANNEL_KIND)


@pytest.mark.parametrize("template", ALL_TEMPLATES)
@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_renders_with_the_case_id(template, channel, language):
    rendered = render(template, channel, language, PARAMS, TZ)
    assert CASE_ID in rendered.body
    assert "{" not in rendered.body + (rendered.subject or "")  # no placeholder left over
    if CHANNEL_KIND[channel] == "sms":
        assert rendered.subject is None
        assert rendered.body.startswith("【caseflow】" if language == "zh" else "[caseflow] ")
    else:
        assert rendered.subject and CASE_ID in rendered.subject + rendered.body


@pytest.mark.parametrize("template", CUSTOMER_TEMPLATES)
@pytest.mark.parametrize("channel", SMS_LIKE)
def test_customer_sms_fits_one_message(template, channel):
    # One SMS: 70 characters in UCS-2 (Chinese), 160 in GSM-7 (English).
    assert len(render(template, channel, "zh", PARAMS, TZ).body) <= 70
    assert len(render(template, channel, "en", PARAMS, TZ).body) <= 160


def test_chinese_intake_acknowledgement_names_the_case_type():
    def body(case_id: str) -> str:
        return render("intake_ack", "sms", "zh", {"case_id": case_id}, TZ).body

    expected = "【caseflow】您的投诉已受理，工单号CMP-1，我们将在规定时限内处理并回复您。"
    assert body("CMP-1") == expected
    assert "您的咨询已受理" in body("INQ-1")
    assert "您的退订申请已受理" in body("UNS-1")
    assert "您的故障报修已受理" in body("FLT-1")
    assert "您的业务办理已受理" in body("SRV-1")


def test_a_case_number_of_no_known_type_is_named_plainly_and_logged(caplog):
    body = render("intake_ack", "sms", "zh", {"case_id": "X-1"}, TZ).body
    assert "您的工单已受理" in body
    assert "no known type" in caplog.text


def test_email_to_a_customer_has_greeting_subject_and_sign_off():
    rendered = render("feedback", "email", "zh", PARAMS, TZ)
    assert rendered.subject == f"【caseflow】工单{CASE_ID}处理结果"
    assert rendered.body.startswith("尊敬的客户：")
    assert "已退还多收的30元话费" in rendered.body
    assert rendered.body.endswith("caseflow 客户服务中心")


def test_staff_texts_read_as_staff_texts():
    alert = render("escalation", "internal", "zh", PARAMS, TZ)
    assert alert.subject == f"工单{CASE_ID}已升级至第2级"
    assert "L2 team lead" in alert.body and "handling window breached" in alert.body
    # The same template by e-mail is not addressed to "the customer".
    assert "尊敬的客户" not in render("escalation", "email", "zh", PARAMS, TZ).body
    # A customer text on the staff channel is marked as the customer's copy.
    assert render("intake_ack", "internal", "zh", PARAMS, TZ).subject.startswith("致客户：")


def test_readable_services_windows_and_local_deadlines():
    consent = render("consent_request", "sms", "zh", {**PARAMS, "services": "sms, vas:music"}, TZ)
    assert "短信业务、增值业务“music”" in consent.body
    warning = render("warning", "internal", "zh", PARAMS, TZ)
    assert "处理时限将于11月23日 16:00到期" in warning.body  # 08:00 UTC is 16:00 in Beijing
    assert "2026-11-23 16:00 (CST)" in render("warning", "internal", "en", PARAMS, TZ).body
    # The zone is the policy's: the same instant in another policy's zone.
    assert "11月23日 08:00" in render("warning", "internal", "zh", PARAMS, "UTC").body


def test_fault_texts_tell_the_appointment_and_the_fix():
    appointment = render("appointment", "sms", "zh", PARAMS, TZ).body
    assert "张师傅" in appointment and "11月23日 14:00" in appointment
    restored = render("restored", "sms", "zh", PARAMS, TZ).body
    assert "光纤损坏" in restored and "已熔接" in restored


def test_the_case_type_and_language_pick_the_text():
    assert (
        "Your enquiry is registered as INQ-7"
        in render("intake_ack", "sms", "en-US", {"case_id": "INQ-7"}, TZ).body
    )
    assert render("intake_ack", "app", "zh-CN", {"case_id": "CMP-7"}, TZ).subject.startswith(
        "您的投诉"
    )


@pytest.mark.parametrize("channel", CHANNELS + ["fax"])
def test_unknown_template_falls_back_and_still_names_the_case(channel):
    for language in ("zh", "en"):
        rendered = render("no_such_template", channel, language, {"case_id": "X-1"}, TZ)
        assert "X-1" in rendered.body


def test_missing_params_and_odd_input_never_crash():
    assert render("feedback", "sms", "fr", {}, TZ).body.startswith("【caseflow】")  # default: zh
    escalation = render("escalation", "internal", "en", {"case_id": "X-1"}, TZ)
    assert "X-1" in escalation.body
    odd = render("warning", "internal", "zh", {"case_id": "X-1", "due": "soon", "window": "x"}, TZ)
    assert "soon" in odd.body
    assert "{a}" in render("feedback", "sms", "zh", {"case_id": "X", "message": "{a}"}, TZ).body
    assert "X-2" in render("intake_ack", "app", "zh", {"case_id": "X-2", "n": None}, TZ).body


def test_a_complaints_final_reply_names_where_to_appeal():
    """004 (三): a customer not satisfied is told the lawful route of appeal."""
    for channel in ("sms", "email", "app"):
        zh = render("complaint_result", channel, "zh", PARAMS, TZ).body
        en = render("complaint_result", channel, "en", PARAMS, TZ).body
        assert "工信部" in zh or "工业和信息化部" in zh, channel
        assert "appeal" in en.lower(), channel
    # An inquiry's result has no appeal route: there is nothing to appeal.
    assert "申诉" not in render("feedback", "sms", "zh", PARAMS, TZ).body


def test_a_digest_names_every_case_up_to_its_limit():
    from caseflow.notify.templates import DIGEST_DETAILED, DIGEST_LISTED, render_digest

    params = [
        {"case_id": f"CMP-20261008-{i:06d}", "level": "2", "level_name": "班组长", "reason": "x"}
        for i in range(DIGEST_LISTED + 5)
    ]
    few = render_digest("escalation", "internal", "zh", params[:3], "Asia/Shanghai")
    assert few.subject == "3件工单已升级至第2级（班组长）"
    assert all(p["case_id"] in few.body for p in params[:3])

    many = render_digest("escalation", "internal", "zh", params, "Asia/Shanghai")
    lines = many.body.splitlines()
    assert len(lines) == 1 + DIGEST_DETAILED + 1  # the intro, the detailed cases, the rest
    assert all(p["case_id"] in many.body for p in params[:DIGEST_LISTED])
    assert params[DIGEST_LISTED]["case_id"] not in many.body
    assert lines[-1].startswith(f"另有{len(params) - DIGEST_DETAILED}件工单：")
    assert lines[-1].endswith("…")  # more than it names
