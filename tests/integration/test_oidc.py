"""Single sign-on through OpenID Connect, against a small identity provider run here: it
publishes its discovery document and keys, "signs in" whoever the test says, and answers the
token request with an RS256-signed ID token, checking the client's secret and the PKCE
verifier as a real provider does. The API under test is configured with it as its issuer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import RSAKey

from api.main import create_app
from caseflow.settings import Settings
from tests.integration.conftest import TEST_VERSION, _free_port

pytestmark = pytest.mark.integration
CLIENT_ID, CLIENT_SECRET = "caseflow-pages", "s3cret-for-tests"


class Provider:
    """What the identity provider says next: who signed in, and whether to misbehave."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.stranger_key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.user = "agent.cs"
        self.sign_with_stranger_key = False
        self.audience = CLIENT_ID
        self.codes: dict[str, dict] = {}
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        return app

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert q["code_challenge_method"] == "S256" and "openid" in q["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "user": self.user,
        }
        query = urlencode({"code": code, "state": q["state"]})
        raise web.HTTPFound(f"{q['redirect_uri']}?{query}")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        basic = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
        if basic != f"{CLIENT_ID}:{CLIENT_SECRET}":
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.codes.pop(form["code"], None)  # a code is good once
        if grant is None or form["redirect_uri"] != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = form["code_verifier"].encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != grant["challenge"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": f"sub-{grant['user']}",
            "aud": self.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "preferred_username": grant["user"],
        }
        key = self.stranger_key if self.sign_with_stranger_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return web.json_response(
            {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )


@pytest_asyncio.fixture(scope="module")
async def provider():
    p = Provider()
    runner = web.AppRunner(p.app())
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    p.url = f"http://127.0.0.1:{port}"
    yield p
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module")
async def sso_api(provider, temporal_env, db_engine, pg_url, policy_dir):
    """An API replica configured for single sign-on (pages only: no worker needed)."""
    port = _free_port()
    settings = Settings(
        database_url=pg_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue="oidc-tests",
        policy_dir=policy_dir,
        policy_version=TEST_VERSION,
        schedules=False,
        temporal_ui_url=None,
        oidc_issuer=provider.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_keep_alive=settings.api_keep_alive_seconds,
        )
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(15):
        while not server.started:
            assert not task.done(), "the API failed to start"
            await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def _single_sign_on(client: httpx.AsyncClient) -> httpx.Response:
    """The browser's part: the login page's button, the provider, back to caseflow."""
    login = await client.get("/login")
    assert 'data-testid="sso"' in login.text  # the button shows when SSO is configured
    to_provider = await client.get("/login/oidc")
    assert to_provider.status_code == 303
    back = await client.get(to_provider.headers["location"])
    assert back.status_code == 302
    assert back.headers["location"].startswith(
        f"{str(client.base_url).rstrip('/')}/login/oidc/callback?"
    )
    return await client.get(back.headers["location"])


async def test_single_sign_on_opens_a_session_for_a_known_staff_user(provider, sso_api):
    provider.user = "agent.cs"
    async with httpx.AsyncClient(base_url=sso_api, timeout=30) as client:
        done = await _single_sign_on(client)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert "caseflow_session" in client.cookies
        home = await client.get("/")
        assert home.status_code == 200 and "Li Na" in home.text
        # The answer cannot be replayed: its state was used up.
        again = await client.get(done.request.url)
        assert again.status_code == 303 and again.headers["location"] == "/login?error=oidc"


@pytest.mark.parametrize("who", ["stranger.unknown", "channel.hotline"])
async def test_nobody_but_active_staff_gets_in(provider, sso_api, who):
    provider.user = who
    async with httpx.AsyncClient(base_url=sso_api, timeout=30) as client:
        done = await _single_sign_on(client)
        assert done.headers["location"] == "/login?error=oidc_unknown_user"
        assert "caseflow_session" not in client.cookies


@pytest.mark.parametrize("misbehave", ["key", "audience"])
async def test_an_id_token_signed_by_another_key_or_for_another_client_is_refused(
    provider, sso_api, misbehave
):
    provider.user = "agent.cs"
    provider.sign_with_stranger_key = misbehave == "key"
    provider.audience = "someone-else" if misbehave == "audience" else CLIENT_ID
    try:
        async with httpx.AsyncClient(base_url=sso_api, timeout=30) as client:
            done = await _single_sign_on(client)
            assert done.headers["location"] == "/login?error=oidc"
            assert "caseflow_session" not in client.cookies
    finally:
        provider.sign_with_stranger_key, provider.audience = False, CLIENT_ID


async def test_an_answer_for_another_browser_is_refused(provider, sso_api):
    """The state comes back only to the browser that started the sign-in (its cookie)."""
    provider.user = "agent.cs"
    async with httpx.AsyncClient(base_url=sso_api) as victim:
        start = await victim.get("/login/oidc")
        answer = await victim.get(start.headers["location"])
    callback = urlsplit(answer.headers["location"])
    assert parse_qs(callback.query)["state"]
    async with httpx.AsyncClient(base_url=sso_api) as attacker:
        r = await attacker.get(f"{callback.path}?{callback.query}")
        assert r.headers["location"] == "/login?error=oidc"
        assert "caseflow_session" not in attacker.cookies
