"""bench/hotspots.py: a frame's share of a profile counts every busy sample with the frame on
its stack, once, and leaves out samples that waited for work."""

from __future__ import annotations

from bench.hotspots import hotspots

PROFILE = [
    "main (worker.py:193);write (caseflow/readmodel/writes.py:145);execute (asyncpg/c.py:1) 6",
    "main (worker.py:193);activate (temporalio/worker/_workflow.py:869) 3",
    # A recursive frame: one sample, counted once.
    "main (worker.py:193);walk (caseflow/x.py:1);walk (caseflow/x.py:1) 1",
    "main (worker.py:193);EpollSelector.select (selectors.py:468) 40",
    "Thread._bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:81) 7",
    " 2",
    "not a sample line",
]


def test_shares_are_inclusive_of_busy_samples_and_ours_by_default():
    found = hotspots(PROFILE)
    assert (found.busy, found.idle) == (10, 49)
    shares = dict(found.shares)
    assert shares["main (worker.py:193)"] == 1.0
    assert shares["write (caseflow/readmodel/writes.py:145)"] == 0.6
    assert shares["walk (caseflow/x.py:1)"] == 0.1
    # Libraries' frames only with only_ours=False.
    assert "activate (temporalio/worker/_workflow.py:869)" not in shares
    every = dict(hotspots(PROFILE, only_ours=False).shares)
    assert every["activate (temporalio/worker/_workflow.py:869)"] == 0.3
    assert [frame for frame, _ in hotspots(PROFILE, top=2).shares] == [
        "main (worker.py:193)",
        "write (caseflow/readmodel/writes.py:145)",
    ]
