"""Message templates per (template, language): a subject and a body, rendered per channel kind.

SMS gets the short body alone; email and app get subject + body; staff get "internal" text.
Missing parameters render empty: a notification is never lost to a formatting error.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

BRAND = {"zh": "【caseflow】", "en": "[caseflow] "}

# template -> language -> (subject, body). {case_id} is always available.
TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "intake_ack": {
        "zh": ("工单已受理", "您的诉求已受理，工单号{case_id}，我们将在规定时限内处理并回复您。"),
        "en": ("We have your request", "Your request is registered as {case_id}; we will "
               "handle it and reply within the committed time."),
    },
    "info_request": {
        "zh": ("需要您补充信息", "工单{case_id}需要您补充信息：{question}。请回复本消息。"),
        "en": ("We need more information", "Case {case_id}: {question} Please reply to this "
               "message."),
    },
    "feedback": {
        "zh": ("处理结果", "工单{case_id}处理结果：{message}。如有异议请回复“不满意”。"),
        "en": ("The result of your case", "Case {case_id}: {message}. Reply 'dispute' if you "
               "disagree."),
    },
    "consent_request": {
        "zh": ("退订确认", "您申请退订{services}（工单{case_id}）。"
               "回复“Y”确认退订，未确认将不予办理。"),
        "en": ("Confirm your unsubscribe", "You asked to stop {services} (case {case_id}). "
               "Reply Y to confirm; nothing is stopped without your confirmation."),
    },
    "unsubscribe_done": {
        "zh": ("退订已完成", "您的{services}已退订成功（工单{case_id}），"
               "次月起不再收取相关费用。"),
        "en": ("Unsubscribe completed", "{services} stopped as you asked (case {case_id}); no "
               "further charges will apply."),
    },
    "not_confirmed": {
        "zh": ("退订未办理", "工单{case_id}未获得您的确认，相关业务未做变更。"),
        "en": ("Unsubscribe not carried out", "Case {case_id}: without your confirmation, "
               "nothing was changed."),
    },
    "new_case": {
        "zh": ("新工单", "新工单{case_id}待受理，请在时限内接单。"),
        "en": ("New case", "New case {case_id} is waiting to be accepted."),
    },
    "transfer": {
        "zh": ("转派工单", "工单{case_id}已从{from}转派至本部门，请在1小时内接手。"),
        "en": ("Case transferred to you", "Case {case_id} was transferred from {from}; take it "
               "up within the transfer window."),
    },
    "assigned": {
        "zh": ("工单指派", "工单{case_id}已指派给您。"),
        "en": ("Case assigned", "Case {case_id} is assigned to you."),
    },
    "warning": {
        "zh": ("时限预警", "工单{case_id}的{window}时限即将到期（{due}），请尽快处理。"),
        "en": ("Deadline approaching", "Case {case_id}: the {window} window is due at {due}."),
    },
    "escalation": {
        "zh": ("工单升级", "工单{case_id}已升级至{level_name}：{reason}。"),
        "en": ("Case escalated", "Case {case_id} escalated to {level_name}: {reason}."),
    },
    "reopened": {
        "zh": ("工单重新处理", "客户对工单{case_id}的处理结果有异议，工单已重新打开。"),
        "en": ("Case reopened", "The customer disputed the result of {case_id}; it is open "
               "again."),
    },
    "review": {
        "zh": ("待复核", "退订工单{case_id}已办理完成，请复核。"),
        "en": ("Review needed", "Unsubscribe case {case_id} is done and waits for your review."),
    },
}
GENERIC = {
    "zh": ("工单通知", "工单{case_id}有新的进展。"),
    "en": ("Case update", "There is news on case {case_id}."),
}
# Customer channels -> how the text is shaped.
CHANNEL_KIND = {
    "sms": "sms", "phone": "sms", "in_person": "sms",
    "email": "email",
    "app": "app", "web": "app", "wechat": "app",
    "internal": "internal",
}


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(text: str, params: dict[str, str]) -> str:
    return string.Formatter().vformat(text, (), _Blank(params))


def render(template: str, channel: str, language: str, params: dict[str, str]) -> Rendered:
    lang = language if language in BRAND else "zh"
    subject, body = TEMPLATES.get(template, GENERIC).get(lang) or GENERIC[lang]
    subject, body = _fill(subject, params), _fill(body, params)
    kind = CHANNEL_KIND.get(channel, "sms")
    if kind == "sms":
        return Rendered(None, BRAND[lang] + body)
    if kind == "internal":
        return Rendered(f"{params.get('case_id', '')} {subject}".strip(), body)
    return Rendered(BRAND[lang] + subject, body)
