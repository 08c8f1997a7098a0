"""A workflow that reads the machine's clock instead of `workflow.now()`: the kind of mistake
the tests' sandbox exists to catch (tests/workflows/test_sandbox_guard.py)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow


@workflow.defn
class ReadsTheMachineClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()
