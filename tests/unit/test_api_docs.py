"""/docs and /redoc reference only files the API serves itself, and it serves them: the docs
work without internet access. In process against the real app; these routes need neither
Temporal nor PostgreSQL, so nothing else is started."""

from __future__ import annotations

import re

import httpx
import pytest

from api.main import create_app
from api.routers.docs import ASSETS_DIR
from caseflow.settings import Settings

# Everything a page makes the browser fetch: tag attributes and Swagger UI's `url: '...'`.
REFERENCE = re.compile(r"""(?:src|href|spec-url)="([^"]*)"|url:\s*'([^']*)'""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
async def client():
    app = create_app(Settings(temporal_ui_url=None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://caseflow.test") as c:
        yield c


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize(
    ("page", "expected_assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
async def test_a_docs_page_references_only_local_files_and_they_are_served(
    client, page, expected_assets
):
    r = await client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "://" not in r.text  # no CDN, no web font, no absolute URL of any kind
    # And the browser is told to fetch from this origin only (ReDoc's bundle names a CDN logo).
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "://" not in policy and "*" not in policy
    urls = references(r.text)
    assert "/openapi.json" in urls
    assets = [u for u in urls if u != "/openapi.json"]
    assert {u.rsplit("/", 1)[-1] for u in assets} == expected_assets
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert CONTENT_TYPES[suffix] in served.headers["content-type"], (url, served.headers)
        # The very file the package installed, not a placeholder.
        assert served.content == (ASSETS_DIR / url.rsplit("/", 1)[-1]).read_bytes()


async def test_the_docs_load_the_apps_own_schema(client):
    html = (await client.get("/docs")).text
    schema = await client.get(next(u for u in references(html) if u.endswith(".json")))
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/cases" in paths
    # The docs pages themselves are not API operations (the schema fuzzing must not call them).
    assert not {"/docs", "/redoc"} & set(paths)
    assert not any(p.startswith("/docs/assets") for p in paths)


async def test_an_unknown_asset_is_404(client):
    assert (await client.get("/docs/assets/nope.js")).status_code == 404
