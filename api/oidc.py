"""OpenID Connect single sign-on: the authorization code flow with PKCE (RFC 7636) and a nonce.

Authlib builds the authorization request and exchanges the code for tokens; joserfc (Authlib's
JOSE library) verifies the ID token's signature against the provider's published keys and its
claims (issuer, audience, expiry, nonce). The provider's discovery document and keys are read
from <issuer>/.well-known/openid-configuration when first needed and kept for an hour.
Nobody is created by signing in: the ID token's claim (Settings.oidc_user_claim) must name an
active staff user caseflow knows.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from caseflow.settings import Settings

DISCOVERY_TTL_S = 3600
HTTP_TIMEOUT_S = 10
ALGORITHMS = ("RS256", "ES256", "PS256")  # what providers sign ID tokens with (no "none")


class OidcError(Exception):
    """The provider could not be reached, or its answer does not check out."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    keys: KeySet


_providers: dict[str, tuple[float, Provider]] = {}


async def provider(settings: Settings) -> Provider:
    issuer = (settings.oidc_issuer or "").rstrip("/")
    cached = _providers.get(issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
            meta = (await http.get(f"{issuer}/.well-known/openid-configuration")).raise_for_status()
            meta = meta.json()
            jwks = (await http.get(meta["jwks_uri"])).raise_for_status().json()
        found = Provider(
            issuer=meta["issuer"],
            authorization_endpoint=meta["authorization_endpoint"],
            token_endpoint=meta["token_endpoint"],
            keys=KeySet.import_key_set(jwks),
        )
    except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
        raise OidcError(f"cannot read the identity provider's configuration: {exc}") from exc
    if found.issuer.rstrip("/") != issuer:
        raise OidcError("the discovery document names another issuer")
    _providers[issuer] = (time.monotonic() + DISCOVERY_TTL_S, found)
    return found


def _client(settings: Settings, redirect_uri: str):
    # Imported when single sign-on is used. Authlib 1.9 asks for its httpx fork (httpx2) and
    # warns that plain httpx support is deprecated; it works with the httpx the API already
    # uses, and pyproject pins Authlib below 2, where that support is promised to last.
    from authlib.deprecate import AuthlibDeprecationWarning  # it turns its warnings "always"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_S,
    )


@dataclass(frozen=True)
class Start:
    url: str  # where to send the browser
    state: str
    nonce: str
    code_verifier: str


async def start(settings: Settings, redirect_uri: str) -> Start:
    found = await provider(settings)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            found.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
        )
    return Start(url, state, nonce, verifier)


async def finish(
    settings: Settings, redirect_uri: str, code: str, nonce: str, code_verifier: str
) -> dict[str, Any]:
    """Exchange the code and return the verified ID token's claims."""
    found = await provider(settings)
    try:
        async with _client(settings, redirect_uri) as client:
            token = await client.fetch_token(
                found.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except Exception as exc:  # noqa: BLE001 - Authlib raises its own errors and httpx's
        raise OidcError(f"the identity provider refused the code: {type(exc).__name__}") from exc
    id_token = token.get("id_token")
    if not id_token:
        raise OidcError("the identity provider sent no ID token")
    try:
        decoded = jwt.decode(id_token, found.keys, algorithms=list(ALGORITHMS))
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": found.issuer},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OidcError(f"the ID token does not check out: {type(exc).__name__}") from exc
    return decoded.claims
