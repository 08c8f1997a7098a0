"""Every action's page form derives from the action table and its request body: inputs by
field type, labelled choices, and a posted form read back into the very body the API takes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from api.action_bodies import body_model
from api.action_forms import FIELD_LABELS, action_form, parse_form
from api.labels import CATALOG_LABELS, label
from caseflow.domain import CaseType, Phase
from caseflow.domain.actions import ACTIONS, allowed_now

REFERENCES = {
    "department": [("customer_service", "客服部"), ("product", "产品部")],
    "user": [("agent.cs", "Li Na")],
    "outage": [("OUT-1", "OUT-1")],
}
TZ = "Asia/Shanghai"


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_action_has_a_form_with_a_field_per_body_field(name, language):
    rule = ACTIONS[name]
    form = action_form(rule, language, REFERENCES)
    assert [f.name for f in form.fields] == list(body_model(rule).model_fields)
    assert form.label == rule.label(language)
    for field in form.fields:
        assert field.name in FIELD_LABELS, f"{name}.{field.name} has no label"
        if language == "zh-CN":
            assert field.label != FIELD_LABELS[field.name], "not translated"


def _widgets(name: str) -> dict[str, str]:
    return {f.name: f.widget for f in action_form(ACTIONS[name], "zh-CN", REFERENCES).fields}


def test_field_types_become_the_right_inputs():
    assert _widgets("resolve") == {
        "result": "textarea",
        "process": "textarea",
        "evidence": "textarea",
        "attachments": "multiselect",  # the case's own files
    }
    assert _widgets("extend") == {
        "window": "select",
        "until": "datetime",
        "reason": "textarea",
    }
    assert _widgets("transfer") == {"department": "select", "reason": "textarea"}
    assert _widgets("dispatch") == {
        "engineer": "text",
        "appointment_at": "datetime",
        "note": "textarea",
    }
    assert _widgets("review") == {"approved": "checkbox", "comment": "textarea"}
    assert _widgets("link_outage") == {"outage_id": "select"}
    callback = action_form(ACTIONS["callback"], "zh-CN", REFERENCES).fields[0]
    assert callback.options == (
        ("satisfied", "满意"),
        ("basically_satisfied", "基本满意"),
        ("unsatisfied", "不满意"),
    )
    # An optional choice can be left alone.
    severity = next(
        f
        for f in action_form(ACTIONS["reclassify"], "zh-CN", REFERENCES).fields
        if f.name == "severity"
    )
    assert severity.options[0] == ("", "—") and ("major", "重大") in severity.options


def test_a_posted_form_reads_back_into_the_api_body():
    body = parse_form(
        ACTIONS["dispatch"],
        {"engineer": "张师傅", "appointment_at": "2026-12-01T14:00", "note": ""},
        TZ,
    )
    assert body == body_model(ACTIONS["dispatch"])(
        engineer="张师傅", appointment_at=datetime(2026, 12, 1, 14, 0, tzinfo=ZoneInfo(TZ))
    )
    assert parse_form(ACTIONS["review"], {"approved": "true"}, TZ).approved is True
    assert parse_form(ACTIONS["review"], {}, TZ).approved is False  # an unticked box
    reclassify = parse_form(
        ACTIONS["reclassify"], {"reason": "x", "severity": "", "tier": "vip"}, TZ
    )
    assert reclassify.severity is None and reclassify.tier == "vip"
    with pytest.raises(ValidationError):
        parse_form(ACTIONS["resolve"], {"result": "", "process": "p"}, TZ)  # required, empty
    with pytest.raises(ValidationError):
        parse_form(ACTIONS["callback"], {"satisfaction": "delighted"}, TZ)


def test_what_a_phase_offers_comes_from_the_table():
    names = [r.name for r in allowed_now(CaseType.COMPLAINT, Phase.NEW)]
    assert "accept" in names and "resolve" not in names


def test_every_code_the_pages_show_has_a_chinese_name():
    from caseflow.domain import Category, Channel, CustomerTier, Severity, Urgency

    for vocabulary, enum in (
        ("severity", Severity),
        ("category", Category),
        ("channel", Channel),
        ("tier", CustomerTier),
        ("urgency", Urgency),
    ):
        for member in enum:
            assert member.value in CATALOG_LABELS[vocabulary], (vocabulary, member)
            zh, en = label(vocabulary, member.value, "zh-CN"), label(vocabulary, member.value, "en")
            assert zh != en or zh == "VIP", (vocabulary, member)  # VIP is VIP in Chinese too
    assert label("phase", "new", "zh-CN") == "待受理" and label("phase", "new", "en") == "new"
    assert label("action", "accept", "zh-CN") == "受理"
    assert label("kind", "broadband", "zh-CN") == "宽带故障"
    assert label("event", "breach", "zh-CN") == "已超时"
    assert label("phase", "no_such_phase", "zh-CN") == "no_such_phase"  # shown as it is
