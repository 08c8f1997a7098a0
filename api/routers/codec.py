"""Temporal's remote codec protocol, so an authorised supervisor's Temporal UI (or CLI) can read
the encrypted payloads: POST /codec/decode and /codec/encode with {"payloads": [...]}.

Callers prove who they are with a bearer token, or, from caseflow's own origin (the Temporal
UI served at /temporal), with their staff session: see `codec_user`.

Every decode is an unmasked read of whatever cases the payloads belong to, so it is written to
the personal-data access log. Errors answer in plain words: exception texts (which may quote
the input) never reach the response.
"""

from __future__ import annotations

import binascii
import json
import logging
from typing import Annotated

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf.json_format import MessageToDict, ParseDict
from google.protobuf.json_format import ParseError as JsonParseError
from google.protobuf.message import DecodeError
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payload

from api.deps import EngineDep, NotSignedIn, SettingsDep, bearer_scheme, current_user, require_role
from api.page_auth import SESSION_COOKIE, expected_origin, page_session
from caseflow.codec import EncryptionCodec, KeyError_, parse_keys
from caseflow.db.models import User
from caseflow.domain import SUPERVISORS
from caseflow.pii import record_access

router = APIRouter(prefix="/codec", tags=["codec"])
log = logging.getLogger("caseflow.api.codec")

# Standard or URL-safe base64, padded or not: what protobuf's JSON mapping accepts for bytes.
BASE64 = r"^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$"
Base64 = Annotated[str, Field(pattern=BASE64, max_length=4 * 1024 * 1024)]
MAX_PAYLOADS = 100
UNKNOWN_CASE = "-"  # access-log case id when no decoded payload names its case


class PayloadJson(BaseModel):
    """One payload in Temporal's JSON: metadata values and data are base64."""

    model_config = ConfigDict(extra="forbid")
    metadata: dict[Annotated[str, Field(max_length=200)], Base64] = Field(default_factory=dict)
    data: Base64 = ""


class Payloads(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}}]}]
        },
    )
    payloads: list[PayloadJson] = Field(max_length=MAX_PAYLOADS)


async def codec_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """Who asks: a bearer token (API clients, the CLI's --codec-auth), or the staff session of
    a same-origin request (the Temporal UI served at /temporal: api/routers/temporal_ui.py).
    A session counts only from this origin, so another site cannot decode with a
    supervisor's cookie; no token and no session: 401."""
    if credentials is not None:
        return await current_user(request, credentials)
    if request.cookies.get(SESSION_COOKIE):
        try:
            signed = await page_session(request)
        except NotSignedIn:
            signed = None
        if signed is not None:
            origin = (request.headers.get("origin") or "").lower()
            if origin != expected_origin(request):
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    "a signed-in session decodes only from caseflow's own origin (the Temporal "
                    "UI at /temporal); elsewhere send 'Authorization: Bearer <token>'",
                )
            return signed.user
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "sign in to caseflow as a supervisor and open the Temporal UI from a case page, or "
        "send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )


CodecUser = Annotated[User, Depends(codec_user)]


def _codec(settings) -> EncryptionCodec:
    if not settings.payload_keys:
        raise HTTPException(404, "payload encryption is not configured (CASEFLOW_PAYLOAD_KEYS)")
    return EncryptionCodec(parse_keys(settings.payload_keys))


def _parse(body: Payloads) -> list[Payload]:
    try:
        return [ParseDict(p.model_dump(), Payload()) for p in body.payloads]
    except (JsonParseError, binascii.Error, ValueError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "a payload is not valid base64 in Temporal's JSON",
        ) from None


def _reply(payloads: list[Payload]) -> Payloads:
    return Payloads.model_validate({"payloads": [MessageToDict(p) for p in payloads]})


def _case_ids(payloads: list[Payload]) -> set[str]:
    """The cases decoded payloads belong to, where their JSON names one (a workflow's input,
    a state); action arguments do not, and are logged against no case."""
    found = set()
    for p in payloads:
        try:
            value = json.loads(p.data)
        except ValueError:
            continue
        if isinstance(value, dict):
            state = value.get("state") if isinstance(value.get("state"), dict) else {}
            case_id = value.get("case_id") or state.get("case_id")
            if isinstance(case_id, str) and case_id:
                found.add(case_id[:40])
    return found


@router.post(
    "/decode",
    response_model=Payloads,
    summary="Decrypt payloads for the Temporal UI (supervisors)",
    description="422 in plain words when a payload's ciphertext does not authenticate "
    "(tampered, truncated or encrypted with another key of the same id), names a key this "
    "service does not have, or is not Temporal's JSON. Every decode is written to the "
    "personal-data access log.",
)
async def decode(body: Payloads, user: CodecUser, settings: SettingsDep, engine: EngineDep):
    require_role(user, SUPERVISORS, "decode case payloads")
    codec = _codec(settings)
    try:
        decoded = await codec.decode(_parse(body))
    except KeyError_:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "a payload is encrypted with a key this service does not have",
        ) from None
    except (InvalidTag, DecodeError, ValueError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "a payload does not decrypt: its ciphertext is tampered, truncated or not ours",
        ) from None
    for case_id in sorted(_case_ids(decoded)) or [UNKNOWN_CASE]:
        await record_access(engine, case_id, user.id, user.role, "POST /codec/decode")
    return _reply(decoded)


@router.post(
    "/encode",
    response_model=Payloads,
    summary="Encrypt payloads (for tools that send to Temporal)",
)
async def encode(body: Payloads, user: CodecUser, settings: SettingsDep):
    require_role(user, SUPERVISORS, "encode case payloads")
    return _reply(await _codec(settings).encode(_parse(body)))
