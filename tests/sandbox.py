"""The runner the workflow tests give their workers: the SDK's full sandbox.

The production worker runs case workflows without a sandbox (worker.py says why: it passed
every workflow module through, so its restrictions guarded nothing of caseflow's). Here every
workflow module is imported inside the sandbox, so a non-deterministic call in workflow code
(the machine's clock, random, I/O) fails the test that reaches it, as the replay tests'
`Replayer` (whose default is this same sandbox) fails a history that reaches it.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

CHECKING_RUNNER = SandboxedWorkflowRunner()
