"""caseflow benchmark on the embedded stack, as a ratio to the raw Temporal baseline measured in
the same run on the same dev server.

    python3 bench/run.py              # the full run (10 000 idle cases; several minutes)
    python3 bench/run.py --quick      # a smaller run to try it out

Prints progress and writes bench/results/<timestamp>.json. Goals (from the issue): intake
>= 0.6 x raw start rate; actions >= 0.5 x raw update rate; list p95 <= 3 x a bare SQL select;
timer burst p99 lateness <= 5 s; worker memory <= 1 GiB with 10 000 open cases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from sqlalchemy import text
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from caseflow import devstack  # noqa: E402
from caseflow.db import make_engine  # noqa: E402
from caseflow.db.migrate import migrate  # noqa: E402
from caseflow.policy import PACKAGED_DIR  # noqa: E402
from caseflow.seed import seed_demo  # noqa: E402
from caseflow.temporal import DATA_CONVERTER  # noqa: E402

BURST_ROW = """
[[windows]]
id = "bench-burst"
case_type = "complaint"
channel = "wechat"
response = "90s"
"""


def say(msg: str) -> None:
    sys.stdout.write(f"[{datetime.now():%H:%M:%S}] {msg}\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ the raw baseline
@workflow.defn(sandboxed=False)
class Trivial:
    def __init__(self) -> None:
        self.signals = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.signals >= 2)
        return self.signals

    @workflow.signal
    def poke(self) -> None:
        self.signals += 1

    @workflow.update
    def bump(self) -> int:
        self.signals += 1
        return self.signals

    @workflow.query
    def count(self) -> int:
        return self.signals


async def rate(label: str, n: int, concurrency: int, make) -> dict:
    """Run make(i) n times, `concurrency` at a time; report rate and latency percentiles."""
    latencies: list[float] = []
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
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "n": n,
        "per_second": n / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


async def settle(label: str, n: int, concurrency: int, make) -> None:
    """Wait (untimed) until every workflow of a phase has run its first task."""
    say(f"  {label}: waiting for the workers to take up all {n} workflows")
    await rate(f"{label} settled", n, concurrency, make)  # its timing is not reported


@dataclass
class Stack:
    tmp: Path
    temporal: subprocess.Popen
    worker: subprocess.Popen
    api: subprocess.Popen
    url: str
    address: str
    base: str


def start_stack(tmp: Path) -> Stack:
    temporal_port, api_port = devstack.free_port(), devstack.free_port()
    address = f"127.0.0.1:{temporal_port}"
    temporal = devstack.start_temporal_dev_server(
        tmp / "temporal.db", temporal_port, None, tmp / "temporal.log"
    )
    _, url = devstack.start_embedded_postgres(tmp / "pg")
    asyncio.run(devstack.wait_for_temporal(address, 60, temporal, tmp / "temporal.log"))

    async def prepare() -> None:
        await migrate(url)
        engine = make_engine(url)
        await seed_demo(engine)
        await engine.dispose()

    asyncio.run(prepare())
    policy = tmp / "policy"
    policy.mkdir()
    src = (PACKAGED_DIR / "2026.1.toml").read_text(encoding="utf-8")
    (policy / "9990.1.toml").write_text(
        src.replace('version = "2026.1"', 'version = "9990.1"') + BURST_ROW, encoding="utf-8"
    )
    env = {
        **os.environ,
        "CASEFLOW_TEMPORAL_ADDRESS": address,
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_POLICY_DIR": str(policy),
        "CASEFLOW_POLICY_VERSION": "9990.1",
        "CASEFLOW_SCHEDULES": "false",
        "CASEFLOW_LOG_LEVEL": "WARNING",
        # The benchmark is one agent acting as fast as it can: measure, do not throttle it.
        "CASEFLOW_RATE_LIMIT_ACTIONS": "0",
    }
    logs = {n: open(tmp / f"{n}.log", "ab") for n in ("worker", "api")}  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=ROOT,
        env=env,
        stdout=logs["worker"],
        stderr=subprocess.STDOUT,
    )
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--port",
            str(api_port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs["api"],
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{api_port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return Stack(tmp, temporal, worker, api, url, address, base)


def stop_stack(s: Stack) -> None:
    for proc in (s.api, s.worker, s.temporal):
        devstack.stop_process(proc, "bench child")
    devstack.stop_embedded_postgres(s.tmp / "pg")


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
AGENT = {"Authorization": "Bearer demo-agent-cs"}


async def measure(s: Stack, args) -> dict:
    results: dict = {"started_at": datetime.now(UTC).isoformat(), "quick": args.quick}
    client = await Client.connect(s.address, data_converter=DATA_CONVERTER)
    n = args.n

    say(f"raw baseline: {n} starts, signals, updates and queries of a trivial workflow")
    raw_queue = f"raw-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=raw_queue, workflows=[Trivial]):
        ids = [f"raw-{uuid.uuid4().hex}" for _ in range(n)]
        handles = {}

        async def start(i):
            handles[i] = await client.start_workflow(Trivial.run, id=ids[i], task_queue=raw_queue)

        raw = {"start": await rate("raw start", n, args.concurrency, start)}
        await settle("raw", n, args.concurrency, lambda i: handles[i].query(Trivial.count))
        raw["signal"] = await rate(
            "raw signal", n, args.concurrency, lambda i: handles[i].signal(Trivial.poke)
        )
        raw["update"] = await rate(
            "raw update", n, args.concurrency, lambda i: handles[i].execute_update(Trivial.bump)
        )
        raw["query"] = await rate(
            "raw query", min(n, 200), args.concurrency, lambda i: handles[i].query(Trivial.count)
        )
    results["raw"] = raw

    say(f"caseflow over HTTP: {n} intakes, {n} accepts and {n} resolves")
    async with httpx.AsyncClient(
        base_url=s.base, timeout=120, limits=httpx.Limits(max_connections=64)
    ) as http:
        case_ids: list[str] = [""] * n

        async def intake(i):
            r = await http.post("/api/v1/cases", json=COMPLAINT, headers=H)
            r.raise_for_status()
            case_ids[i] = r.json()["case_id"]

        async def accept(i):
            r = await http.post(f"/api/v1/cases/{case_ids[i]}/actions/accept", headers=AGENT)
            r.raise_for_status()

        async def resolve(i):
            r = await http.post(
                f"/api/v1/cases/{case_ids[i]}/actions/resolve", json=RESOLUTION, headers=AGENT
            )
            r.raise_for_status()

        cf = {"intake": await rate("intake", n, args.concurrency, intake)}
        # The API answers before a worker has run the case; let the workers take every case
        # over before timing actions, as the baseline lets its workflows start.
        await settle(
            "caseflow",
            n,
            args.concurrency,
            lambda i: client.get_workflow_handle(case_ids[i]).execute_update("opened"),
        )
        cf["accept"] = await rate("accept", n, args.concurrency, accept)
        cf["resolve"] = await rate("resolve", n, args.concurrency, resolve)
        results["caseflow"] = cf
        raw_update = raw["update"]["per_second"]
        results["ratios"] = {
            "intake_vs_raw_start": cf["intake"]["per_second"] / raw["start"]["per_second"],
            "accept_vs_raw_update": cf["accept"]["per_second"] / raw_update,
            "resolve_vs_raw_update": cf["resolve"]["per_second"] / raw_update,
            "accept_vs_raw_signal": cf["accept"]["per_second"] / raw["signal"]["per_second"],
        }
        say(f"  ratios: {json.dumps({k: round(v, 2) for k, v in results['ratios'].items()})}")

        say(f"dashboard list with {args.rows} cases in PostgreSQL")
        results["list"] = await list_benchmark(s, http, args.rows)

        say(f"timer burst: {args.burst} cases due in the same minute")
        results["burst"] = await burst_benchmark(s, http, args.burst)

    say(f"idle fleet: worker memory from {args.idle // 10} to {args.idle} open cases")
    results["idle"] = await idle_benchmark(s, args.idle, args.concurrency)
    return results


async def list_benchmark(s: Stack, http: httpx.AsyncClient, rows: int) -> dict:
    engine = make_engine(s.url)
    async with engine.begin() as conn:
        await conn.execute(
            text("""
            INSERT INTO cases (case_id, case_type, phase, channel, category, severity, tier,
              department, assignee, escalation_level, breached, warned, next_deadline,
              next_window, policy_version, seq, reopen_count, opened_at, updated_at, state)
            SELECT 'BENCH-' || g, 'complaint',
              (ARRAY['new','in_progress','resolved','archived'])[1 + g % 4], 'phone',
              'service', 'general', 'standard',
              (ARRAY['customer_service','product','marketing'])[1 + g % 3], NULL, 1,
              g % 50 = 0, g % 20 = 0, now() + (g % 1000) * interval '1 minute', 'handling',
              '2026.1', 1, 0, now() - interval '1 day', now(), '{}'::jsonb
            FROM generate_series(1, :n) AS g
        """),
            {"n": rows},
        )
        await conn.execute(text("ANALYZE cases"))
    params = {"department": "product", "overdue": "false", "limit": "50"}
    sup = {"Authorization": "Bearer demo-supervisor"}
    api_ms, sql_ms = [], []
    for _ in range(60):
        t0 = time.perf_counter()
        (await http.get("/api/v1/cases", params=params, headers=sup)).raise_for_status()
        api_ms.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        async with engine.connect() as conn:
            await conn.execute(
                text(
                    "SELECT case_id, case_type, phase, department, next_deadline FROM cases "
                    "WHERE department = 'product' AND NOT (breached OR next_deadline < now()) "
                    "ORDER BY breached DESC, next_deadline ASC NULLS LAST, opened_at DESC "
                    "LIMIT 50"
                )
            )
        sql_ms.append(1000 * (time.perf_counter() - t0))
    await engine.dispose()
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95)]  # noqa: E731
    out = {"rows": rows, "api_p95_ms": p95(api_ms), "sql_p95_ms": p95(sql_ms)}
    out["ratio"] = out["api_p95_ms"] / out["sql_p95_ms"]
    say(f"  list p95 {out['api_p95_ms']:.1f} ms vs bare SQL {out['sql_p95_ms']:.1f} ms")
    return out


async def burst_benchmark(s: Stack, http: httpx.AsyncClient, n: int) -> dict:
    body = {**COMPLAINT, "channel": "wechat"}  # the 90 s response window of the bench policy
    ids: list[str] = []
    sem = asyncio.Semaphore(32)

    async def file(_):
        async with sem:
            r = await http.post("/api/v1/cases", json=body, headers=H)
            r.raise_for_status()
            ids.append(r.json()["case_id"])

    t0 = time.perf_counter()
    await asyncio.gather(*(file(i) for i in range(n)))
    say(f"  filed {n} in {time.perf_counter() - t0:.0f} s; waiting for their deadlines")
    engine = make_engine(s.url)
    deadline = time.monotonic() + 600
    lateness: list[float] = []
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT extract(epoch FROM at - deadline) FROM case_events "
                        "WHERE kind = 'breach' AND case_id = ANY(:ids)"
                    ),
                    {"ids": ids},
                )
            ).all()
        if len(rows) >= n:
            lateness = sorted(float(r[0]) for r in rows)
            break
        await asyncio.sleep(2)
    await engine.dispose()
    if not lateness:
        return {"n": n, "error": "not every breach was recorded within 10 minutes"}
    out = {
        "n": n,
        "p50_s": statistics.median(lateness),
        "p99_s": lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))],
        "max_s": lateness[-1],
    }
    say(f"  breach lateness p99 {out['p99_s']:.2f} s (max {out['max_s']:.2f} s)")
    return out


async def idle_benchmark(s: Stack, total: int, concurrency: int) -> dict:
    client = await Client.connect(s.address, data_converter=DATA_CONVERTER)
    from caseflow.domain import (
        Actor,
        CaseInput,
        CaseType,
        Category,
        Channel,
        Customer,
        Role,
        Severity,
    )
    from workflows.complaint import ComplaintWorkflow

    proc = psutil.Process(s.worker.pid)
    engine = make_engine(s.url)
    samples = {}
    started = 0
    for target in (total // 10, total):

        async def start(_):
            cid = f"IDLE-{uuid.uuid4().hex[:12]}"
            await client.start_workflow(
                ComplaintWorkflow.run,
                CaseInput(
                    case_id=cid,
                    case_type=CaseType.COMPLAINT,
                    customer=Customer("idle", "13800000000"),
                    channel=Channel.PHONE,
                    description="idle",
                    created_by=Actor("bench", Role.CHANNEL),
                    category=Category.SERVICE,
                    severity=Severity.GENERAL,
                ),
                id=cid,
                task_queue="caseflow",
            )

        await rate(f"idle start to {target}", target - started, concurrency, start)
        started = target
        await taken_up(engine, target)
        await asyncio.sleep(5)  # let the worker settle
        samples[target] = proc.memory_info().rss / 2**20
        say(f"  worker RSS with {target} open cases: {samples[target]:.0f} MiB")
    await engine.dispose()
    return {
        "rss_mib": samples,
        "growth_mib_per_1000": (samples[total] - samples[total // 10]) / (0.9 * total / 1000),
    }


async def taken_up(engine, target: int) -> None:
    """Wait until the worker has opened (and recorded) every idle case started so far."""
    last = -1
    while True:
        async with engine.connect() as conn:
            done = (
                await conn.execute(text("SELECT count(*) FROM cases WHERE case_id LIKE 'IDLE-%'"))
            ).scalar_one()
        if done >= target:
            return
        if done != last and done // 1000 != last // 1000:
            say(f"  the worker has opened {done}/{target} idle cases")
        last = done
        await asyncio.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, to try it out")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    args.n = 100 if args.quick else 500
    args.rows = 10_000 if args.quick else 100_000
    args.burst = 100 if args.quick else 1000
    args.idle = 1000 if args.quick else 10_000
    tmp = Path(tempfile.mkdtemp(prefix="caseflow-bench-"))
    say(f"starting the embedded stack in {tmp}")
    stack = start_stack(tmp)
    try:
        results = asyncio.run(measure(stack, args))
    finally:
        say("stopping the stack")
        stop_stack(stack)
    results["goals"] = {
        "intake >= 0.6 x raw start": results["ratios"]["intake_vs_raw_start"] >= 0.6,
        "accept >= 0.5 x raw update": results["ratios"]["accept_vs_raw_update"] >= 0.5,
        "resolve >= 0.5 x raw update": results["ratios"]["resolve_vs_raw_update"] >= 0.5,
        "list p95 <= 3 x bare SQL": results["list"]["ratio"] <= 3,
        "burst p99 lateness <= 5 s": results["burst"].get("p99_s", 1e9) <= 5,
        "worker RSS <= 1 GiB": max(results["idle"]["rss_mib"].values()) <= 1024,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    say(f"results written to {path}")
    for goal, ok in results["goals"].items():
        say(f"  {'met   ' if ok else 'MISSED'} {goal}")


if __name__ == "__main__":
    main()
