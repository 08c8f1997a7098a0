"""The API docs, Swagger UI at /docs and ReDoc at /redoc, with every script, style and icon
served by this process.

FastAPI's built-in pages load Swagger UI and ReDoc from a CDN, so on a network without internet
access (a call centre's, or a laptop offline) they stay blank. The files come from PyPI instead:
the fastapi-offline package ships swagger-ui's dist bundle and ReDoc's standalone bundle; only
its static directory is used here. Mount `assets()` at ASSETS_URL next to this router.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
SWAGGER_JS, SWAGGER_CSS = "swagger-ui-bundle.js", "swagger-ui.css"
REDOC_JS, FAVICON = "redoc.standalone.js", "favicon.png"

# The pages may load from this origin only. ReDoc's sidebar asks a CDN for its logo, hard-coded
# in its bundle: the policy stops the browser from even trying (and the logo hides itself).
# Inline script and style: Swagger UI's start-up script and ReDoc's styled components.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)

router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    return StaticFiles(directory=ASSETS_DIR)


def _urls(request: Request) -> tuple[str, str]:
    """(the OpenAPI document's URL, the assets' URL prefix), behind a proxy's root path too."""
    if request.app.openapi_url is None:
        raise HTTPException(404, "the OpenAPI document is turned off")
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS_URL}"


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url, assets_url = _urls(request)
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=f"{assets_url}/{SWAGGER_JS}",
        swagger_css_url=f"{assets_url}/{SWAGGER_CSS}",
        swagger_favicon_url=f"{assets_url}/{FAVICON}",
        # No online validator: it would send the schema to a public service.
        swagger_ui_parameters={**(request.app.swagger_ui_parameters or {}), "validatorUrl": None},
    )
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    openapi_url, assets_url = _urls(request)
    page = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{request.app.title} API",
        redoc_js_url=f"{assets_url}/{REDOC_JS}",
        redoc_favicon_url=f"{assets_url}/{FAVICON}",
        with_google_fonts=False,  # the system's fonts: Google's would need the internet
    )
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
