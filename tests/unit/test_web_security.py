"""CORS answers the Temporal UI's origin on /codec only; no other path answers a cross-origin
preflight. (Preflights are answered by the middleware: no Temporal or database needed.)"""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from api.web_security import is_page_path
from caseflow.settings import Settings

UI = "http://127.0.0.1:8233"


@pytest.fixture
def client():
    app = create_app(Settings(temporal_ui_url=UI))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


async def test_the_codec_answers_the_temporal_ui(client):
    async with client:
        r = await client.options("/codec/decode", headers=_preflight(UI))
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == UI


@pytest.mark.parametrize("path", ["/api/v1/cases", "/login", "/cases/X/actions/note", "/"])
async def test_nothing_else_answers_cross_origin(client, path):
    async with client:
        r = await client.options(path, headers=_preflight(UI))
    assert "access-control-allow-origin" not in r.headers


def test_which_paths_are_pages():
    assert is_page_path("/") and is_page_path("/cases/X") and is_page_path("/static/caseflow.js")
    for path in ("/api/v1/cases", "/codec/decode", "/docs", "/redoc", "/metrics", "/healthz"):
        assert not is_page_path(path), path
