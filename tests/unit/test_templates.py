"""Every template renders on every channel kind, in Chinese and English."""

from __future__ import annotations

import pytest

from caseflow.notify.templates import CHANNEL_KIND, TEMPLATES, render

PARAMS = {"case_id": "CMP-20261122-000001", "services": "sms", "message": "refunded",
          "question": "which month?", "window": "response", "due": "2026-11-23T16:00",
          "level_name": "L2 team lead", "reason": "response window breached", "from": "product"}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("channel", sorted(CHANNEL_KIND))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_renders_with_the_case_id(template, channel, language):
    rendered = render(template, channel, language, PARAMS)
    assert "CMP-20261122-000001" in rendered.body + (rendered.subject or "")
    if CHANNEL_KIND[channel] == "sms":
        assert rendered.subject is None and len(rendered.body) <= 140
    else:
        assert rendered.subject


def test_chinese_intake_acknowledgment():
    body = render("intake_ack", "sms", "zh", {"case_id": "CMP-1"}).body
    assert body == "【caseflow】您的诉求已受理，工单号CMP-1，我们将在规定时限内处理并回复您。"


def test_unknown_template_and_missing_params_never_crash():
    assert "X-1" in render("no_such_template", "email", "en", {"case_id": "X-1"}).body
    assert render("feedback", "sms", "fr", {}).body.startswith("【caseflow】")
