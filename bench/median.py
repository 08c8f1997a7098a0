"""The median of several full-size benchmark runs, figure by figure, against issue 13's goals:
the tables README.md's "Benchmark" section shows.

    .venv/bin/python bench/median.py                    # each phase: its last three runs
    .venv/bin/python bench/median.py A.json B.json C.json

Each figure is the median of the last three bench/results/<time>.json files that measured its
phase at full size (`bench/run.py` without --quick: all phases, or `--only` that phase), and
with the phase's present method (see METHODS). Figures measured by the same runs share a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import GOALS, HTTP_PAIRS, cpu_ratios, flat  # noqa: E402
from caseflow.settings import Settings  # noqa: E402
from worker import WORKFLOW_RUNNER  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# The http phase's figures, and the direct phase's: each kind of line for the three ratios.
HTTP_LINES = (
    ("ratios.{}", "{} / {}"),
    ("cpu_ratios.{}.all_processes", "{}: as CPU per operation sets it"),
    ("cpu_ratios.{}.without_api", "{}: the same, without the API and client"),
    ("direct.ratios.{}", "{} without the API / {}"),
)
HTTP_FIGURES = tuple(
    (key.format(ratio), label.format(ours, "raw start" if theirs == "start" else "raw update"))
    for key, label in HTTP_LINES
    for ratio, (ours, theirs) in HTTP_PAIRS.items()
)
# The figures of the README's table, in its order, with how each is shown.
FIGURES = (
    *((key, label, "{:.2f}") for key, label in HTTP_FIGURES),
    ("sustained.open_vs_raw", "sustained open / same-shape twin", "{:.2f}"),
    ("sustained.paced.keeps_up", "60 s paced intake keeps up (1 = yes)", "{:.0f}"),
    ("sustained.paced.backlog_last_third", "paced intake: backlog in its last third", "{:.0f}"),
    ("avalanche.p99_s", "avalanche: p99 lateness of the escalations (s)", "{:.0f}"),
    ("avalanche.raw_p99_s", "avalanche: p99 lateness of the twins' timers (s)", "{:.0f}"),
    ("avalanche.ratio", "avalanche p99 / twins' p99", "{:.2f}"),
    ("avalanche.warnings.p99_s", "avalanche: p99 lateness of the warnings (s)", "{:.0f}"),
    ("avalanche.warnings.ratio", "the warnings' p99 / twins' p99", "{:.2f}"),
    (
        "avalanche.warnings_done_before_due",
        "warnings all sent before the deadlines (1 = yes)",
        "{:.0f}",
    ),
    ("avalanche.escalated_once", "every case escalated exactly once (1 = yes)", "{:.0f}"),
    (
        "avalanche.alerts_max_per_level_department_minute",
        "staff alerts per level, department and minute (most)",
        "{:.0f}",
    ),
    ("list.ratio", "list p95 / the same SQL at 1 000 000 rows", "{:.2f}"),
    ("idle.rss_mib.1000", "worker RSS at 1 000 open cases (MiB)", "{:.0f}"),
    ("idle.rss_mib.10000", "worker RSS at 10 000 open cases (MiB)", "{:.0f}"),
    ("history.events_happy_complaint", "history events, happy complaint", "{:.0f}"),
)


# A key a run's results carry only since its phase is measured the present way. The http
# phase: since it alternates caseflow and raw Temporal in slices (runs before measured raw
# first, caseflow after). The avalanche: since its warnings come ahead of the deadlines (runs
# before overlapped the two). The history: since cases are born with their patches
# (caseflow.patches; the history of a case filed before had a marker and an upsert per patch).
METHODS = {
    "http": "raw_alongside",
    "avalanche": "avalanche.warnings_done_before_due",
    "history": "history.born_with_patches",
}


# The workers' sticky cache the runs compared here use: the default (older runs record none).
DEFAULT_CACHE = Settings.model_fields["worker_cached_cases"].default


# The phases whose figures depend on how the workers run a workflow count only runs whose
# workers ran them as they do now. Runs before the worker left the SDK's sandbox (1 December
# 2026, evening) record no runner: their caseflow and twins ran in it.
RUNNER_PHASES = {"http", "direct", "sustained", "idle", "avalanche"}
PRESENT_RUNNER = type(WORKFLOW_RUNNER).__name__


def phase_of(key: str) -> str:
    """The bench/run.py phase that measures a figure."""
    return "http" if key.startswith(("ratios.", "cpu_ratios.")) else key.split(".")[0]


def runs_measuring(phase: str) -> list[Path]:
    """Full-size runs that measured `phase` the present way, oldest first."""
    runs = []
    for path in sorted(RESULTS.glob("2*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if body.get("quick") or "goals" not in body or phase not in body.get("phases", ()):
            continue
        if phase in METHODS and flat(body, METHODS[phase]) is None:
            continue
        if flat(body, "machine.profiled"):
            continue  # py-spy took its share of the CPU
        if flat(body, "machine.worker_cached_cases") not in (None, DEFAULT_CACHE):
            continue  # an experiment with another worker configuration
        if phase in RUNNER_PHASES and flat(body, "machine.workflow_runner") != PRESENT_RUNNER:
            continue
        runs.append(path)
    return runs


def goal_of(key: str) -> tuple[str, float] | None:
    if key in GOALS:
        return GOALS[key]
    if key.startswith("idle.rss_mib."):
        return GOALS["idle.rss_mib.max"]
    return None


def table(runs: list[dict], figures=FIGURES) -> list[str]:
    lines = [
        "| figure | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | median | goal |",
        "|---" * (len(runs) + 3) + "|",
    ]
    for key, label, fmt in figures:
        values = [flat(r, key) for r in runs]
        numbers = [v for v in values if isinstance(v, int | float)]
        if not numbers:
            continue
        median = statistics.median(numbers)
        goal = goal_of(key)
        if goal is None:
            verdict = ""
        else:
            op, bound = goal
            met = median >= bound if op == ">=" else median <= bound
            verdict = f"{'≥' if op == '>=' else '≤'} {bound:g}: {'met' if met else 'missed'}"
        cells = [fmt.format(v) if isinstance(v, int | float) else "—" for v in values]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {fmt.format(median)} | {verdict} |")
    return lines


def groups(paths: list[Path] | None) -> list[tuple[list[Path], list[tuple]]]:
    """The figures by the runs that measured them: the given runs for all, else each phase's
    last three."""
    found: dict[tuple[Path, ...], list[tuple]] = {}
    for figure in FIGURES:
        runs = tuple(paths or runs_measuring(phase_of(figure[0]))[-3:])
        if runs:
            found.setdefault(runs, []).append(figure)
    return [(list(runs), figures) for runs, figures in found.items()]


def read(path: Path) -> dict:
    """A run's results, with the http ratios as CPU sets them worked out from its CPU figures
    where the run predates their key."""
    run = json.loads(path.read_text(encoding="utf-8"))
    if "cpu_ratios" not in run:
        run["cpu_ratios"] = cpu_ratios(run)
    return run


def describe(path: Path, run: dict) -> str:
    machine = run.get("machine", {})
    steal = machine.get("steal_share") or {}
    taken = ", ".join(f"{k} {v:.0%}" for k, v in steal.items() if v is not None)
    return (
        f"run: {path.name}, started {run.get('started_at', '?')}, "
        f"{machine.get('cpus', '?')} CPUs"
        + (f" ({machine['cpu']})" if machine.get("cpu") else "")
        + f", {machine.get('platform', '?')}"
        + (f"; CPU taken by the host: {taken}" if taken else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="*", type=Path, help="result files (default: see above)")
    args = parser.parse_args()
    found = groups(args.runs)
    if not found:
        parser.error(f"no full-size run in {RESULTS}: run bench/run.py first")
    out = sys.stdout
    for paths, figures in found:
        runs = [read(p) for p in paths]
        out.write("\n".join(describe(p, r) for p, r in zip(paths, runs, strict=True)) + "\n\n")
        out.write("\n".join(table(runs, figures)) + "\n\n")


if __name__ == "__main__":
    main()
