"""`caseflow`: run the whole stack locally, or one part of it in production."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from caseflow import devstack
from caseflow.domain import Role
from caseflow.settings import get_settings


def say(message: str = "") -> None:
    print(message, flush=True)  # noqa: T201 - the CLI's own output


# ------------------------------------------------------------------ caseflow dev
class DevStack:
    """Temporal + PostgreSQL + worker + API (+ dashboard), started and stopped in order."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data = Path(args.data_dir).resolve()
        self.logs = self.data / "logs"
        self.children: list[tuple[str, subprocess.Popen, Path]] = []
        self.pgdata = self.data / "pgdata"
        self.pg_started = False

    def run(self) -> int:
        a = self.args
        self.logs.mkdir(parents=True, exist_ok=True)
        devstack.require_free(a.port, "API", "--port / CASEFLOW_API_PORT")
        devstack.require_free(a.temporal_port, "Temporal", "--temporal-port")
        if not a.headless:
            devstack.require_free(a.ui_port, "Temporal UI", "--ui-port")
        stop = {"flag": False}

        def on_signal(signum, frame) -> None:  # noqa: ANN001
            stop["flag"] = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            self._start()
            say("caseflow is running; press Ctrl-C to stop.")
            while not stop["flag"]:
                for name, proc, log in self.children:
                    if proc.poll() is not None:
                        say(f"\n{name} exited unexpectedly (code {proc.returncode}); log tail:")
                        say(devstack.log_tail(log))
                        return 1
                time.sleep(0.5)
            return 0
        except devstack.StackError as exc:
            say(f"\ncannot start caseflow: {exc}")
            return 1
        finally:
            self._stop()

    def _start(self) -> None:
        a = self.args
        address = f"127.0.0.1:{a.temporal_port}"
        say(f"starting Temporal dev server on {address} (data: {self.data / 'temporal.db'}) ...")
        temporal_log = self.logs / "temporal.log"
        temporal = devstack.start_temporal_dev_server(
            self.data / "temporal.db", a.temporal_port, None if a.headless else a.ui_port,
            temporal_log,
        )
        self.children.append(("Temporal dev server", temporal, temporal_log))
        say(f"starting PostgreSQL (data: {self.pgdata}) ...")
        _, db_url = devstack.start_embedded_postgres(self.pgdata)
        self.pg_started = True
        asyncio.run(devstack.wait_for_temporal(address, 60, temporal, temporal_log))
        say("migrating the database and seeding the demo users ...")
        users = asyncio.run(_migrate_and_seed(db_url, demo=True))
        env = {
            **os.environ,
            "CASEFLOW_TEMPORAL_ADDRESS": address,
            "CASEFLOW_DATABASE_URL": db_url,
            "CASEFLOW_API_PORT": str(a.port),
            "CASEFLOW_TEMPORAL_UI_URL": "" if a.headless else f"http://127.0.0.1:{a.ui_port}",
            "CASEFLOW_DATA_DIR": str(self.data),
        }
        if a.headless:
            env.pop("CASEFLOW_TEMPORAL_UI_URL")
        say("starting the worker ...")
        self._spawn("worker", [sys.executable, "-m", "worker"], env)
        say(f"starting the API on http://127.0.0.1:{a.port} ...")
        self._spawn(
            "API",
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(a.port), "--log-level", "warning"],
            env,
        )
        self._wait_for_api(a.port)
        self._banner(address, db_url, users)

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        log = self.logs / f"{name.lower()}.log"
        out = open(log, "ab")  # noqa: SIM115 - the child keeps it open
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.children.append((name, proc, log))

    def _wait_for_api(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc, log in self.children:
                if proc.poll() is not None:
                    raise devstack.StackError(f"{name} exited:\n{devstack.log_tail(log)}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise devstack.StackError(f"the API did not become healthy within {timeout:.0f} s")

    def _banner(self, address: str, db_url: str, users) -> None:
        a = self.args
        api = f"http://127.0.0.1:{a.port}"
        say("")
        say("caseflow is up")
        say(f"  API            {api}/api/v1   (OpenAPI docs: {api}/docs)")
        say(f"  Dashboard      {api}/          (sign in with a token below)")
        say(f"  Metrics        {api}/metrics")
        say(f"  Temporal       {address}")
        if not a.headless:
            say(f"  Temporal UI    http://127.0.0.1:{a.ui_port}")
        say(f"  PostgreSQL     {db_url}")
        say(f"  Data           {self.data}   (logs in {self.logs})")
        say("")
        say("Demo users (public demo tokens: never use them in production):")
        say(f"  {'user':<18}{'role':<12}{'department':<18}token")
        for u in users:
            say(f"  {u.id:<18}{u.role.value:<12}{(u.department or '-'):<18}{u.token}")
        say("")
        say("File a complaint:")
        say(
            f"  curl -s -X POST {api}/api/v1/cases -H 'Authorization: Bearer "
            "demo-channel-hotline' -H 'Content-Type: application/json' -H 'Idempotency-Key: "
            "demo-1' -d '{\"type\":\"complaint\",\"customer\":{\"name\":\"张三\",\"phone\":"
            "\"13800138000\"},\"channel\":\"phone\",\"category\":\"service\",\"severity\":"
            "\"general\",\"description\":\"Charged twice for the October data package\"}'"
        )
        say("")

    def _stop(self) -> None:
        for name, proc, _ in reversed(self.children):
            if proc.poll() is None:
                say(f"stopping {name} ...")
                try:
                    devstack.stop_process(proc, name)
                except devstack.StackError as exc:
                    say(str(exc))
        if self.pg_started:
            say("stopping PostgreSQL ...")
            devstack.stop_embedded_postgres(self.pgdata)
        say("stopped.")


async def _migrate_and_seed(url: str, demo: bool):
    from caseflow.db import make_engine
    from caseflow.db.migrate import migrate
    from caseflow.seed import seed_demo, seed_departments

    await migrate(url)
    engine = make_engine(url, pool_size=2)
    try:
        if demo:
            return await seed_demo(engine)
        await seed_departments(engine)
        return ()
    finally:
        await engine.dispose()


# ------------------------------------------------------------------ production commands
def cmd_migrate(args: argparse.Namespace) -> int:
    asyncio.run(_migrate_and_seed(get_settings().database_url, demo=False))
    say("database is at the newest schema; departments present")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    users = asyncio.run(_migrate_and_seed(get_settings().database_url, demo=True))
    for u in users:
        say(f"{u.id:<18}{u.role.value:<12}{(u.department or '-'):<18}{u.token}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import worker

    worker.main()
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run("api.main:app", host=args.host or settings.api_host,
                port=args.port or settings.api_port)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from caseflow.db import make_engine
    from caseflow.security import new_token
    from caseflow.seed import upsert_user

    token = new_token()

    async def add() -> None:
        engine = make_engine(get_settings().database_url, pool_size=1)
        try:
            await upsert_user(engine, args.id, args.name, Role(args.role), args.department,
                              token)
        finally:
            await engine.dispose()

    asyncio.run(add())
    say(f"user {args.id} ({args.role}) saved. Token (shown once, store it safely):")
    say(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caseflow",
        description="Telecom customer-service cases as durable Temporal workflows.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser(
        "dev",
        help="run everything locally: Temporal, PostgreSQL, worker, API and dashboard",
        description="Starts the embedded Temporal dev server and PostgreSQL (persisted under "
        "--data-dir, so cases and their timers survive restarts), the worker and the API. "
        "Ctrl-C stops everything.",
    )
    dev.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    dev.add_argument("--temporal-port", type=int, default=7233, help="Temporal gRPC port")
    dev.add_argument("--ui-port", type=int, default=8233, help="Temporal UI port")
    dev.add_argument("--headless", action="store_true", help="do not start the Temporal UI")
    dev.add_argument("--data-dir", default=".caseflow", help="where data lives (.caseflow)")
    dev.set_defaults(func=lambda a: DevStack(a).run())
    sub.add_parser("migrate", help="upgrade the database schema (CASEFLOW_DATABASE_URL)") \
        .set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="add the demo departments, users and subscriptions") \
        .set_defaults(func=cmd_seed_demo)
    sub.add_parser("worker", help="run a Temporal worker").set_defaults(func=cmd_worker)
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.set_defaults(func=cmd_api)
    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_cmd",
                                                                        required=True)
    add = user.add_parser("add", help="create or update a user and print a new token")
    add.add_argument("--id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--department")
    add.set_defaults(func=cmd_user_add)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
