"""Temporal's remote codec protocol, so an authorised supervisor's Temporal UI (or CLI) can read
the encrypted payloads: POST /codec/decode and /codec/encode with {"payloads": [...]}."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payload

from api.deps import SettingsDep, UserDep, require_role
from caseflow.codec import EncryptionCodec, parse_keys
from caseflow.domain import SUPERVISORS

router = APIRouter(prefix="/codec", tags=["codec"])


def _codec(settings) -> EncryptionCodec:
    if not settings.payload_keys:
        raise HTTPException(404, "payload encryption is not configured (CASEFLOW_PAYLOAD_KEYS)")
    return EncryptionCodec(parse_keys(settings.payload_keys))


async def _payloads(request: Request) -> list[Payload]:
    try:
        body = await request.json()
        return [ParseDict(p, Payload()) for p in body.get("payloads", [])]
    except Exception as exc:  # noqa: BLE001 - any malformed body is the client's error
        raise HTTPException(
            422, f'expected {{"payloads": [...]}} in Temporal\'s JSON: {exc}'
        ) from None


def _reply(payloads: list[Payload]) -> dict:
    return {"payloads": [MessageToDict(p) for p in payloads]}


@router.post("/decode", summary="Decrypt payloads for the Temporal UI (supervisors)")
async def decode(request: Request, user: UserDep, settings: SettingsDep) -> dict:
    require_role(user, SUPERVISORS, "decode case payloads")
    try:
        return _reply(await _codec(settings).decode(await _payloads(request)))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/encode", summary="Encrypt payloads (for tools that send to Temporal)")
async def encode(request: Request, user: UserDep, settings: SettingsDep) -> dict:
    require_role(user, SUPERVISORS, "encode case payloads")
    return _reply(await _codec(settings).encode(await _payloads(request)))
