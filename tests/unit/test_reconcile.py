"""The reconciler's verdicts: which open cases without a running workflow are lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus as S

from caseflow.domain import LostStatus
from caseflow.reconcile import Run, Verdict, latest_runs, verdicts

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
GRACE = timedelta(minutes=5)
OLD = NOW - timedelta(hours=1)


def run(case_id: str, run_id: str, status: S, minutes_ago: int) -> Run:
    return Run(case_id, run_id, status, NOW - timedelta(minutes=minutes_ago))


def test_a_terminated_failed_timed_out_or_cancelled_latest_run_is_lost():
    runs = [
        run("C-1", "r1", S.TERMINATED, 30),
        run("C-2", "r2", S.FAILED, 30),
        run("C-3", "r3", S.TIMED_OUT, 30),
        run("C-4", "r4", S.CANCELED, 30),
    ]
    found = verdicts([(c, OLD) for c in ("C-1", "C-2", "C-3", "C-4")], runs, NOW, GRACE)
    assert found == [
        Verdict("C-1", LostStatus.TERMINATED, "r1"),
        Verdict("C-2", LostStatus.FAILED, "r2"),
        Verdict("C-3", LostStatus.TIMED_OUT, "r3"),
        Verdict("C-4", LostStatus.CANCELED, "r4"),
    ]


def test_a_run_that_continued_as_new_is_never_the_verdict():
    # The chain: run 1 continued as new into run 2, which runs; or whose successor is not
    # visible yet: neither is lost.
    chain = [run("C-1", "r1", S.CONTINUED_AS_NEW, 60), run("C-1", "r2", S.RUNNING, 10)]
    starting = [run("C-2", "r1", S.CONTINUED_AS_NEW, 1)]
    assert verdicts([("C-1", OLD), ("C-2", OLD)], chain + starting, NOW, GRACE) == []
    # A later run of a continued chain that was terminated is lost, with that run's id.
    ended = [run("C-3", "r1", S.CONTINUED_AS_NEW, 60), run("C-3", "r2", S.TERMINATED, 10)]
    assert verdicts([("C-3", OLD)], ended, NOW, GRACE) == [
        Verdict("C-3", LostStatus.TERMINATED, "r2")
    ]


def test_a_revived_case_runs_again_and_a_completed_one_archived_meanwhile():
    revived = [run("C-1", "old", S.TERMINATED, 60), run("C-1", "new", S.RUNNING, 5)]
    archived = [run("C-2", "r1", S.COMPLETED, 1)]
    assert verdicts([("C-1", OLD), ("C-2", OLD)], revived + archived, NOW, GRACE) == []


def test_unknown_to_temporal_is_missing_only_after_the_grace_period():
    young = NOW - timedelta(minutes=1)
    found = verdicts([("C-old", OLD), ("C-young", young)], [], NOW, GRACE)
    assert found == [Verdict("C-old", LostStatus.MISSING, None)]


def test_the_latest_run_is_the_last_started():
    runs = [run("C-1", "b", S.RUNNING, 5), run("C-1", "a", S.TERMINATED, 50)]
    assert latest_runs(runs)["C-1"].run_id == "b"
    assert latest_runs(reversed(runs))["C-1"].run_id == "b"
