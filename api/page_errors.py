"""Refused page requests answered as pages, in the reader's language."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from api.page_auth import PageRefused
from api.page_render import gettext_for, render
from caseflow.i18n import N_

MESSAGES = {
    "csrf": N_(
        "refusal",
        "This form has expired or did not come from caseflow. Reload the page and try again.",
    ),
    "cross_origin": N_("refusal", "This request did not come from caseflow's own pages."),
}


def install_page_handlers(app: FastAPI) -> None:
    @app.exception_handler(PageRefused)
    async def _refused(request: Request, exc: PageRefused) -> HTMLResponse:
        source = MESSAGES.get(exc.code, MESSAGES["cross_origin"])
        response = render(
            request,
            "refused.html",
            status_code=exc.status_code,
            message=gettext_for(request).pgettext("refusal", source),
            code=exc.code,
        )
        response.headers.update(exc.headers)
        return response
