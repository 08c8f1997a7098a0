"""The burst alone, at any size: intakes over two API processes, every case breaching and
escalating once, with one of two workers SIGKILLed in the middle (the test in
tests/integration/replicated/test_two_of_everything.py, which the suite runs with the issue's
500; here without the other tests on its stack).

    .venv/bin/python bench/burst.py              # 500 cases, as in the suite
    .venv/bin/python bench/burst.py --cases 2000 # a longer soak

Prints the test's report line: how many notifications went out, the duplicate sends in the
crash window (same idempotency key twice), when the worker was killed and how long it took.
Exits with the test's status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/integration/replicated/test_two_of_everything.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500, help="cases in the burst (500)")
    args = parser.parse_args()
    if args.cases < 10:
        parser.error("--cases: at least 10")
    env = {**os.environ, "CASEFLOW_BURST": str(args.cases)}
    command = [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "-rA"]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
