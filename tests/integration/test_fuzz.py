"""The OpenAPI schema fuzzed with schemathesis against the running stack, every phase
(examples, coverage, fuzzing, and stateful: following the schema's links from an intake to the
actions on that case) and every check: no 5xx, every response as documented, every
schema-valid request accepted and every schema-violating one refused. The few rules no schema
can state (a name that must exist) are allowed per operation in schemathesis.toml beside this
file. Bounded: each run stops after its time budget."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from caseflow.binaries import installed_binary

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).with_name("schemathesis.toml")
BUDGET_S = {"demo-supervisor": 55, "demo-agent-cs": 35}


@pytest.mark.parametrize("token", list(BUDGET_S))
async def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(stack, token):
    cli = installed_binary("schemathesis") or installed_binary("st")
    assert cli, "schemathesis is a test dependency: pip install -e '.[test]'"
    proc = await asyncio.create_subprocess_exec(
        cli,
        "--config-file",
        str(CONFIG),
        "run",
        f"{stack['base']}/openapi.json",
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "8",
        "--max-time",
        str(BUDGET_S[token]),
        "--workers",
        "1",
        "--seed",
        "20261122",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=BUDGET_S[token] + 120)
    report = out.decode(errors="replace")
    assert proc.returncode == 0, report[-12000:]
