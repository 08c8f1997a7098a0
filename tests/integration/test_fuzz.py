"""The OpenAPI schema fuzzed with schemathesis against the running stack, every phase
(examples, coverage, fuzzing, and stateful: following the schema's links from an intake to the
actions on that case) and every check: no 5xx, every response as documented, every
schema-valid request accepted and every schema-violating one refused. The few rules no schema
can state (a name that must exist) are allowed per operation in schemathesis.toml beside this
file. Bounded: each run stops after its time budget."""

from __future__ import annotations

import asyncio
import dataclasses
import typing
from pathlib import Path

import pytest

from caseflow.binaries import installed_binary
from caseflow.domain.actions import ACTIONS
from caseflow.domain.fields import Ref

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).with_name("schemathesis.toml")
BUDGET_S = {"demo-supervisor": 55, "demo-agent-cs": 35}
# Actions whose update validator refuses some schema-valid content for this case (422): a
# transfer to the department the case is in, a link to the outage it is linked to, a
# reclassification that changes nothing, an urge deadline not in the next 30 days, an
# extension of a window not open or beyond its cap (workflows/lifecycle/base.py).
CONTENT_RULES = {"transfer", "link_outage", "reclassify", "urge", "extend"}
ALLOW_422 = '["2xx", "401", "403", "404", "409", "429", "422"]'


def _names_records(message: type) -> bool:
    hints = typing.get_type_hints(message, include_extras=True)
    return any(
        isinstance(m, Ref)
        for f in dataclasses.fields(message)
        for m in getattr(hints[f.name], "__metadata__", ())
    )


def fuzz_config(tmp_path: Path) -> Path:
    """schemathesis.toml plus the actions whose 422 depends on data, derived from the table."""
    lenient = sorted(
        name for name, r in ACTIONS.items() if name in CONTENT_RULES or _names_records(r.message)
    )
    text = CONFIG.read_text(encoding="utf-8")
    for name in lenient:
        text += (
            f'\n[[operations]]\ninclude-name = "POST /api/v1/cases/{{case_id}}/actions/{name}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {ALLOW_422}\n"
        )
    path = tmp_path / "schemathesis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_lenient_actions_are_the_ones_naming_records():
    """The derivation sees the markers: assign names a user, notes name attachments."""
    assert _names_records(ACTIONS["assign"].message)
    assert _names_records(ACTIONS["note"].message)
    assert not _names_records(ACTIONS["accept"].message)
    assert set(ACTIONS) >= CONTENT_RULES


@pytest.mark.parametrize("token", list(BUDGET_S))
async def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(stack, token, tmp_path):
    cli = installed_binary("schemathesis") or installed_binary("st")
    assert cli, "schemathesis is a test dependency: pip install -e '.[test]'"
    proc = await asyncio.create_subprocess_exec(
        cli,
        "--config-file",
        str(fuzz_config(tmp_path)),
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
