"""Rendering the pages: one Jinja environment with the i18n extension, the page's language,
times in the policy's zone, and the names of codes from the registry and the catalogs.

The language is the `lang` query parameter when it names a supported language (and is then
remembered in a cookie), else the cookie, else Chinese (zh-CN): the floor's own language.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

from api.labels import label
from caseflow.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise, translations
from caseflow.web_sessions import csrf_token

LANG_COOKIE = "caseflow_lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def page_language(request: Request) -> str:
    return (
        normalise(request.query_params.get("lang"))
        or normalise(request.cookies.get(LANG_COOKIE))
        or DEFAULT_LANGUAGE
    )


def gettext_for(request: Request):
    """The translations of the request's language, for texts made in Python."""
    return translations(page_language(request))


# The i18n extension's callables read the language of the template being rendered (from its
# context), so one environment serves every request whatever its language.
@pass_context
def _gettext(ctx, message: str) -> str:
    return translations(ctx["lang"]).gettext(message)


@pass_context
def _ngettext(ctx, singular: str, plural: str, n: int) -> str:
    return translations(ctx["lang"]).ngettext(singular, plural, n)


@pass_context
def _pgettext(ctx, context: str, message: str) -> str:
    return translations(ctx["lang"]).pgettext(context, message)


@pass_context
def _npgettext(ctx, context: str, singular: str, plural: str, n: int) -> str:
    return translations(ctx["lang"]).npgettext(context, singular, plural, n)


def _zone(ctx) -> ZoneInfo:
    return ZoneInfo(ctx["request"].app.state.book.active.timezone)


def _as_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


@pass_context
def _when(ctx, value: Any) -> str:
    """A time as people read it: in the policy's time zone, to the second, zone shown."""
    at = _as_datetime(value)
    if at is None:
        return "—"
    return at.astimezone(_zone(ctx)).strftime("%Y-%m-%d %H:%M:%S %Z")


@pass_context
def _short_when(ctx, value: Any) -> str:
    at = _as_datetime(value)
    if at is None:
        return "—"
    return at.astimezone(_zone(ctx)).strftime("%m-%d %H:%M %Z")


@pass_context
def _label(ctx, code: Any, vocabulary: str) -> str:
    """{{ c.phase|label('phase') }}: the name of a code in the page's language."""
    return label(vocabulary, code, ctx["lang"])


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.filters.update(when=_when, short_when=_short_when, label=_label)
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    lang = page_language(request)
    ctx.setdefault("user", None)
    ctx["lang"] = lang
    ctx["languages"] = LANGUAGES
    # The same page in each language (the query kept, the `lang` parameter replaced).
    ctx["lang_links"] = {
        code: f"{request.url.path}?{urlencode({**request.query_params, 'lang': code})}"
        for code in LANGUAGES
    }
    ctx["timezone"] = request.app.state.book.active.timezone  # shown with the times
    signed_in = getattr(request.state, "signed_in", None)
    if signed_in is not None:
        ctx.setdefault("csrf_token", csrf_token(signed_in.session_id))
    ctx.setdefault("done", None)
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if normalise(request.query_params.get("lang")):
        response.set_cookie(
            LANG_COOKIE, lang, max_age=LANG_COOKIE_SECONDS, httponly=True, samesite="lax"
        )
    return response
