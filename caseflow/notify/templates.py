"""Notification texts per template, audience and language, shaped per channel kind.

Each template has a customer text, a staff text, or both (a few, such as "converted", may go
either way). The channel picks the audience and the shape:

- sms: one short line with the 【caseflow】 signature (carriers require it first), no subject.
  "phone" and "in_person" get this too: it is what an agent reads out or the follow-up SMS.
- email: subject + a body with greeting and sign-off.
- app: title + body; "web" and "wechat" show the same push/card style.
- internal: subject + body for staff (work queue, staff mail).

`render` never raises: an unknown template gets a generic text that still names the case (and
is logged), and a missing parameter renders empty, so a notification is never lost to a
formatting error. What a case is called and what its windows are called come from the
case-type registry; times are shown in the policy's time zone.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from caseflow.domain import WindowName
from caseflow.domain.case_types import WINDOW_LABELS, spec_for_case_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Text:
    subject: str  # email subject, app title, staff subject
    body: str  # the full text (email, app, internal)
    sms: str = ""  # short form for SMS-like channels; "" = the body


@dataclass(frozen=True)
class Rendered:
    subject: str | None  # None on SMS-like channels
    body: str


Audiences = dict[str, Text]  # "customer" / "staff" -> text

# template -> language -> audience -> text. {case_id} is always there; {case_kind} is derived.
TEMPLATES: dict[str, dict[str, Audiences]] = {
    "intake_ack": {
        "zh": {
            "customer": Text(
                "您的{case_kind}已受理（工单号{case_id}）",
                "您的{case_kind}已受理，工单号{case_id}。我们将在规定时限内处理并回复您，"
                "如需补充材料请注明工单号。",
                "您的{case_kind}已受理，工单号{case_id}，我们将在规定时限内处理并回复您。",
            )
        },
        "en": {
            "customer": Text(
                "We have received your {case_kind} ({case_id})",
                "Your {case_kind} has been registered as {case_id}. We will handle it and reply "
                "within the committed time; please quote this number in any follow-up.",
                "Your {case_kind} is registered as {case_id}. We will reply within the committed "
                "time.",
            )
        },
    },
    "info_request": {
        "zh": {
            "customer": Text(
                "工单{case_id}需要您补充信息",
                "为处理您的工单{case_id}，我们需要您补充以下信息：\n{question}\n"
                "请直接回复本消息，处理时限将在收到您的回复后继续计算。",
                "您的工单{case_id}需补充信息，请直接回复本短信：{question}",
            )
        },
        "en": {
            "customer": Text(
                "Case {case_id}: we need more information",
                "To continue with case {case_id} we need the following from you:\n{question}\n"
                "Please reply to this message; the handling time resumes once we hear from you.",
                "Case {case_id}: please reply with more information: {question}",
            )
        },
    },
    "feedback": {
        "zh": {
            "customer": Text(
                "工单{case_id}处理结果",
                "您的工单{case_id}已处理完毕，处理结果如下：\n{message}\n"
                "如对处理结果有异议，请回复本消息或联系客服，我们将重新处理。",
                "您的工单{case_id}处理结果如下，如有异议请回复本短信：{message}",
            )
        },
        "en": {
            "customer": Text(
                "The result of your case {case_id}",
                "We have finished handling case {case_id}. The result:\n{message}\n"
                "If you disagree with it, reply to this message or contact us and we will look "
                "at it again.",
                "Case {case_id} result (reply if you disagree): {message}",
            )
        },
    },
    "consent_request": {
        "zh": {
            "customer": Text(
                "请确认退订申请（工单{case_id}）",
                "您申请退订：{services}（工单{case_id}）。请回复“Y”确认办理；"
                "未收到您的确认前，我们不会停止任何业务。",
                "您申请退订{services}（工单{case_id}），请回复Y确认，未经确认不予办理。",
            )
        },
        "en": {
            "customer": Text(
                "Please confirm your unsubscribe request ({case_id})",
                "You asked us to stop: {services} (case {case_id}). Reply Y to confirm; nothing "
                "is stopped until you do.",
                "You asked to stop {services} (case {case_id}). Reply Y to confirm.",
            )
        },
    },
    "unsubscribe_done": {
        "zh": {
            "customer": Text(
                "退订已办理完成（工单{case_id}）",
                "您申请退订的{services}已办理完成（工单{case_id}）。如非本人操作，请及时联系客服。",
                "您已成功退订{services}，工单号{case_id}。如非本人操作请联系客服。",
            )
        },
        "en": {
            "customer": Text(
                "Your unsubscribe is complete ({case_id})",
                "{services} stopped as you asked (case {case_id}). If you did not request this, "
                "please contact us straight away.",
                "{services} stopped as you asked (case {case_id}). Not you? Contact us.",
            )
        },
    },
    "not_confirmed": {
        "zh": {
            "customer": Text(
                "退订申请未办理（工单{case_id}）",
                "您的退订申请（工单{case_id}）未获得确认，未做任何退订，您的业务保持不变。"
                "如仍需退订，请重新提交申请。",
                "您的退订申请（工单{case_id}）未获确认，未办理退订，业务保持不变。",
            )
        },
        "en": {
            "customer": Text(
                "Unsubscribe not carried out ({case_id})",
                "Your unsubscribe request (case {case_id}) was not confirmed, so nothing was "
                "stopped. If you still want it, please send a new request.",
                "Case {case_id} was not confirmed: nothing was stopped.",
            )
        },
    },
    "converted": {
        "zh": {
            "customer": Text(
                "您的咨询已转为投诉处理",
                "您的咨询（工单{case_id}）已转为投诉处理，新工单号{complaint_id}。"
                "我们将在规定时限内处理并回复您。",
                "您的咨询（工单{case_id}）已转为投诉处理，新工单号{complaint_id}。",
            ),
            "staff": Text(
                "工单{case_id}已转为投诉",
                "咨询工单{case_id}已转为投诉工单{complaint_id}，请按投诉流程处理。",
            ),
        },
        "en": {
            "customer": Text(
                "Your enquiry is now handled as a complaint",
                "Your enquiry {case_id} is now handled as complaint {complaint_id}. We will "
                "reply within the committed time.",
                "Enquiry {case_id} is now complaint {complaint_id}.",
            ),
            "staff": Text(
                "Case {case_id} converted to a complaint",
                "Enquiry {case_id} was converted into complaint {complaint_id}.",
            ),
        },
    },
    "termination_failed": {
        "zh": {
            "customer": Text(
                "退订办理中（工单{case_id}）",
                "您的退订申请（工单{case_id}）办理时遇到问题，我们正在处理，完成后将通知您。",
                "您的退订申请（工单{case_id}）正在处理中，完成后将通知您。",
            ),
            "staff": Text(
                "工单{case_id}业务停止失败",
                "退订工单{case_id}停止业务失败：{reason}。请核查后重试。",
            ),
        },
        "en": {
            "customer": Text(
                "Your unsubscribe is taking longer ({case_id})",
                "We hit a problem stopping the services of case {case_id}; we are on it and "
                "will tell you when it is done.",
                "Case {case_id}: your unsubscribe is delayed; we will tell you when done.",
            ),
            "staff": Text(
                "Case {case_id}: termination failed",
                "Stopping the services of unsubscribe case {case_id} failed: {reason}. Check "
                "and retry.",
            ),
        },
    },
    "appointment": {
        "zh": {
            "customer": Text(
                "故障报修{case_id}：已安排上门",
                "您的故障报修（工单{case_id}）已安排维修人员{engineer}上门，预约时间{appointment}。"
                "如需改约请回复本消息。",
                "您的报修（工单{case_id}）已安排{engineer}于{appointment}上门，改约请回复。",
            )
        },
        "en": {
            "customer": Text(
                "Fault {case_id}: an engineer is coming",
                "An engineer ({engineer}) will visit for your fault report {case_id} at "
                "{appointment}. Reply to this message to change the time.",
                "Fault {case_id}: engineer {engineer} visits at {appointment}. Reply to change.",
            )
        },
    },
    "progress": {
        "zh": {
            "customer": Text(
                "故障报修{case_id}处理进展",
                "您的故障报修（工单{case_id}）最新进展：{message}",
                "您的报修（工单{case_id}）进展：{message}",
            )
        },
        "en": {
            "customer": Text(
                "Fault {case_id}: progress",
                "News on your fault report {case_id}: {message}",
                "Fault {case_id}: {message}",
            )
        },
    },
    "restored": {
        "zh": {
            "customer": Text(
                "故障报修{case_id}：已修复",
                "您报修的故障（工单{case_id}）已修复。故障原因：{cause}；处理措施：{fix}。"
                "请确认服务是否已恢复正常，如仍有问题请直接回复。",
                "您的报修（工单{case_id}）已修复：{cause}，{fix}。仍有问题请回复。",
            )
        },
        "en": {
            "customer": Text(
                "Fault {case_id}: service restored",
                "The fault you reported ({case_id}) is fixed. Cause: {cause}. Fix: {fix}. "
                "Please confirm your service works again, or reply if it does not.",
                "Fault {case_id} fixed: {cause}; {fix}. Still broken? Reply.",
            )
        },
    },
    "fulfilled": {
        "zh": {
            "customer": Text(
                "业务办理{case_id}已完成",
                "您申请办理的业务（工单{case_id}）已办理完成：{message}",
                "您的业务（工单{case_id}）已办理完成：{message}",
            )
        },
        "en": {
            "customer": Text(
                "Your request {case_id} is done",
                "Your service request {case_id} is done: {message}",
                "Request {case_id} done: {message}",
            )
        },
    },
    "complaint_result": {
        "zh": {
            "customer": Text(
                "投诉{case_id}处理结果",
                "您的投诉（工单{case_id}）已处理完毕，处理结果如下：\n{message}\n"
                "如对处理结果有异议，请回复本消息或联系客服，我们将重新处理；"
                "如仍不满意，您可以向电信管理机构（工业和信息化部电信用户申诉受理中心或"
                "当地通信管理局）申诉。",
                "投诉{case_id}处理结果：{message}。有异议请回复；仍不满意可向工信部申诉。",
            )
        },
        "en": {
            "customer": Text(
                "The result of your complaint {case_id}",
                "We have finished handling complaint {case_id}. The result:\n{message}\n"
                "If you disagree, reply to this message or contact us and we will look at it "
                "again; if you are still not satisfied, you may appeal to the telecom regulator "
                "(the MIIT telecom user appeal centre or your provincial communications "
                "administration).",
                "Complaint {case_id}: {message}. Disagree? Reply. Still unhappy: appeal to the "
                "MIIT telecom appeal centre.",
            )
        },
    },
    "forwarded": {
        "zh": {
            "customer": Text(
                "工单{case_id}已转交处理",
                "您的工单{case_id}已转交{department}处理，处理时限不变，处理结果将及时告知您。",
                "您的工单{case_id}已转交{department}处理，结果将及时告知您。",
            )
        },
        "en": {
            "customer": Text(
                "Case {case_id} was forwarded",
                "Case {case_id} was forwarded to {department}, who will handle it within the "
                "same time; we will tell you the result.",
                "Case {case_id} forwarded to {department}; we will tell you the result.",
            )
        },
    },
    "info_reminder": {
        "zh": {
            "customer": Text(
                "工单{case_id}：请补充信息",
                "我们仍在等待您为工单{case_id}补充信息。请直接回复本消息；"
                "如长时间未收到回复，工单将关闭。",
                "工单{case_id}仍待您补充信息，请回复本短信，逾期未回复工单将关闭。",
            )
        },
        "en": {
            "customer": Text(
                "Case {case_id}: we still need your information",
                "We are still waiting for the information we asked for on case {case_id}. "
                "Please reply to this message; without an answer the case will be closed.",
                "Case {case_id}: please send the information asked for, or it will be closed.",
            )
        },
    },
    "no_response": {
        "zh": {
            "customer": Text(
                "工单{case_id}已关闭",
                "由于未收到您补充的信息，工单{case_id}已关闭。如仍需处理，请重新联系我们。",
                "未收到您的补充信息，工单{case_id}已关闭，如需处理请重新联系我们。",
            )
        },
        "en": {
            "customer": Text(
                "Case {case_id} closed",
                "We did not receive the information we asked for, so case {case_id} is closed. "
                "Contact us again if you still need help.",
                "No reply received: case {case_id} is closed. Contact us if you still need help.",
            )
        },
    },
    "new_case": {
        "zh": {
            "staff": Text(
                "新工单{case_id}待受理", "新工单{case_id}已分派至本部门，请在响应时限内受理。"
            )
        },
        "en": {
            "staff": Text(
                "New case {case_id}",
                "New case {case_id} waits to be accepted within its response window.",
            )
        },
    },
    "transfer": {
        "zh": {
            "staff": Text(
                "工单{case_id}转入本部门",
                "工单{case_id}已由{from}转派至本部门，请在转派时限内接手处理。",
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} transferred to you",
                "Case {case_id} was transferred from {from}; please take it up "
                "within the transfer window.",
            )
        },
    },
    "assigned": {
        "zh": {"staff": Text("工单{case_id}已指派给您", "工单{case_id}已指派给您，请及时处理。")},
        "en": {
            "staff": Text("Case {case_id} assigned to you", "Case {case_id} is assigned to you.")
        },
    },
    "warning": {
        "zh": {
            "staff": Text(
                "工单{case_id}即将超时", "工单{case_id}的{window}时限将于{due}到期，请尽快处理。"
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id}: deadline approaching",
                "The {window} window of case {case_id} is due at {due}.",
            )
        },
    },
    "escalation": {
        "zh": {
            "staff": Text(
                "工单{case_id}已升级至第{level}级",
                "工单{case_id}已升级至第{level}级（{level_name}），"
                "原因：{reason}。请立即处理或确认接手。",
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} escalated to level {level}",
                "Case {case_id} escalated to level {level} ({level_name}): "
                "{reason}. Act on it or acknowledge it.",
            )
        },
    },
    "reopened": {
        "zh": {
            "staff": Text(
                "工单{case_id}重新处理",
                "客户对工单{case_id}的处理结果有异议，工单已重新打开，请重新处理。",
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} reopened",
                "The customer disputed the result of case {case_id}; it is open again.",
            )
        },
    },
    "review": {
        "zh": {
            "staff": Text(
                "退订工单{case_id}待复核", "退订工单{case_id}已办理完成，请在复核时限内复核。"
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} waits for review",
                "Unsubscribe case {case_id} is done; please review it within the review window.",
            )
        },
    },
    "urged": {
        "zh": {"staff": Text("工单{case_id}被督办", "工单{case_id}被督办，请于{due}前办结。")},
        "en": {"staff": Text("Case {case_id} urged", "Case {case_id} must be handled by {due}.")},
    },
    "extended": {
        "zh": {
            "staff": Text(
                "工单{case_id}时限已延长", "工单{case_id}的{window}时限经批准延长至{due}。"
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id}: deadline extended",
                "The {window} window of case {case_id} was extended to {due}.",
            )
        },
    },
    "sent_back": {
        "zh": {
            "staff": Text(
                "工单{case_id}被退回", "工单{case_id}已被{from}退回本部门，请在转派时限内接手。"
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} sent back",
                "Case {case_id} was sent back by {from}; please take it up within the transfer "
                "window.",
            )
        },
    },
    "followed_transferred": {
        "zh": {
            "staff": Text(
                "您首问的工单{case_id}已转派", "您首问负责的工单{case_id}已转派至{to}，请跟进。"
            )
        },
        "en": {
            "staff": Text(
                "Your case {case_id} was transferred",
                "Case {case_id}, first taken by you, was transferred to {to}; follow it up.",
            )
        },
    },
    "followed_sent_back": {
        "zh": {
            "staff": Text(
                "您首问的工单{case_id}被退回", "您首问负责的工单{case_id}已被退回至{to}。"
            )
        },
        "en": {
            "staff": Text(
                "Your case {case_id} was sent back",
                "Case {case_id}, first taken by you, was sent back to {to}.",
            )
        },
    },
    "appealed": {
        "zh": {
            "staff": Text(
                "工单{case_id}被申诉",
                "客户就工单{case_id}向监管部门申诉，申诉工单{appeal_id}，请优先处理。",
            )
        },
        "en": {
            "staff": Text(
                "Case {case_id} appealed",
                "The customer appealed case {case_id} to the regulator: appeal {appeal_id}.",
            )
        },
    },
    "regulator_reply": {
        "zh": {"staff": Text("申诉{case_id}答复", "关于申诉{case_id}的答复：{message}")},
        "en": {
            "staff": Text("Reply to appeal {case_id}", "Our reply on appeal {case_id}: {message}")
        },
    },
}

# An unknown template (e.g. one added to a workflow before its text): still names the case.
GENERIC: dict[str, Audiences] = {
    "zh": {
        "customer": Text(
            "工单{case_id}有新进展",
            "您的工单{case_id}有新的进展，详情请咨询客服。",
            "您的工单{case_id}有新的进展，详情请咨询客服。",
        ),
        "staff": Text("工单{case_id}通知（{template}）", "工单{case_id}有新的通知：{template}。"),
    },
    "en": {
        "customer": Text(
            "News on case {case_id}",
            "There is news on case {case_id}; contact us for the details.",
            "There is news on case {case_id}.",
        ),
        "staff": Text("Case {case_id}: {template}", "Case {case_id} has a new notice: {template}."),
    },
}

CHANNEL_KIND: dict[str, str] = {
    "sms": "sms",
    "phone": "sms",
    "in_person": "sms",
    "email": "email",
    "app": "app",
    "web": "app",
    "wechat": "app",
    "internal": "internal",
}
LANGUAGES = ("zh", "en")
BRAND = {"zh": "【caseflow】", "en": "[caseflow] "}
COPY_PREFIX = {"zh": "致客户：", "en": "To the customer: "}
GREETING = {
    "zh": ("尊敬的客户：\n\n", "\n\ncaseflow 客户服务中心"),
    "en": ("Dear customer,\n\n", "\n\ncaseflow Customer Service"),
}

SERVICES = {
    "voice": {"zh": "语音业务", "en": "voice calls"},
    "sms": {"zh": "短信业务", "en": "SMS"},
    "data": {"zh": "流量业务", "en": "mobile data"},
    "account": {"zh": "全部业务（销户）", "en": "the whole account"},
}


class _Blank(dict):
    """Format mapping where a missing parameter is an empty string, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


_FORMATTER = string.Formatter()


def _fill(text: str, params: dict[str, str]) -> str:
    try:
        return _FORMATTER.vformat(text, (), _Blank(params))
    except (ValueError, IndexError, AttributeError, KeyError):  # a malformed text: never fatal
        return text


def _language(language: str | None) -> str:
    code = (language or "").strip().lower()[:2]  # "zh-CN", "en_US" -> "zh", "en"
    return code if code in LANGUAGES else "zh"  # the default language of the service


def _service_names(value: str, lang: str) -> str:
    names = []
    for code in (s.strip() for s in value.split(",")):
        if code.startswith("vas:"):
            names.append(f"增值业务“{code[4:]}”" if lang == "zh" else f"add-on '{code[4:]}'")
        elif code:
            names.append(SERVICES.get(code, {}).get(lang, code))
    return ("、" if lang == "zh" else ", ").join(names)


def _local_time(value: str, lang: str, timezone: str) -> str:
    """Times arrive as ISO timestamps (UTC); people read them in the policy's zone."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is None:
        return value
    local = at.astimezone(ZoneInfo(timezone))
    if lang == "zh":
        return f"{local:%m月%d日 %H:%M}"
    return f"{local:%Y-%m-%d %H:%M} ({local.tzname()})"


def _case_kind(case_id: str, lang: str) -> str:
    case_spec = spec_for_case_id(case_id)
    if case_spec is None:  # a number no case type issues: still a text, but say so
        log.error("notification for a case number of no known type", extra={"case_id": case_id})
        return "工单" if lang == "zh" else "case"
    return case_spec.label(lang)


def _window(name: str, lang: str) -> str:
    try:
        return WINDOW_LABELS[WindowName(name)](lang)
    except ValueError:
        return name


TIME_PARAMS = ("due", "appointment")


def _params(raw: object, lang: str, timezone: str) -> dict[str, str]:
    """Stringify the stored params and add the readable forms the texts use."""
    raw = raw if isinstance(raw, dict) else {}
    params = {str(k): "" if v is None else str(v) for k, v in raw.items()}
    params.setdefault("case_kind", _case_kind(params.get("case_id", ""), lang))
    if params.get("services"):
        params["services"] = _service_names(params["services"], lang)
    if params.get("window"):
        params["window"] = _window(params["window"], lang)
    for name in TIME_PARAMS:
        if params.get(name):
            params[name] = _local_time(params[name], lang, timezone)
    return params


def render(
    template: str, channel: str, language: str, params: dict[str, str], timezone: str
) -> Rendered:
    """The subject (None on SMS-like channels) and body of one notification; times in
    `timezone` (the policy's)."""
    lang = _language(language)
    kind = CHANNEL_KIND.get(channel, "sms")  # an unknown channel gets the safest shape
    audiences = TEMPLATES.get(template, {}).get(lang)
    if audiences is None:
        log.warning("no text for notification template", extra={"template": template})
        audiences = GENERIC[lang]
    # Staff read the staff text; a customer-only template still renders, as a staff copy.
    order = ("staff", "customer") if kind == "internal" else ("customer", "staff")
    audience = next(a for a in order if a in audiences)
    text = audiences[audience]
    values = _params(params, lang, timezone)
    values.setdefault("template", str(template))
    subject, body = _fill(text.subject, values), _fill(text.body, values)
    if kind == "sms":
        return Rendered(None, BRAND[lang] + _fill(text.sms or text.body, values))
    if kind == "internal":
        prefix = COPY_PREFIX[lang] if audience == "customer" else ""
        return Rendered(prefix + subject, body)
    if kind == "email" and audience == "customer":
        hello, bye = GREETING[lang]
        body = hello + body + bye
    if kind == "email":
        return Rendered(BRAND[lang] + subject, body)
    return Rendered(subject, body)
