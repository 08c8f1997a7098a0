"""caseflow's benchmark on the embedded stack: every figure as a ratio to raw Temporal measured
in the same run, on the same dev server (except memory and history size).

    .venv/bin/python bench/run.py              # the full run (about an hour on 2 cores)
    .venv/bin/python bench/run.py --quick      # smaller numbers (about 8 minutes)
    .venv/bin/python bench/run.py --only sustained,avalanche --profile   # a few phases, profiled

Phases, in order (each prints its progress):

  raw        a trivial workflow started, signalled, updated and queried directly
  http       caseflow through its HTTP API: intakes, accepts, resolves, each in slices that
             alternate with raw starts or updates (their ratios: same server, same minutes)
  direct     the same intakes, accepts and resolves without the API: sent by a Temporal
             client as the API sends them, against raw Temporal in the same slices
  history    a happy complaint (file, accept, note, resolve, feedback, callback): its events
  sustained  cases opened by the worker per second vs the same-shape twin (bench/twins.py),
             then intake through the API at 0.8 x the twin's rate: does a backlog grow?
  list       the floor's list at 1 000 000 cases (100 000 with --quick) vs the same SQL
  idle       worker memory with 1 000 and 10 000 open cases (100 and 1 000 with --quick)
  avalanche  10 000 cases due at one instant (1 000 with --quick) vs as many twins' timers;
             every case escalated once; staff alerts per level, department and minute

Every run writes bench/results/<time>.json; a full run (no --only) also bench/results/latest.json.
`bench/median.py` prints the median of the last three full runs against the goals (the table in
README.md).
The keys a script checks (numbers only; see README.md, "Benchmark"):

  ratios.intake_vs_raw_start      intakes/s through the API / raw starts/s           goal >= 0.8
  ratios.accept_vs_raw_update     accepts/s / raw updates/s                          goal >= 0.8
  ratios.resolve_vs_raw_update    resolves/s / raw updates/s                         goal >= 0.8
  sustained.open_vs_raw           cases opened/s / twins opened/s                    goal >= 0.8
  sustained.paced.keeps_up        1 when 60 s of intake at 0.8 x the twins' rate left no
                                  growing backlog, else 0                            goal 1
  avalanche.n                     cases (and twins) due at the one instant
  avalanche.p99_s / raw_p99_s     p99 lateness of the escalations / of the twins' timers
  avalanche.ratio                 p99_s / raw_p99_s                                  goal <= 1.5
  avalanche.warnings.ratio        the warnings' own avalanche (a working minute after opening,
                                  over before the deadlines): p99 / the twins' p99
  avalanche.warnings_done_before_due
                                  1 when every warning was sent before the deadlines
  avalanche.escalated_once        1 when every case has exactly one escalation and one
                                  escalation alert row, else 0                       goal 1
  avalanche.alerts_max_per_level_department_minute
                                  most staff alert messages one level of one
                                  department received in one minute                  goal 1
  list.rows                       cases in the read model
  list.ratio                      API p95 / the same SQL's p95, worst of two queries goal <= 2
  idle.rss_mib.<n>                worker RSS (MiB) at n open cases                   goal <= 512
  history.events_happy_complaint  history events of the happy complaint              goal <= 40

Besides (no goal): cpu_ratios.<ratio>.all_processes and .without_api, each http ratio as the CPU
per operation sets it; direct.ratios.<ratio>, the same ratios measured without the API.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stack import (  # noqa: E402
    AVALANCHE,
    BASE_VERSION,
    QUIET,
    TWIN_QUEUE,
    Stack,
    restart_worker,
    start_stack,
    stop_stack,
    write_avalanche_policy,
)
from bench.twins import Trivial, Twin, TwinInput  # noqa: E402
from caseflow.db import make_engine  # noqa: E402
from caseflow.domain import (  # noqa: E402
    AcceptAction,
    Actor,
    CaseInput,
    CaseState,
    CaseType,
    Category,
    Channel,
    Customer,
    ResolveAction,
    Role,
    Severity,
)
from caseflow.intake import intake_record, plan_intake  # noqa: E402
from caseflow.patches import born_with  # noqa: E402
from caseflow.policy import PolicyBook  # noqa: E402
from caseflow.search_attributes import initial_search_attributes  # noqa: E402
from caseflow.seed import DEMO_USERS  # noqa: E402
from caseflow.settings import Settings  # noqa: E402
from worker import WORKFLOW_RUNNER  # noqa: E402

PHASES = ("raw", "http", "direct", "history", "sustained", "list", "idle", "avalanche")
SIZES = {
    "quick": dict(
        n=100,
        sustained=300,
        paced_s=15,
        rows=100_000,
        idle=1000,
        avalanche=1000,
        avalanche_minutes=3.0,
        avalanche_warn_minutes=0.5,
    ),
    "full": dict(
        n=500,
        sustained=2000,
        paced_s=60,
        rows=1_000_000,
        idle=10_000,
        avalanche=10_000,
        avalanche_minutes=10.0,
        avalanche_warn_minutes=1.0,
    ),
}
# The http phase alternates caseflow and raw Temporal in this many slices of each figure.
SLICES = 5
# The keys issue 13 names (numbers only), checked after every run of all phases.
REQUIRED_KEYS = (
    "ratios.intake_vs_raw_start",
    "ratios.accept_vs_raw_update",
    "ratios.resolve_vs_raw_update",
    "sustained.open_vs_raw",
    "avalanche.n",
    "avalanche.p99_s",
    "avalanche.raw_p99_s",
    "avalanche.ratio",
    "avalanche.escalated_once",
    "avalanche.alerts_max_per_level_department_minute",
    "list.rows",
    "list.ratio",
    "idle.rss_mib.{idle}",  # 10000 in a full run, 1000 with --quick: the largest size run
    "history.events_happy_complaint",
)
GOALS = {
    "ratios.intake_vs_raw_start": (">=", 0.8),
    "ratios.accept_vs_raw_update": (">=", 0.8),
    "ratios.resolve_vs_raw_update": (">=", 0.8),
    "sustained.open_vs_raw": (">=", 0.8),
    "sustained.paced.keeps_up": (">=", 1),
    "avalanche.ratio": ("<=", 1.5),
    "avalanche.escalated_once": (">=", 1),
    "avalanche.alerts_max_per_level_department_minute": ("<=", 1),
    "list.ratio": ("<=", 2),
    "idle.rss_mib.max": ("<=", 512),
    "history.events_happy_complaint": ("<=", 40),
}

COMPLAINT = {
    "type": "complaint",
    "customer": {"name": "张三", "phone": "13800138000"},
    "channel": "phone",
    "category": "service",
    "severity": "general",
    "description": "benchmark",
}
RESOLUTION = {"result": "refunded 30 yuan", "process": "checked the billing records"}
H = {"Authorization": "Bearer demo-channel-hotline"}
# The demo agent who takes the benchmark's complaints: its token over HTTP, its actor in the
# direct phase's messages (as the API's actor_of builds it from the same seeded user).
_AGENT_USER = next(u for u in DEMO_USERS if u.token == "demo-agent-cs")
AGENT = {"Authorization": f"Bearer {_AGENT_USER.token}"}
BENCH_AGENT = Actor(_AGENT_USER.id, _AGENT_USER.role, _AGENT_USER.name, _AGENT_USER.department)
SUPERVISOR = {"Authorization": "Bearer demo-supervisor"}
FILER = Actor("channel.hotline", Role.CHANNEL, "热线")
# The avalanche's cases spread over the departments their categories route to.
CATEGORIES = (
    Category.SERVICE,
    Category.PRODUCT,
    Category.MARKETING,
    Category.POLICY,
    Category.NETWORK,
)


def say(msg: str) -> None:
    sys.stdout.write(f"[{datetime.now():%H:%M:%S}] {msg}\n")
    sys.stdout.flush()


def tag() -> str:
    return uuid.uuid4().hex[:6].upper()


# ------------------------------------------------------------------ helpers
async def rate(
    label: str, n: int, concurrency: int, make, first: int = 0, latencies: list | None = None
) -> dict:
    """Run make(i) for i in first .. first + n - 1, `concurrency` at a time; report rate and
    latency percentiles (each latency is also added to `latencies` when given)."""
    latencies = [] if latencies is None else latencies
    sem = asyncio.Semaphore(concurrency)
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        async with sem:
            t0 = time.perf_counter()
            await make(i)
            latencies.append(time.perf_counter() - t0)
            done += 1
            if done % max(1, n // 5) == 0:
                say(f"  {label}: {done}/{n}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(first, first + n)))
    return summary(n, time.perf_counter() - t0, latencies[-n:])


def summary(n: int, seconds: float, latencies: list[float]) -> dict:
    latencies = sorted(latencies)
    return {
        "n": n,
        "seconds": seconds,
        "per_second": n / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


async def quiet(s: Stack, busy: float = 0.15, at_most_s: float = 10.0) -> None:
    """Wait until the stack is idle (all its processes together below `busy` of one core for
    half a second), at most `at_most_s`: work a previous slice left behind (the server's
    visibility and timer queues, deliveries) is not counted against the next one."""
    deadline = time.monotonic() + at_most_s
    while time.monotonic() < deadline:
        before = sum(s.cpu_seconds().values())
        await asyncio.sleep(0.5)
        if (sum(s.cpu_seconds().values()) - before) / 0.5 < busy:
            return


async def alternating(
    s: Stack, n: int, concurrency: int, slices: int, settle: dict | None = None, **makers
) -> dict:
    """Each of `makers` (label=make) run n times, in `slices` turns: the first slice of each,
    then the second of each, and so on. A drift in the machine's speed during the phase (a
    busy neighbour on the host, a cache warming up) then weighs on all of them alike, and
    their ratio stays fair. `settle[label](i)`, untimed, after each of that maker's slices:
    the work its calls left behind (a worker opening the workflows just started) is done
    before the next maker's slice is timed. Per maker: its rate over its own slices, latency
    percentiles and the CPU each process spent per call (settling included). Every slice
    starts on a quiet stack."""
    settle = settle or {}
    spent = {label: 0.0 for label in makers}
    latencies: dict[str, list[float]] = {label: [] for label in makers}
    cpu: dict[str, Counter] = {label: Counter() for label in makers}
    size = math.ceil(n / slices)
    for first in range(0, n, size):
        for label, make in makers.items():
            await quiet(s)
            cpu0 = s.cpu_seconds()
            part = await rate(
                label, min(size, n - first), concurrency, make, first, latencies[label]
            )
            if label in settle:
                await rate(f"{label} settled", part["n"], concurrency, settle[label], first)
            cpu[label].update(cpu_per_case(cpu0, s.cpu_seconds(), n))
            spent[label] += part["seconds"]
    out = {}
    for label in makers:
        out[label] = summary(n, spent[label], latencies[label])
        out[label]["cpu_ms_per_case"] = {k: round(v, 2) for k, v in cpu[label].items()}
        say(
            f"  {label}: {out[label]['per_second']:.1f}/s; "
            f"CPU ms each: {out[label]['cpu_ms_per_case']}"
        )
    return out


async def count(engine, sql: str, **params) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def poll(
    label: str, target: int, counter, timeout: float, interval: float = 0.5
) -> list[tuple[float, int]]:
    """Sample counter() (wall time, value) until it reaches target or timeout passes."""
    samples: list[tuple[float, int]] = []
    start = last_said = time.time()
    while True:
        value = await counter()
        now = time.time()
        samples.append((now, value))
        if value >= target:
            break
        if now - start > timeout:
            say(f"  {label}: gave up at {value}/{target} after {timeout:.0f} s")
            break
        if now - last_said >= 5:
            say(f"  {label}: {value}/{target}")
            last_said = now
        await asyncio.sleep(interval)
    return samples


def reached(samples: list[tuple[float, int]], k: int) -> float | None:
    """When the k-th item was first seen (None: never)."""
    return next((t for t, c in samples if c >= k), None)


def lateness(samples: list[tuple[float, int]], due: datetime, n: int) -> dict:
    """Lateness of the k-th item = when the count first reached k - the due instant; the
    count is polled every half second, so that is the resolution."""

    def late(q: float) -> float | None:
        t = reached(samples, max(1, math.ceil(q * n)))
        return None if t is None else t - due.timestamp()

    return {"p50_s": late(0.5), "p99_s": late(0.99), "max_s": late(1.0)}


def lateness_ratio(p99_s: float | None, raw_p99_s: float | None) -> float:
    """caseflow's p99 lateness over the twins'; a side that never finished counts as infinite."""
    return (p99_s or math.inf) / max(raw_p99_s or math.inf, 0.001)


def cpu_model() -> str | None:
    """The cores' model and clock as Linux reports them: the same VM kind can land on hosts
    whose cores take twice the time per operation (every ratio's two sides alike)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return None
    fields = dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in info.splitlines())
    )
    model, mhz = fields.get("model name"), fields.get("cpu MHz")
    return f"{model} at {float(mhz):.0f} MHz" if model and mhz else model


def host_cpu() -> list[int]:
    """The machine's CPU time counters (/proc/stat: user, nice, system, idle, iowait, irq,
    softirq, steal); empty where there is no /proc."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            return [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def stolen(before: list[int], after: list[int]) -> float | None:
    """The share of CPU time a virtual machine's host took (steal) between two readings: a
    busy neighbour on the host slows every figure, raw and caseflow alike."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return spent[7] / sum(spent) if sum(spent) else 0.0


def cpu_per_case(before: dict[str, float], after: dict[str, float], n: int) -> dict:
    """Milliseconds of CPU each process spent per case between two snapshots."""
    return {k: round(1000 * (after[k] - before[k]) / max(n, 1), 2) for k in after}


# Each http ratio: caseflow's figure and its raw counterpart in the same slices.
HTTP_PAIRS = {
    "intake_vs_raw_start": ("intake", "start"),
    "accept_vs_raw_update": ("accept", "update_with_accept"),
    "resolve_vs_raw_update": ("resolve", "update_with_resolve"),
}


def cpu_ratios(results: dict) -> dict:
    """Each http ratio as the CPU every process spent per operation (`cpu_ms_per_case`) would
    set it where the CPU sets the pace: every process of the stack shares the same cores, so
    when both sides keep them busy their rates stand in the inverse ratio of their CPU.

    - `all_processes`: raw Temporal's CPU per operation over caseflow's, every process counted
      (the server, the workers, the API, PostgreSQL and the benchmark's client);
    - `without_api`: the same with caseflow's API and the benchmark's client left out of
      caseflow's side: the server, the worker and PostgreSQL alone.

    A goal above `without_api` cannot be met on such a machine by a cheaper API."""
    out = {}
    for ratio, (ours, theirs) in HTTP_PAIRS.items():
        cf = flat(results, f"caseflow.{ours}.cpu_ms_per_case")
        raw = flat(results, f"raw_alongside.{theirs}.cpu_ms_per_case")
        if not cf or not raw:
            continue
        raw_ms = sum(raw.values())
        out[ratio] = {
            "all_processes": raw_ms / sum(cf.values()),
            "without_api": raw_ms / (cf["temporal"] + cf["worker"] + cf["postgres"]),
        }
    return out


def case_input(
    book: PolicyBook, case_id: str, channel: Channel, category: Category, version: str
) -> tuple[CaseInput, object]:
    """A complaint as the API files it: planned intake in its input, attributes at start."""
    inp = CaseInput(
        case_id=case_id,
        case_type=CaseType.COMPLAINT,
        customer=Customer("基准", "13800000000"),
        channel=channel,
        description="benchmark",
        created_by=FILER,
        category=category,
        severity=Severity.GENERAL,
        policy_version=version,
        opened_at=datetime.now(UTC),
        patches=born_with(),
    )
    inp.intake = plan_intake(book, inp, inp.opened_at)
    record = intake_record(inp, inp.opened_at, inp.intake)
    return inp, initial_search_attributes(record.state)


async def file_direct(
    client, book: PolicyBook, case_id: str, channel: Channel, category: Category, version: str
) -> None:
    from workflows.complaint import ComplaintWorkflow

    inp, attributes = case_input(book, case_id, channel, category, version)
    await client.start_workflow(
        ComplaintWorkflow.run,
        inp,
        id=case_id,
        task_queue="caseflow",
        search_attributes=attributes,
    )


class Profiler:
    """py-spy on caseflow's processes during a phase (--profile): one file per process,
    bench/results/<run>-<phase>-<process>.folded, collapsed stacks (one line per stack with
    its sample count; speedscope.app and flamegraph.pl draw them)."""

    def __init__(self, enabled: bool, stem: str) -> None:
        self.enabled, self.stem = enabled, stem
        self.procs: list[subprocess.Popen] = []

    def start(self, phase: str, **pids: int) -> None:
        if not self.enabled:
            return
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists():
            raise SystemExit(f"--profile needs py-spy next to {sys.executable}: run ./bootstrap")
        for process, pid in pids.items():
            out = ROOT / "bench" / "results" / f"{self.stem}-{phase}-{process}.folded"
            out.parent.mkdir(parents=True, exist_ok=True)
            command = [str(spy), "record", "--pid", str(pid), "--output", str(out)]
            command += ["--rate", "50", "--format", "raw", "--nonblocking"]
            self.procs.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
            say(f"  profiling the {process} into {out.relative_to(ROOT)}")

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


# ------------------------------------------------------------------ phases
async def raw_phase(s: Stack, args, results: dict) -> None:
    n = args.n
    say(f"raw baseline: {n} starts, signals, updates and queries of a trivial workflow")
    client = await s.raw_client()
    ids = [f"raw-{uuid.uuid4().hex}" for _ in range(n)]
    handles = {}

    async def start(i):
        handles[i] = await client.start_workflow(Trivial.run, id=ids[i], task_queue=TWIN_QUEUE)

    cpu0 = s.cpu_seconds()
    raw = {"start": await rate("raw start", n, args.concurrency, start)}
    raw["start"]["cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    say(f"  raw start CPU ms each: {raw['start']['cpu_ms_per_case']}")
    say(f"  raw: waiting for the twins' worker to take up all {n} workflows")
    await rate("raw settled", n, args.concurrency, lambda i: handles[i].query(Trivial.count))
    raw["signal"] = await rate(
        "raw signal", n, args.concurrency, lambda i: handles[i].signal(Trivial.poke)
    )
    cpu0 = s.cpu_seconds()
    raw["update"] = await rate(
        "raw update", n, args.concurrency, lambda i: handles[i].execute_update(Trivial.bump)
    )
    raw["update"]["cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    say(f"  raw update CPU ms each: {raw['update']['cpu_ms_per_case']}")
    raw["query"] = await rate(
        "raw query", min(n, 200), args.concurrency, lambda i: handles[i].query(Trivial.count)
    )
    results["raw"] = raw


async def against_raw(
    s: Stack, args, profiler: Profiler, stem: str, makers: dict, opened, processes: dict
) -> tuple[dict, dict]:
    """caseflow's intakes, accepts and resolves (`makers[name](i)`), each in slices that
    alternate with as many raw starts or raw updates on the same server: the ratio compares
    them under the same conditions. `opened(i)` settles an intake (the case's first task
    done), as a query settles a raw start. caseflow's figures and raw Temporal's alongside."""
    n = args.n
    raw_client = await s.raw_client()
    raw_handles = {}

    async def raw_start(i):
        raw_handles[i] = await raw_client.start_workflow(
            Trivial.run, id=f"raw-{uuid.uuid4().hex}", task_queue=TWIN_QUEUE
        )

    async def raw_opened(i):
        await raw_handles[i].query(Trivial.count)

    async def raw_update(i):
        await raw_handles[i].execute_update(Trivial.bump)

    profiler.start(f"{stem}intake", **processes)
    starts = await alternating(
        s,
        n,
        args.concurrency,
        SLICES,
        settle={"raw start": raw_opened, "intake": opened},
        **{"raw start": raw_start, "intake": makers["intake"]},
    )
    profiler.stop()
    cf = {"intake": starts["intake"]}
    alongside = {"start": starts["raw start"]}
    for name in ("accept", "resolve"):
        profiler.start(f"{stem}{name}", **processes)
        pair = await alternating(
            s, n, args.concurrency, SLICES, **{"raw update": raw_update, name: makers[name]}
        )
        profiler.stop()
        cf[name] = pair[name]
        alongside[f"update_with_{name}"] = pair["raw update"]
    return cf, alongside


def ratios_of(cf: dict, alongside: dict) -> dict:
    return {
        ratio: cf[ours]["per_second"] / alongside[theirs]["per_second"]
        for ratio, (ours, theirs) in HTTP_PAIRS.items()
    }


async def http_phase(
    s: Stack, args, results: dict, http: httpx.AsyncClient, profiler: Profiler
) -> None:
    n = args.n
    say(
        f"caseflow over HTTP: {n} intakes, {n} accepts and {n} resolves, each in {SLICES} "
        "slices alternating with as many raw starts or updates"
    )
    client = await s.client()
    case_ids: list[str] = [""] * n

    async def intake(i):
        r = await http.post("/api/v1/cases", json=COMPLAINT, headers=H)
        r.raise_for_status()
        case_ids[i] = r.json()["case_id"]

    async def opened(i):
        # The API answers before a worker has run the case: its first task is done once the
        # "opened" update returns, as a raw workflow's is once it answers a query.
        await client.get_workflow_handle(case_ids[i]).execute_update("opened")

    async def accept(i):
        r = await http.post(f"/api/v1/cases/{case_ids[i]}/actions/accept", headers=AGENT)
        r.raise_for_status()

    async def resolve(i):
        r = await http.post(
            f"/api/v1/cases/{case_ids[i]}/actions/resolve", json=RESOLUTION, headers=AGENT
        )
        r.raise_for_status()

    makers = {"intake": intake, "accept": accept, "resolve": resolve}
    processes = {"api": s.api.pid, "worker": s.worker.pid}
    cf, alongside = await against_raw(s, args, profiler, "", makers, opened, processes)
    results["caseflow"] = cf
    results["raw_alongside"] = alongside
    results["ratios"] = ratios_of(cf, alongside)
    results["cpu_ratios"] = cpu_ratios(results)
    raw = results.get("raw")
    if raw:
        results["ratios"]["accept_vs_raw_signal"] = (
            cf["accept"]["per_second"] / raw["signal"]["per_second"]
        )
    say(f"  ratios: {json.dumps({k: round(v, 2) for k, v in results['ratios'].items()})}")
    for ratio, cpu in results["cpu_ratios"].items():
        say(
            f"  {ratio} as CPU per operation sets it: {cpu['all_processes']:.2f}; "
            f"{cpu['without_api']:.2f} without the API and client"
        )


async def direct_phase(s: Stack, args, results: dict, profiler: Profiler) -> None:
    """The http phase's intakes, accepts and resolves without the API: sent by a Temporal
    client as the API sends them (the planned input and its search attributes, signed claims,
    the action table's messages), against raw Temporal in the same slices. What it leaves out
    of the http figures is the API's work and the HTTP client's."""
    n = args.n
    say(
        f"caseflow without its API: {n} starts, {n} accepts and {n} resolves sent as the API "
        f"sends them, each in {SLICES} slices alternating with as many raw starts or updates"
    )
    client = await s.client()
    book = s.book()
    prefix = f"CMP-DIR{tag()}-"

    def case_id(i: int) -> str:
        return f"{prefix}{i:06d}"

    def case(i: int):
        return client.get_workflow_handle(case_id(i))

    async def intake(i):
        await file_direct(client, book, case_id(i), Channel.PHONE, Category.SERVICE, BASE_VERSION)

    async def opened(i):
        await case(i).execute_update("opened")

    async def accept(i):
        await case(i).execute_update("accept", AcceptAction(BENCH_AGENT), result_type=CaseState)

    async def resolve(i):
        message = ResolveAction(BENCH_AGENT, **RESOLUTION)
        await case(i).execute_update("resolve", message, result_type=CaseState)

    makers = {"intake": intake, "accept": accept, "resolve": resolve}
    processes = {"worker": s.worker.pid}
    cf, alongside = await against_raw(s, args, profiler, "direct-", makers, opened, processes)
    out = {"caseflow": cf, "raw_alongside": alongside, "ratios": ratios_of(cf, alongside)}
    results["direct"] = out
    shown = {k: round(v, 2) for k, v in out["ratios"].items()}
    say(f"  ratios without the API: {json.dumps(shown)}")


async def history_phase(s: Stack, args, results: dict, http: httpx.AsyncClient) -> None:
    say("history: a happy complaint (file, accept, note, resolve, feedback, callback)")
    client = await s.client()
    runs, sizes = [], []
    for _ in range(3):
        r = await http.post("/api/v1/cases", json=COMPLAINT, headers=H)
        r.raise_for_status()
        case_id = r.json()["case_id"]
        handle = client.get_workflow_handle(case_id)
        # Opened by the worker before the first action (as on the floor, where an agent takes
        # a case up minutes later); waiting adds nothing to the history.
        for _ in range(200):
            if (await handle.describe()).history_length > 3:
                break
            await asyncio.sleep(0.05)
        base = f"/api/v1/cases/{case_id}/actions"
        for action, body in (
            ("accept", {}),
            ("note", {"text": "called the customer"}),
            ("resolve", RESOLUTION),
            ("feedback", {"message": "we refunded the double charge"}),
            ("callback", {"satisfaction": "satisfied"}),
        ):
            (await http.post(f"{base}/{action}", json=body, headers=AGENT)).raise_for_status()
        await handle.result()
        types = Counter()
        sequence = []
        size = Counter()
        async for event in handle.fetch_history_events():
            types[event.event_type] += 1
            size[event.event_type] += event.ByteSize()
            sequence.append(event.event_type)
        runs.append(types)
        sizes.append(size)
    events = [sum(t.values()) for t in runs]
    worst = runs[events.index(max(events))]
    from temporalio.api.enums.v1 import EventType

    by_type = {EventType.Name(k).removeprefix("EVENT_TYPE_"): v for k, v in worst.items()}
    results["history"] = {
        "events_happy_complaint": max(events),
        # The API files cases born with these patches (caseflow.patches): no marker for them.
        "born_with_patches": len(born_with()),
        "runs": events,
        "by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
        "local_activity_markers": by_type.get("MARKER_RECORDED", 0),
        "search_attribute_upserts": by_type.get("UPSERT_WORKFLOW_SEARCH_ATTRIBUTES", 0),
        "sequence": [EventType.Name(t).removeprefix("EVENT_TYPE_") for t in sequence],
        "bytes": sum(sizes[-1].values()),
        "bytes_by_type": {
            EventType.Name(k).removeprefix("EVENT_TYPE_"): v for k, v in sizes[-1].most_common()
        },
    }
    say(
        f"  {max(events)} events (markers {by_type.get('MARKER_RECORDED', 0)}, upserts "
        f"{by_type.get('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 0)}, timers started "
        f"{by_type.get('TIMER_STARTED', 0)})"
    )


async def start_twins(
    raw_client, engine, args, prefix: str, n: int, due: datetime, timeout: float
) -> list[tuple[float, int]]:
    """Start `n` twins whose timers fire at `due`; the samples of their worker opening them."""
    await rate(
        "twin start",
        n,
        args.concurrency,
        lambda i: raw_client.start_workflow(
            Twin.run, TwinInput(due), id=f"{prefix}{i}", task_queue=TWIN_QUEUE
        ),
    )
    return await poll(
        "twins opened",
        n,
        lambda: count(
            engine,
            "SELECT count(*) FROM bench_twin WHERE kind = 'opened' AND id LIKE :p",
            p=f"{prefix}%",
        ),
        timeout=timeout,
    )


async def sustained_phase(
    s: Stack, args, results: dict, http: httpx.AsyncClient, profiler: Profiler
) -> None:
    n = args.sustained
    engine = make_engine(s.url)
    raw_client, client = await s.raw_client(), await s.client()
    book = s.book()
    out: dict = {"n": n}

    say(f"sustained: {n} twins started as fast as they go, until the twins' worker opened all")
    prefix = f"TWS{tag()}-"
    far = datetime.now(UTC) + timedelta(days=1)
    cpu0 = s.cpu_seconds()
    t0 = time.time()
    samples = await start_twins(raw_client, engine, args, prefix, n, far, max(300, n))
    out["raw_per_s"] = n / (samples[-1][0] - t0)
    out["raw_cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    say(
        f"  twins opened {out['raw_per_s']:.1f}/s end to end; "
        f"CPU ms each: {out['raw_cpu_ms_per_case']}"
    )

    say(f"sustained: {n} complaints started as the API files them, until the worker opened all")
    prefix = f"CMP-SUS{tag()}-"
    profiler.start("sustained", worker=s.worker.pid)
    cpu0 = s.cpu_seconds()
    t0 = time.time()
    await rate(
        "case start",
        n,
        args.concurrency,
        lambda i: file_direct(
            client, book, f"{prefix}{i:06d}", Channel.WEB, Category.SERVICE, QUIET
        ),
    )
    samples = await poll(
        "cases opened",
        n,
        lambda: count(engine, "SELECT count(*) FROM cases WHERE case_id LIKE :p", p=f"{prefix}%"),
        timeout=max(300, n),
    )
    profiler.stop()
    out["caseflow_per_s"] = n / (samples[-1][0] - t0)
    out["caseflow_cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    out["open_vs_raw"] = out["caseflow_per_s"] / out["raw_per_s"]
    say(
        f"  cases opened {out['caseflow_per_s']:.1f}/s end to end: {out['open_vs_raw']:.2f} x; "
        f"CPU ms each: {out['caseflow_cpu_ms_per_case']}"
    )

    out["paced"] = await paced_intake(s, args, http, client, 0.8 * out["raw_per_s"])
    results["sustained"] = out
    await engine.dispose()


async def paced_intake(s: Stack, args, http: httpx.AsyncClient, client, per_second: float) -> dict:
    """Intake through the API at a steady rate; from the histories afterwards, when each case
    was filed (its start) and opened (its first workflow task completed): the backlog of filed
    but unopened cases over time, which must not grow."""
    seconds = args.paced_s
    total = int(per_second * seconds)
    say(f"sustained: {seconds} s of intake through the API at {per_second:.1f}/s ({total} cases)")
    body = {**COMPLAINT, "channel": "web"}
    case_ids: list[str] = []
    cpu0 = s.cpu_seconds()
    t0 = time.monotonic()

    async def file(i: int) -> None:
        await asyncio.sleep(max(0.0, t0 + i / per_second - time.monotonic()))
        r = await http.post("/api/v1/cases", json=body, headers=H)
        r.raise_for_status()
        case_ids.append(r.json()["case_id"])
        if len(case_ids) % max(1, total // 6) == 0:
            say(f"  paced intake: {len(case_ids)}/{total}")

    await asyncio.gather(*(file(i) for i in range(total)))
    filed_s = time.monotonic() - t0
    cpu_ms = cpu_per_case(cpu0, s.cpu_seconds(), total)
    from temporalio.api.enums.v1 import EventType

    async def times(case_id: str) -> tuple[float, float | None]:
        started = opened = None
        async for event in client.get_workflow_handle(case_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                started = event.event_time.ToDatetime().timestamp()
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                opened = event.event_time.ToDatetime().timestamp()
                break
        return started, opened

    say("  paced intake: waiting for the worker to open every case")
    sem = asyncio.Semaphore(32)

    async def one(cid: str) -> tuple[float, float | None]:
        async with sem:
            return await times(cid)

    deadline = time.monotonic() + 300
    spans: list[tuple[float, float | None]] = []
    while time.monotonic() < deadline:
        spans = await asyncio.gather(*(one(c) for c in case_ids))
        if all(o is not None for _, o in spans):
            break
        say(f"  paced intake: {sum(o is not None for _, o in spans)}/{total} opened")
        await asyncio.sleep(5)

    # Terminate them: their 2026.3 decision clocks (30 min) would fire during later phases.
    async def end(cid: str) -> None:
        async with sem:
            await client.get_workflow_handle(cid).terminate("benchmark phase over")

    await asyncio.gather(*(end(c) for c in case_ids))
    first = min(st for st, _ in spans)
    opened = [o for _, o in spans if o is not None]
    latencies = sorted(o - st for st, o in spans if o is not None)

    def backlog(at: float) -> int:
        return sum(st <= at for st, _ in spans) - sum(o <= at for o in opened)

    thirds = [first + filed_s * k / 3 for k in range(4)]
    early = statistics.mean(backlog(t) for t in _seconds(thirds[0], thirds[1]))
    late = statistics.mean(backlog(t) for t in _seconds(thirds[2], thirds[3]))
    out = {
        "per_second": per_second,
        "seconds": seconds,
        "filed": total,
        "opened": len(opened),
        "filed_per_second": total / filed_s,
        "open_latency_p50_s": latencies[len(latencies) // 2] if latencies else None,
        "open_latency_p99_s": latencies[int(len(latencies) * 0.99)] if latencies else None,
        "backlog_first_third": early,
        "backlog_last_third": late,
        "backlog_max": max(backlog(t) for t in _seconds(first, first + filed_s)),
        "drained_s_after_intake": (max(opened) - (first + filed_s)) if opened else None,
        "cpu_ms_per_case": cpu_ms,  # while filing: the worker may still be catching up
        # How busy the machine was while filing: every process's CPU per case at this rate,
        # as a share of all cores (near 1: the intake itself saturates the machine).
        "cpu_share": sum(cpu_ms.values()) * per_second / (1000 * (os.cpu_count() or 1)),
    }
    # Keeping up: every case opened, and the backlog of the last third of the intake no more
    # than one second's intake above that of the first third.
    out["keeps_up"] = int(len(opened) == total and late <= early + per_second)
    say(
        f"  backlog {early:.0f} -> {late:.0f} cases (max {out['backlog_max']}); open latency p99 "
        f"{out['open_latency_p99_s'] or 0:.1f} s; CPU {out['cpu_share']:.0%} of the machine: "
        + ("keeps up" if out["keeps_up"] else "FALLS BEHIND")
    )
    return out


def _seconds(a: float, b: float) -> list[float]:
    return [a + i * 0.5 for i in range(max(1, int((b - a) / 0.5)))]


async def list_phase(s: Stack, args, results: dict, http: httpx.AsyncClient) -> None:
    rows = args.rows
    say(f"list: {rows} cases in the read model (10 % open), seeded in SQL")
    engine = make_engine(s.url)
    chunk = 100_000
    for start in range(0, rows, chunk):
        async with engine.begin() as conn:
            await conn.execute(
                text("""
                INSERT INTO cases (case_id, case_type, phase, channel, category, severity, tier,
                  department, assignee, escalation_level, breached, warned, next_deadline,
                  next_window, policy_version, seq, reopen_count, opened_at, updated_at,
                  closed_at, state)
                SELECT 'CMP-LST-' || g, 'complaint',
                  CASE WHEN g % 10 = 0 THEN (ARRAY['new','in_progress','resolved'])[1 + g % 3]
                       ELSE 'archived' END,
                  'phone', 'service', 'general', 'standard',
                  (ARRAY['customer_service','product','marketing','policy','network_ops'])
                    [1 + (g / 10) % 5],
                  NULL, 1 + (g % 70 = 0)::int, g % 10 = 0 AND g % 70 = 0, g % 20 = 0,
                  CASE WHEN g % 10 = 0 THEN now() + ((g / 10) % 2000 - 100) * interval '1 minute'
                  END,
                  CASE WHEN g % 10 = 0 THEN 'handling' END,
                  '2026.3', 1, 0, now() - (g % 1000) * interval '1 hour', now(),
                  CASE WHEN g % 10 <> 0 THEN now() END, '{}'::jsonb
                FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS g
            """),
                {"a": start + 1, "b": min(rows, start + chunk)},
            )
        say(f"  seeded {min(rows, start + chunk)}/{rows}")
    async with engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        await conn.execute(text("VACUUM ANALYZE cases"))
    from caseflow.readmodel.lists import CaseFilters, list_statements

    queries = {
        "floor": ({"open_only": "true", "limit": "50"}, CaseFilters(open_only=True)),
        "department_overdue": (
            {"department": "product", "overdue": "true", "limit": "50"},
            CaseFilters(department="product", overdue=True),
        ),
    }
    out: dict = {"rows": rows, "queries": {}}
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95)]  # noqa: E731
    for name, (params, filters) in queries.items():
        api_ms, sql_ms, page_ms = [], [], []
        for _ in range(60):
            t0 = time.perf_counter()
            (await http.get("/api/v1/cases", params=params, headers=SUPERVISOR)).raise_for_status()
            api_ms.append(1000 * (time.perf_counter() - t0))
            page, total = list_statements(filters, datetime.now(UTC), 50, 0)
            t0 = time.perf_counter()
            async with engine.connect() as conn:
                (await conn.execute(page)).all()
                t1 = time.perf_counter()
                (await conn.execute(total)).scalar_one()
            sql_ms.append(1000 * (time.perf_counter() - t0))
            page_ms.append(1000 * (t1 - t0))
        q = {"api_p95_ms": p95(api_ms), "sql_p95_ms": p95(sql_ms), "page_sql_p95_ms": p95(page_ms)}
        q["ratio"] = q["api_p95_ms"] / q["sql_p95_ms"]
        out["queries"][name] = q
        say(
            f"  {name}: API p95 {q['api_p95_ms']:.1f} ms vs the same SQL {q['sql_p95_ms']:.1f} ms "
            f"(page {q['page_sql_p95_ms']:.1f} ms): {q['ratio']:.2f} x"
        )
    out["ratio"] = max(q["ratio"] for q in out["queries"].values())
    results["list"] = out
    await engine.dispose()


async def idle_phase(s: Stack, args, results: dict) -> None:
    total = args.idle
    say(f"idle: worker memory from {total // 10} to {total} open cases")
    client = await s.client()
    book = s.book()
    engine = make_engine(s.url)
    proc = psutil.Process(s.worker.pid)
    prefix = f"CMP-IDL{tag()}-"
    samples: dict[str, float] = {}
    started = 0
    for target in (total // 10, total):
        await rate(
            f"idle start to {target}",
            target - started,
            args.concurrency,
            lambda i, base=started: file_direct(
                client, book, f"{prefix}{base + i:06d}", Channel.WEB, Category.SERVICE, QUIET
            ),
        )
        started = target
        await poll(
            "idle cases opened",
            target,
            lambda: count(
                engine, "SELECT count(*) FROM cases WHERE case_id LIKE :p", p=f"{prefix}%"
            ),
            timeout=max(600, target / 5),
        )
        await asyncio.sleep(5)  # let the worker settle
        samples[str(target)] = proc.memory_info().rss / 2**20
        say(f"  worker RSS with {target} open cases: {samples[str(target)]:.0f} MiB")
    await engine.dispose()
    low, high = samples[str(total // 10)], samples[str(total)]
    results["idle"] = {
        "rss_mib": {**samples, "max": max(samples.values())},
        "growth_mib_per_1000": (high - low) / (0.9 * total / 1000),
    }


async def avalanche_phase(s: Stack, args, results: dict, profiler: Profiler) -> None:
    n = args.avalanche
    engine = make_engine(s.url)
    raw_client = await s.raw_client()
    sustained = results.get("sustained", {})
    # Time to file and open them all before the instant, from the sustained rates, or (a run
    # without that phase) rates somewhat below what this 2-core machine sustains.
    raw_rate = sustained.get("raw_per_s", 30.0)
    cf_rate = sustained.get("caseflow_per_s", 25.0)
    out: dict = {"n": n}

    prefix = f"TWA{tag()}-"
    due = datetime.now(UTC) + timedelta(seconds=30 + 1.5 * n / raw_rate)
    say(f"avalanche twins: {n} twins whose timers all fire at {due:%H:%M:%S} UTC")
    opened = await start_twins(
        raw_client,
        engine,
        args,
        prefix,
        n,
        due,
        max(0, (due - datetime.now(UTC)).total_seconds()) + 600,
    )
    out["raw_opened_before_due"] = int(opened[-1][0] < due.timestamp())
    await asyncio.sleep(max(0, (due - datetime.now(UTC)).total_seconds() - 1))
    say(f"  the twins' timers fire now ({n})")
    cpu0 = s.cpu_seconds()
    fired = await poll(
        "twins fired",
        n,
        lambda: count(
            engine,
            "SELECT count(*) FROM bench_twin WHERE kind = 'fired' AND id LIKE :p",
            p=f"{prefix}%",
        ),
        timeout=1800,
    )
    raw_late = lateness(fired, due, n)
    raw_late["cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    out["raw_p99_s"] = raw_late["p99_s"]
    out["raw"] = raw_late
    say(
        f"  twins: p99 lateness {raw_late['p99_s']:.1f} s (max {raw_late['max_s']:.1f} s); "
        f"CPU ms each: {raw_late['cpu_ms_per_case']}"
    )

    # Business hours open once every case is filed and opened; wechat complaints are warned
    # a working minute later and due some working minutes after that. The warnings collide
    # too, but ahead of the deadlines, as after a real holiday (where they come hours ahead):
    # their own avalanche is over before the deadlines fall due, and is measured on its own.
    opening = datetime.now(UTC) + timedelta(seconds=45 + 1.5 * n / cf_rate)
    warn_at, due = write_avalanche_policy(
        s.policy_dir, opening, args.avalanche_minutes, args.avalanche_warn_minutes
    )
    say(
        f"avalanche: {n} complaints; business hours open at {opening:%H:%M:%S} UTC, warnings "
        f"at {warn_at:%H:%M:%S}, all due at {due:%H:%M:%S}"
    )
    await restart_worker(s)  # it reads policy 9990.4 at start
    client, book = await s.client(), s.book()
    prefix = f"CMP-AVL{tag()}-"
    await rate(
        "case start",
        n,
        args.concurrency,
        lambda i: file_direct(
            client,
            book,
            f"{prefix}{i:06d}",
            Channel.WECHAT,
            CATEGORIES[i % len(CATEGORIES)],
            AVALANCHE,
        ),
    )
    opened = await poll(
        "cases opened",
        n,
        lambda: count(engine, "SELECT count(*) FROM cases WHERE case_id LIKE :p", p=f"{prefix}%"),
        timeout=max(0, (due - datetime.now(UTC)).total_seconds()) + 600,
    )
    out["opened_before_due"] = int(opened[-1][0] < warn_at.timestamp())

    def events(kind: str):
        return lambda: count(
            engine,
            "SELECT count(*) FROM case_events WHERE kind = :k AND case_id LIKE :p",
            k=kind,
            p=f"{prefix}%",
        )

    await asyncio.sleep(max(0, (warn_at - datetime.now(UTC)).total_seconds() - 1))
    say(f"  the warnings fall due now ({n})")
    profiler.start("avalanche", worker=s.worker.pid)
    warned = await poll("warnings recorded", n, events("warning"), timeout=1800)
    out["warnings"] = lateness(warned, warn_at, n)
    # Their own avalanche, against the same twins: one wake of each case.
    out["warnings"]["ratio"] = lateness_ratio(out["warnings"]["p99_s"], out["raw_p99_s"])
    # 0: some warnings were still being sent when the deadlines fell due (the two overlapped).
    last_warning = reached(warned, n)
    out["warnings_done_before_due"] = int(
        last_warning is not None and last_warning < due.timestamp()
    )
    say(
        f"  warnings: p99 lateness {out['warnings']['p99_s'] or float('nan'):.1f} s: "
        f"{out['warnings']['ratio']:.2f} x the twins; "
        + (
            "all sent before the deadlines"
            if out["warnings_done_before_due"]
            else "still being sent when the deadlines fell due"
        )
    )
    await asyncio.sleep(max(0, (due - datetime.now(UTC)).total_seconds() - 1))
    say(f"  the deadlines fall due now ({n})")
    cpu0 = s.cpu_seconds()
    escalated = await poll("escalations recorded", n, events("escalated"), timeout=1800)
    profiler.stop()
    late = lateness(escalated, due, n)
    late["cpu_ms_per_case"] = cpu_per_case(cpu0, s.cpu_seconds(), n)
    out.update(late)
    out["ratio"] = lateness_ratio(late["p99_s"], out["raw_p99_s"])
    say(
        f"  escalations: p99 lateness {late['p99_s'] or float('nan'):.1f} s "
        f"(max {late['max_s'] or float('nan'):.1f} s): {out['ratio']:.2f} x the twins; "
        f"CPU ms each: {late['cpu_ms_per_case']}"
    )

    # Exactly once: one escalation event and one escalation alert row per case.
    checks = await count(
        engine,
        """
        SELECT count(*) FROM (
          SELECT c.case_id,
            (SELECT count(*) FROM case_events e
              WHERE e.case_id = c.case_id AND e.kind = 'escalated') AS events,
            (SELECT count(*) FROM notifications m
              WHERE m.case_id = c.case_id AND m.template = 'escalation') AS alerts
          FROM cases c WHERE c.case_id LIKE :p
        ) x WHERE events = 1 AND alerts = 1
        """,
        p=f"{prefix}%",
    )
    out["escalated_once"] = int(checks == n)
    say(f"  {checks}/{n} cases escalated exactly once, with one alert row each")
    out.update(await alert_counts(engine, prefix, n))
    results["avalanche"] = out
    await engine.dispose()


async def alert_counts(engine, prefix: str, n: int) -> dict:
    """Staff alerts as the delivery sent them: a digest is one message for many rows."""
    say("  waiting for the delivery to send the alerts")
    pending = (
        "SELECT count(*) FROM notifications WHERE case_id LIKE :p AND channel = 'internal' "
        "AND template IN ('warning', 'escalation') AND status = 'pending'"
    )
    deadline = time.monotonic() + 900
    while (left := await count(engine, pending, p=f"{prefix}%")) and time.monotonic() < deadline:
        say(f"  alerts still to send: {left}")
        await asyncio.sleep(5)
    # A digest is one message for all its rows; a row sent on its own is one message.
    message = "count(DISTINCT digest_id) + count(*) FILTER (WHERE digest_id IS NULL)"
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(f"""
                SELECT template, recipient, coalesce(department, '-') AS department,
                       params ->> 'level' AS level, date_trunc('minute', sent_at) AS minute,
                       {message} AS messages, count(*) AS rows_
                FROM notifications
                WHERE case_id LIKE :p AND channel = 'internal'
                  AND template IN ('warning', 'escalation') AND status = 'sent'
                GROUP BY 1, 2, 3, 4, 5
            """),
                {"p": f"{prefix}%"},
            )
        ).all()
    per = {"warning": 0, "escalation": 0}
    messages = {"warning": 0, "escalation": 0}
    for r in rows:
        per[r.template] = max(per[r.template], r.messages)
        messages[r.template] += r.messages
    say(
        f"  staff alerts: {messages['escalation']} escalation messages for {n} cases (at most "
        f"{per['escalation']} per level, department and minute); {messages['warning']} warning "
        f"messages (at most {per['warning']})"
    )
    return {
        "alerts_max_per_level_department_minute": per["escalation"],
        "alert_messages": messages["escalation"],
        "warning_messages": messages["warning"],
        "warnings_max_per_department_minute": per["warning"],
    }


# ------------------------------------------------------------------ the run
def flat(results: dict, key: str):
    value = results
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def check_goals(results: dict) -> dict:
    goals = {}
    for key, (op, bound) in GOALS.items():
        value = flat(results, key)
        if value is None:
            continue
        goals[f"{key} {op} {bound}"] = value >= bound if op == ">=" else value <= bound
    return goals


async def measure(s: Stack, args, phases: list[str], profiler: Profiler) -> dict:
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(),
        "quick": args.quick,
        "phases": phases,
        "machine": {
            "cpus": os.cpu_count(),
            "load_at_start": os.getloadavg(),
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            # Both workers' sticky cache (CASEFLOW_WORKER_CACHED_CASES): cases held in memory.
            "worker_cached_cases": Settings().worker_cached_cases,
            # Both workers' workflow runner (bench/median.py compares runs with the same).
            "workflow_runner": type(WORKFLOW_RUNNER).__name__,
            # py-spy sampling costs CPU on a machine the figures share: such runs are for the
            # profile, and bench/median.py leaves them out.
            "profiled": args.profile,
        },
    }
    async with httpx.AsyncClient(
        base_url=s.base, timeout=120, limits=httpx.Limits(max_connections=64)
    ) as http:
        results["machine"]["steal_share"] = {}
        for phase in phases:
            t0 = time.monotonic()
            cpu0 = host_cpu()
            if phase == "raw":
                await raw_phase(s, args, results)
            elif phase == "http":
                await http_phase(s, args, results, http, profiler)
            elif phase == "direct":
                await direct_phase(s, args, results, profiler)
            elif phase == "history":
                await history_phase(s, args, results, http)
            elif phase == "sustained":
                await sustained_phase(s, args, results, http, profiler)
            elif phase == "list":
                await list_phase(s, args, results, http)
            elif phase == "idle":
                await idle_phase(s, args, results)
            elif phase == "avalanche":
                await avalanche_phase(s, args, results, profiler)
            steal = stolen(cpu0, host_cpu())
            results["machine"]["steal_share"][phase] = steal
            taken = "" if steal is None else f"; {steal:.0%} of the CPU time taken by the host"
            say(
                f"  ({phase} took {time.monotonic() - t0:.0f} s; "
                f"load {os.getloadavg()[0]:.2f}{taken})"
            )
    results["machine"]["load_at_end"] = os.getloadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, to try it out")
    parser.add_argument("--concurrency", type=int, default=16, help="client requests in flight")
    parser.add_argument(
        "--only", help=f"comma-separated phases to run (of {', '.join(PHASES)}); no latest.json"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="record the API and the worker during the intakes, accepts and resolves, and the "
        "worker during the sustained and avalanche phases, with py-spy "
        "(bench/results/<run>-<phase>-<process>.folded)",
    )
    parser.add_argument(
        "--n", type=int, help="starts, intakes and actions in the raw, http and direct phases"
    )
    args = parser.parse_args()
    for name, value in SIZES["quick" if args.quick else "full"].items():
        if getattr(args, name, None) is None:  # --n given wins over the size's default
            setattr(args, name, value)
    phases = list(PHASES)
    if args.only:
        phases = [p.strip() for p in args.only.split(",") if p.strip()]
        unknown = set(phases) - set(PHASES)
        if unknown:
            parser.error(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
        phases = [p for p in PHASES if p in phases]
    stem = f"{datetime.now():%Y%m%d-%H%M%S}"
    tmp = Path(tempfile.mkdtemp(prefix="caseflow-bench-"))
    say(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    say(f"starting the embedded stack in {tmp}")
    stack = start_stack(tmp)
    profiler = Profiler(args.profile, stem)
    try:
        results = asyncio.run(measure(stack, args, phases, profiler))
    finally:
        profiler.stop()
        say("stopping the stack")
        stop_stack(stack)
    results["goals"] = check_goals(results)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    body = json.dumps(results, indent=2, default=str)
    path.write_text(body, encoding="utf-8")
    say(f"results written to {path.relative_to(ROOT)}")
    if not args.only:
        (out_dir / "latest.json").write_text(body, encoding="utf-8")
        say("and to bench/results/latest.json")
        keys = [k.format(idle=args.idle) for k in REQUIRED_KEYS]
        bad = [k for k in keys if not isinstance(flat(results, k), int | float)]
        if bad:
            say(f"  MISSING or not a number: {', '.join(bad)}")
    for goal, ok in results["goals"].items():
        say(
            f"  {'met   ' if ok else 'MISSED'} {goal} "
            f"(measured {flat(results, goal.split()[0]):.3g})"
        )


if __name__ == "__main__":
    main()
