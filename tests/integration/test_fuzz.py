"""The OpenAPI schema fuzzed with schemathesis against the running stack: no 5xx, and every
response (status, content type, body) matches what the schema documents."""

from __future__ import annotations

import asyncio

import pytest

from caseflow.binaries import installed_binary

pytestmark = pytest.mark.integration
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


@pytest.mark.parametrize("token", ["demo-supervisor", "demo-agent-cs"])
async def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(stack, token):
    cli = installed_binary("schemathesis") or installed_binary("st")
    assert cli, "schemathesis is a test dependency: pip install -e '.[test]'"
    proc = await asyncio.create_subprocess_exec(
        cli,
        "run",
        f"{stack['base']}/openapi.json",
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "8",
        "--max-time",
        "60",
        "--workers",
        "1",
        "--seed",
        "20261122",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=400)
    report = out.decode(errors="replace")
    assert proc.returncode == 0, report[-6000:]
