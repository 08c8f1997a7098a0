"""The two-of-everything stack, shared by this package's tests and stopped after the last."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.integration.replicated.stack import ReplicatedStack

# What the tests here report besides pass or fail (the burst's duplicate sends): printed in
# the session's summary, where CI shows it.
REPORTS = pytest.StashKey[list[str]]()


def report(config: pytest.Config, line: str) -> None:
    config.stash.setdefault(REPORTS, []).append(line)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    lines = config.stash.get(REPORTS, [])
    if lines:
        terminalreporter.section("two of everything")
        for line in lines:
            terminalreporter.write_line(line)


@pytest_asyncio.fixture(scope="package")
async def replicated(tmp_path_factory):
    """Two workers and two API processes against one stack, every part a process with its
    own log file (stack.py). The burst, the reconciler and the personal-data scan share it."""
    stack = ReplicatedStack(tmp_path_factory.mktemp("replicated"))
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()
