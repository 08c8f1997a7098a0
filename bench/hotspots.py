"""Where a process's time went, from a profile `bench/run.py --profile` recorded.

    .venv/bin/python bench/hotspots.py bench/results/<run>-accept-worker.folded
    .venv/bin/python bench/hotspots.py --all --top 40 bench/results/<run>-intake-api.folded

Each line of a collapsed-stack file (py-spy's raw format) is one stack, outermost frame first,
and the number of samples that caught it. A frame's share is inclusive: the busy samples with
that frame anywhere on their stack (a function and everything it called). Samples waiting for
work (in the event loop's selector, or a thread-pool thread on its queue) are left out. By
default only caseflow's own frames are listed (api/, activities/, caseflow/, workflows/,
worker.py); `--all` lists the libraries' too (the SDK, FastAPI, SQLAlchemy).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

OURS = re.compile(r"\((?:api|activities|caseflow|workflows)/|\(worker\.py:")
# The innermost frame of a sample spent waiting for work: the event loop's selector, or a
# thread-pool thread waiting on its queue. A sample with no frame at all is left out too.
IDLE = re.compile(r"\.select \(selectors\.py:|^_worker \(concurrent/futures/thread\.py:")


@dataclass
class Hotspots:
    busy: int  # samples not idle
    idle: int
    shares: list[tuple[str, float]]  # frame, share of the busy samples, largest first


def hotspots(lines: list[str], only_ours: bool = True, top: int = 25) -> Hotspots:
    inclusive: Counter[str] = Counter()
    busy = idle = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if not stack or IDLE.search(frames[-1]):
            idle += int(count)
            continue
        busy += int(count)
        for frame in set(frames):  # a recursive frame counts once per sample
            if not only_ours or OURS.search(frame):
                inclusive[frame] += int(count)
    shares = [(frame, n / busy) for frame, n in inclusive.most_common(top)] if busy else []
    return Hotspots(busy, idle, shares)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", type=Path, help="a .folded file from bench/run.py --profile")
    parser.add_argument("--all", action="store_true", help="list the libraries' frames too")
    parser.add_argument("--top", type=int, default=25, help="how many frames (default 25)")
    args = parser.parse_args()
    found = hotspots(args.profile.read_text(encoding="utf-8").splitlines(), not args.all, args.top)
    out = [f"{args.profile.name}: {found.busy} busy samples ({found.idle} idle left out)"]
    out += [f"{share:6.1%}  {frame}" for frame, share in found.shares]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
