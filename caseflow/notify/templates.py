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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from caseflow.domain import WindowName
from caseflow.domain.case_types import WINDOW_LABELS, spec_for_case_id
from caseflow.i18n import N_, translations

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
LANGUAGES = ("zh", "en")  # notification rows carry one of these

# The texts in the catalogs' source language (English), marked for extraction; each language's
# text is its translation in the catalog (caseflow/locale), context "notify".
# template -> audience -> text. {case_id} is always there; {case_kind} is derived.
SOURCE: dict[str, Audiences] = {
    "intake_ack": {
        "customer": Text(
            N_("notify", "We have received your {case_kind} ({case_id})"),
            N_(
                "notify",
                "Your {case_kind} has been registered as {case_id}. We will handle it and reply "
                "within the committed time; please quote this number in any follow-up.",
            ),
            N_(
                "notify",
                "Your {case_kind} is registered as {case_id}. We will reply within the "
                "committed time.",
            ),
        ),
    },
    "info_request": {
        "customer": Text(
            N_("notify", "Case {case_id}: we need more information"),
            N_(
                "notify",
                "To continue with case {case_id} we need the following from "
                "you:\n{question}\nPlease reply to this message; the handling time resumes once "
                "we hear from you.",
            ),
            N_("notify", "Case {case_id}: please reply with more information: {question}"),
        ),
    },
    "feedback": {
        "customer": Text(
            N_("notify", "The result of your case {case_id}"),
            N_(
                "notify",
                "We have finished handling case {case_id}. The result:\n{message}\nIf you "
                "disagree with it, reply to this message or contact us and we will look at it "
                "again.",
            ),
            N_("notify", "Case {case_id} result (reply if you disagree): {message}"),
        ),
    },
    "consent_request": {
        "customer": Text(
            N_("notify", "Please confirm your unsubscribe request ({case_id})"),
            N_(
                "notify",
                "You asked us to stop: {services} (case {case_id}). Reply Y to confirm; nothing "
                "is stopped until you do.",
            ),
            N_("notify", "You asked to stop {services} (case {case_id}). Reply Y to confirm."),
        ),
    },
    "unsubscribe_done": {
        "customer": Text(
            N_("notify", "Your unsubscribe is complete ({case_id})"),
            N_(
                "notify",
                "{services} stopped as you asked (case {case_id}). If you did not request this, "
                "please contact us straight away.",
            ),
            N_("notify", "{services} stopped as you asked (case {case_id}). Not you? Contact us."),
        ),
    },
    "not_confirmed": {
        "customer": Text(
            N_("notify", "Unsubscribe not carried out ({case_id})"),
            N_(
                "notify",
                "Your unsubscribe request (case {case_id}) was not confirmed, so nothing was "
                "stopped. If you still want it, please send a new request.",
            ),
            N_("notify", "Case {case_id} was not confirmed: nothing was stopped."),
        ),
    },
    "converted": {
        "customer": Text(
            N_("notify", "Your enquiry is now handled as a complaint"),
            N_(
                "notify",
                "Your enquiry {case_id} is now handled as complaint {complaint_id}. We will "
                "reply within the committed time.",
            ),
            N_("notify", "Enquiry {case_id} is now complaint {complaint_id}."),
        ),
        "staff": Text(
            N_("notify", "Case {case_id} converted to a complaint"),
            N_("notify", "Enquiry {case_id} was converted into complaint {complaint_id}."),
        ),
    },
    "termination_failed": {
        "customer": Text(
            N_("notify", "Your unsubscribe is taking longer ({case_id})"),
            N_(
                "notify",
                "We hit a problem stopping the services of case {case_id}; we are on it and "
                "will tell you when it is done.",
            ),
            N_(
                "notify", "Case {case_id}: your unsubscribe is delayed; we will tell you when done."
            ),
        ),
        "staff": Text(
            N_("notify", "Case {case_id}: termination failed"),
            N_(
                "notify",
                "Stopping the services of unsubscribe case {case_id} failed: {reason}. Check "
                "and retry.",
            ),
        ),
    },
    "appointment": {
        "customer": Text(
            N_("notify", "Fault {case_id}: an engineer is coming"),
            N_(
                "notify",
                "An engineer ({engineer}) will visit for your fault report {case_id} at "
                "{appointment}. Reply to this message to change the time.",
            ),
            N_(
                "notify",
                "Fault {case_id}: engineer {engineer} visits at {appointment}. Reply to change.",
            ),
        ),
    },
    "progress": {
        "customer": Text(
            N_("notify", "Fault {case_id}: progress"),
            N_("notify", "News on your fault report {case_id}: {message}"),
            N_("notify", "Fault {case_id}: {message}"),
        ),
    },
    "restored": {
        "customer": Text(
            N_("notify", "Fault {case_id}: service restored"),
            N_(
                "notify",
                "The fault you reported ({case_id}) is fixed. Cause: {cause}. Fix: {fix}. "
                "Please confirm your service works again, or reply if it does not.",
            ),
            N_("notify", "Fault {case_id} fixed: {cause}; {fix}. Still broken? Reply."),
        ),
    },
    "fulfilled": {
        "customer": Text(
            N_("notify", "Your request {case_id} is done"),
            N_("notify", "Your service request {case_id} is done: {message}"),
            N_("notify", "Request {case_id} done: {message}"),
        ),
    },
    "complaint_result": {
        "customer": Text(
            N_("notify", "The result of your complaint {case_id}"),
            N_(
                "notify",
                "We have finished handling complaint {case_id}. The result:\n{message}\nIf you "
                "disagree, reply to this message or contact us and we will look at it again; if "
                "you are still not satisfied, you may appeal to the telecom regulator (the MIIT "
                "telecom user appeal centre or your provincial communications administration).",
            ),
            N_(
                "notify",
                "Complaint {case_id}: {message}. Disagree? Reply. Still unhappy: appeal to the "
                "MIIT telecom appeal centre.",
            ),
        ),
    },
    "forwarded": {
        "customer": Text(
            N_("notify", "Case {case_id} was forwarded"),
            N_(
                "notify",
                "Case {case_id} was forwarded to {department}, who will handle it within the "
                "same time; we will tell you the result.",
            ),
            N_("notify", "Case {case_id} forwarded to {department}; we will tell you the result."),
        ),
    },
    "info_reminder": {
        "customer": Text(
            N_("notify", "Case {case_id}: we still need your information"),
            N_(
                "notify",
                "We are still waiting for the information we asked for on case {case_id}. "
                "Please reply to this message; without an answer the case will be closed.",
            ),
            N_(
                "notify",
                "Case {case_id}: please send the information asked for, or it will be closed.",
            ),
        ),
    },
    "no_response": {
        "customer": Text(
            N_("notify", "Case {case_id} closed"),
            N_(
                "notify",
                "We did not receive the information we asked for, so case {case_id} is closed. "
                "Contact us again if you still need help.",
            ),
            N_(
                "notify",
                "No reply received: case {case_id} is closed. Contact us if you still need help.",
            ),
        ),
    },
    "new_case": {
        "staff": Text(
            N_("notify", "New case {case_id}"),
            N_("notify", "New case {case_id} waits to be accepted within its response window."),
        ),
    },
    "transfer": {
        "staff": Text(
            N_("notify", "Case {case_id} transferred to you"),
            N_(
                "notify",
                "Case {case_id} was transferred from {from}; please take it up within the "
                "transfer window.",
            ),
        ),
    },
    "assigned": {
        "staff": Text(
            N_("notify", "Case {case_id} assigned to you"),
            N_("notify", "Case {case_id} is assigned to you."),
        ),
    },
    "warning": {
        "staff": Text(
            N_("notify", "Case {case_id}: deadline approaching"),
            N_("notify", "The {window} window of case {case_id} is due at {due}."),
        ),
    },
    "escalation": {
        "staff": Text(
            N_("notify", "Case {case_id} escalated to level {level}"),
            N_(
                "notify",
                "Case {case_id} escalated to level {level} ({level_name}): {reason}. Act on it "
                "or acknowledge it.",
            ),
        ),
    },
    "reopened": {
        "staff": Text(
            N_("notify", "Case {case_id} reopened"),
            N_("notify", "The customer disputed the result of case {case_id}; it is open again."),
        ),
    },
    "review": {
        "staff": Text(
            N_("notify", "Case {case_id} waits for review"),
            N_(
                "notify",
                "Unsubscribe case {case_id} is done; please review it within the review window.",
            ),
        ),
    },
    "urged": {
        "staff": Text(
            N_("notify", "Case {case_id} urged"),
            N_("notify", "Case {case_id} must be handled by {due}."),
        ),
    },
    "extended": {
        "staff": Text(
            N_("notify", "Case {case_id}: deadline extended"),
            N_("notify", "The {window} window of case {case_id} was extended to {due}."),
        ),
    },
    "sent_back": {
        "staff": Text(
            N_("notify", "Case {case_id} sent back"),
            N_(
                "notify",
                "Case {case_id} was sent back by {from}; please take it up within the transfer "
                "window.",
            ),
        ),
    },
    "followed_transferred": {
        "staff": Text(
            N_("notify", "Your case {case_id} was transferred"),
            N_(
                "notify",
                "Case {case_id}, first taken by you, was transferred to {to}; follow it up.",
            ),
        ),
    },
    "followed_sent_back": {
        "staff": Text(
            N_("notify", "Your case {case_id} was sent back"),
            N_("notify", "Case {case_id}, first taken by you, was sent back to {to}."),
        ),
    },
    "appealed": {
        "staff": Text(
            N_("notify", "Case {case_id} appealed"),
            N_(
                "notify",
                "The customer appealed case {case_id} to the regulator: appeal {appeal_id}.",
            ),
        ),
    },
    "case_lost": {
        "staff": Text(
            N_("notify", "Case {case_id} has lost its workflow"),
            N_(
                "notify",
                "The workflow of case {case_id} ended in Temporal ({lost}) while the case is "
                "open: its time limits no longer run and nobody is warned of its deadlines. An "
                "administrator can revive it from the floor page.",
            ),
        ),
    },
    "regulator_reply": {
        "staff": Text(
            N_("notify", "Reply to appeal {case_id}"),
            N_("notify", "Our reply on appeal {case_id}: {message}"),
        ),
    },
}

GENERIC_SOURCE: Audiences = {
    "customer": Text(
        N_("notify", "News on case {case_id}"),
        N_("notify", "There is news on case {case_id}; contact us for the details."),
        N_("notify", "There is news on case {case_id}."),
    ),
    "staff": Text(
        N_("notify", "Case {case_id}: {template}"),
        N_("notify", "Case {case_id} has a new notice: {template}."),
    ),
}


def _translated(text: Text, language: str) -> Text:
    tr = translations(language)  # "zh" -> the zh_CN catalog, "en" -> the source texts
    # "" is no message: gettext("") would answer with the catalog's header.
    return Text(
        *(tr.pgettext("notify", s) if s else "" for s in (text.subject, text.body, text.sms))
    )


# template -> language -> audience -> text, every language translated once, at import.
TEMPLATES: dict[str, dict[str, Audiences]] = {
    name: {
        lang: {audience: _translated(text, lang) for audience, text in audiences.items()}
        for lang in LANGUAGES
    }
    for name, audiences in SOURCE.items()
}
# An unknown template (e.g. one added to a workflow before its text): still names the case.
GENERIC: dict[str, Audiences] = {
    lang: {audience: _translated(text, lang) for audience, text in GENERIC_SOURCE.items()}
    for lang in LANGUAGES
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
# Words around the texts, translated like them.
BRAND = N_("notify", "[caseflow] ")  # carriers want the signature first: 【caseflow】
COPY_PREFIX = N_("notify", "To the customer: ")
GREETING = N_("notify", "Dear customer,\n\n")
SIGN_OFF = N_("notify", "\n\ncaseflow Customer Service")
SERVICES = {
    "voice": N_("notify", "voice calls"),
    "sms": N_("notify", "SMS"),
    "data": N_("notify", "mobile data"),
    "account": N_("notify", "the whole account"),
}
ADD_ON = N_("notify", "add-on '{name}'")
LIST_SEPARATOR = N_("notify", ", ")
A_CASE = N_("notify", "case")
# A time in the policy's zone (str.format with the local datetime as `at`).
LOCAL_TIME = N_("notify", "{at:%Y-%m-%d %H:%M} ({zone})")


def _t(lang: str, message: str) -> str:
    return translations(lang).pgettext("notify", message)


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
            names.append(_fill(_t(lang, ADD_ON), {"name": code[4:]}))
        elif code:
            names.append(_t(lang, SERVICES[code]) if code in SERVICES else code)
    return _t(lang, LIST_SEPARATOR).join(names)


def _local_time(value: str, lang: str, timezone: str) -> str:
    """Times arrive as ISO timestamps (UTC); people read them in the policy's zone."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is None:
        return value
    local = at.astimezone(ZoneInfo(timezone))
    try:
        return _t(lang, LOCAL_TIME).format(at=local, zone=local.tzname())
    except (ValueError, KeyError, IndexError):  # a malformed translation: never fatal
        return LOCAL_TIME.format(at=local, zone=local.tzname())


def _case_kind(case_id: str, lang: str) -> str:
    case_spec = spec_for_case_id(case_id)
    if case_spec is None:  # a number no case type issues: still a text, but say so
        log.error("notification for a case number of no known type", extra={"case_id": case_id})
        return _t(lang, A_CASE)
    return case_spec.label(lang)


def _window(name: str, lang: str) -> str:
    try:
        return WINDOW_LABELS[WindowName(name)](lang)
    except ValueError:
        return name


TIME_PARAMS = ("due", "appointment")
# How a lost case's workflow ended (caseflow.domain.LostStatus), for "case_lost".
LOST = {
    "terminated": N_("notify", "terminated"),
    "failed": N_("notify", "failed"),
    "timed_out": N_("notify", "timed out"),
    "canceled": N_("notify", "cancelled"),
    "missing": N_("notify", "unknown to Temporal"),
}


def _params(raw: object, lang: str, timezone: str) -> dict[str, str]:
    """Stringify the stored params and add the readable forms the texts use."""
    raw = raw if isinstance(raw, dict) else {}
    params = {str(k): "" if v is None else str(v) for k, v in raw.items()}
    params.setdefault("case_kind", _case_kind(params.get("case_id", ""), lang))
    if params.get("services"):
        params["services"] = _service_names(params["services"], lang)
    if params.get("window"):
        params["window"] = _window(params["window"], lang)
    if params.get("lost") in LOST:
        params["lost"] = _t(lang, LOST[params["lost"]])
    for name in TIME_PARAMS:
        if params.get(name):
            params[name] = _local_time(params[name], lang, timezone)
    return params


# A staff digest (caseflow.notify.digests): one message for many alerts of one kind.
DIGEST_SUBJECTS = {
    "escalation": N_("notify", "{count} cases escalated to level {level} ({level_name})"),
    "warning": N_("notify", "{count} cases: deadlines approaching"),
}
DIGEST_SUBJECT = N_("notify", "{count} notices: {template}")
DIGEST_INTRO = N_("notify", "{count} cases in one message, oldest first:")
DIGEST_MORE = N_("notify", "And {more} more cases: {case_ids}")
DIGEST_DETAILED = 30  # cases shown with their full text; the rest by number
DIGEST_LISTED = 300  # cases named at all; the floor's list (breached first) shows every one


def render_digest(
    template: str,
    channel: str,
    language: str,
    params: Sequence[object],
    timezone: str,
) -> Rendered:
    """One message for several staff alerts of one template (the rows' params, oldest
    first): a subject with their count, the first alerts' own texts, then the other cases
    by number."""
    lang = _language(language)
    count = len(params)
    first = _params(params[0] if params else {}, lang, timezone)
    values = {**first, "count": str(count), "template": str(template)}
    subject = _fill(_t(lang, DIGEST_SUBJECTS.get(template, DIGEST_SUBJECT)), values)
    lines = [_fill(_t(lang, DIGEST_INTRO), values)]
    for p in params[:DIGEST_DETAILED]:
        lines.append("- " + render(template, channel, language, p, timezone).body)
    rest = [str(p.get("case_id", "")) for p in params[DIGEST_DETAILED:] if isinstance(p, dict)]
    if rest:
        named = rest[: DIGEST_LISTED - DIGEST_DETAILED]
        more = {"more": str(len(rest)), "case_ids": _t(lang, LIST_SEPARATOR).join(named)}
        lines.append(_fill(_t(lang, DIGEST_MORE), more) + ("…" if len(named) < len(rest) else ""))
    return Rendered(subject, "\n".join(lines))


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
    brand = _t(lang, BRAND)
    if kind == "sms":
        return Rendered(None, brand + _fill(text.sms or text.body, values))
    if kind == "internal":
        prefix = _t(lang, COPY_PREFIX) if audience == "customer" else ""
        return Rendered(prefix + subject, body)
    if kind == "email" and audience == "customer":
        body = _t(lang, GREETING) + body + _t(lang, SIGN_OFF)
    if kind == "email":
        return Rendered(brand + subject, body)
    return Rendered(subject, body)
