"""`caseflow`: run the whole stack locally (`caseflow dev`), or one part of it in production."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from caseflow import devstack
from caseflow.devstack import StackError
from caseflow.domain import Role
from caseflow.settings import TEMPORAL_UI_PATH, SettingError, Settings, get_settings

STARTUP_TIMEOUT = 90.0  # seconds for each part to answer (first start also creates the DB)
CURL_BODY = (
    '{"type":"complaint","customer":{"name":"张三","phone":"13800138000"},'
    '"channel":"phone","category":"service","severity":"general",'
    '"description":"Charged twice for the October data package"}'
)


def say(message: str = "", *, err: bool = False) -> None:
    """The CLI's own user-facing output (library code logs instead)."""
    # A closed terminal or pipe must not interrupt stopping the stack: drop the message.
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr if err else sys.stdout, flush=True)  # noqa: T201


def _settings() -> Settings:
    try:
        return get_settings()
    except Exception as exc:  # noqa: BLE001 - pydantic's message names the bad variable
        raise StackError(f"invalid configuration (CASEFLOW_* variables or .env): {exc}") from exc


def _exit_status(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _redact(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    url = re.sub(r"(://[^:/@?#]*:)[^/?#]+@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", url)


def _run_db(coro: Awaitable[Any], url: str) -> Any:
    """Run a database coroutine; an unreachable database becomes one clear line."""
    from sqlalchemy.exc import DBAPIError

    try:
        return asyncio.run(coro)
    except (OSError, TimeoutError, DBAPIError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StackError(
            f"cannot use the database {_redact(url)}: {detail} (check CASEFLOW_DATABASE_URL)"
        ) from exc


# ------------------------------------------------------------------ caseflow dev
class DevStack:
    """Temporal + PostgreSQL + worker(s) + API(s) (+ dashboard), started and stopped in order.

    Children run in their own sessions, so a Ctrl-C in the terminal reaches only this process,
    which then stops them in order: APIs, workers, Temporal, PostgreSQL."""

    def __init__(self, args: argparse.Namespace, settings: Settings) -> None:
        self.args = args
        self.settings = settings
        self.api_port: int = args.port if args.port is not None else settings.api_port
        # Replicas listen on consecutive ports from --port: 8000, 8001, ... (each its own
        # process, as production replicas behind a load balancer; the first is the main URL).
        self.workers: int = getattr(args, "workers", 1) or 1
        self.api_ports = [self.api_port + i for i in range(getattr(args, "api_replicas", 1) or 1)]
        data_dir = args.data_dir if args.data_dir is not None else settings.data_dir
        self.data = Path(data_dir).expanduser().resolve()
        self.logs = self.data / "logs"
        self.pgdata = self.data / "pgdata"
        self.run_file = self.data / "children.json"
        self.ui_port: int | None = None if args.headless else args.ui_port
        self.address = f"127.0.0.1:{args.temporal_port}"
        self.children: list[tuple[str, subprocess.Popen, Path]] = []
        self.pg_started = False
        self.lock = devstack.DataDirLock(self.data)

    def run(self) -> int:
        try:
            self.logs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StackError(f"cannot use {self.data} as the data directory: {exc}") from exc
        self.lock.acquire()
        try:
            return asyncio.run(self._main())
        finally:
            self.lock.release()

    async def _main(self) -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        starting = asyncio.create_task(self._start())

        def on_signal(name: str) -> None:
            if not stop.is_set():
                say(f"\n{name} received: stopping caseflow ...")
            stop.set()
            starting.cancel()  # a no-op once started

        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig.name)
        try:
            try:
                await starting
            except asyncio.CancelledError:
                return 0  # asked to stop while starting
            except StackError as exc:
                say(f"\ncannot start caseflow: {exc}", err=True)
                return 1
            except Exception as exc:  # noqa: BLE001 - whatever failed, stop what started
                logging.getLogger("caseflow.cli").exception("start failed")
                say(f"\ncannot start caseflow: {type(exc).__name__}: {exc}", err=True)
                return 1
            say("caseflow is running; press Ctrl-C to stop.")
            return await self._watch(stop)
        finally:
            self._stop()
            for sig in signals:
                loop.remove_signal_handler(sig)

    async def _start(self) -> None:
        a = self.args
        reaped = devstack.reap_orphans(self.run_file)
        if reaped:
            say("stopped what an earlier, killed `caseflow dev` left running: " + ", ".join(reaped))
        devstack.check_port_free(self.api_port, "--port", "CASEFLOW_API_PORT")
        for port in self.api_ports[1:]:
            devstack.check_port_free(port, "--port (the API replicas use the ports after it)")
        devstack.check_port_free(a.temporal_port, "--temporal-port")
        if self.ui_port is not None:
            devstack.check_port_free(self.ui_port, "--ui-port (or --headless)")

        _mark_log(self.logs / "temporal.log")
        for i in range(1, self.workers + 1):
            _mark_log(devstack.numbered_log(self.logs, "worker", i))
        for i in range(1, len(self.api_ports) + 1):
            _mark_log(devstack.numbered_log(self.logs, "api", i))
        temporal_log = self.logs / "temporal.log"
        say(
            f"starting the Temporal dev server on {self.address} "
            f"(data: {self.data / devstack.TEMPORAL_DB}) ..."
        )
        temporal = devstack.start_temporal_dev_server(
            self.data,
            a.temporal_port,
            self.ui_port,
            temporal_log,
            codec_endpoint=f"http://127.0.0.1:{self.api_port}/codec",
            # The API serves the UI at /temporal/ (api/routers/temporal_ui.py): one origin with
            # the pages, so the UI's codec calls carry the supervisor's session.
            ui_public_path=TEMPORAL_UI_PATH,
        )
        self._track("Temporal dev server", temporal, temporal_log)

        say(f"starting PostgreSQL (data: {self.pgdata}) ...")
        self.pg_started = True
        _, db_url = devstack.start_embedded_postgres(self.pgdata)

        client = await devstack.wait_for_temporal(
            self.address, STARTUP_TIMEOUT, temporal, temporal_log
        )
        added = await devstack.ensure_search_attributes(client, "default")
        if added:
            say(f"registered search attributes: {', '.join(added)}")

        say("migrating the database and seeding the demo users ...")
        users = await _migrate_and_seed(db_url, demo=True)

        env = {
            # Customer data is encrypted in Temporal payloads; an explicit key setting wins.
            "CASEFLOW_PAYLOAD_KEYS": self._key_file("payload.keys"),
            "CASEFLOW_CLAIM_KEYS": self._key_file("claim.keys"),
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "CASEFLOW_TEMPORAL_ADDRESS": self.address,
            "CASEFLOW_TEMPORAL_NAMESPACE": "default",  # the one the dev server creates
            "CASEFLOW_DATABASE_URL": db_url,
            "CASEFLOW_API_HOST": "127.0.0.1",
            "CASEFLOW_API_PORT": str(self.api_port),
            # The API serves the UI (links go to /temporal/ on the API's origin); no UI on an
            # origin of its own, so no CORS for one. Empty = no UI (--headless).
            "CASEFLOW_TEMPORAL_UI_URL": "",
            "CASEFLOW_TEMPORAL_UI_UPSTREAM": self._ui_url() or "",
            "CASEFLOW_DATA_DIR": str(self.data),
        }
        say(
            "starting the worker ..."
            if self.workers == 1
            else f"starting {self.workers} workers ..."
        )
        workers = []
        for i in range(1, self.workers + 1):
            log = devstack.numbered_log(self.logs, "worker", i)
            workers.append(
                (self._spawn(_numbered("worker", i), devstack.worker_command(), env, log), log)
            )
        await devstack.wait_for_worker(
            client, self.settings.task_queue, STARTUP_TIMEOUT, workers=self.workers, procs=workers
        )

        apis = []
        for i, port in enumerate(self.api_ports, start=1):
            url = f"http://127.0.0.1:{port}"
            say(f"starting the {_numbered('API', i)} on {url} ...")
            log = devstack.numbered_log(self.logs, "api", i)
            command = devstack.api_command(port, self.settings.api_keep_alive_seconds)
            self._spawn(_numbered("API", i), command, env, log)
            apis.append((url, log))
        for url, log in apis:
            await self._wait_for_api(url, log)
        self._banner(db_url, users)

    def _ui_url(self) -> str | None:
        return None if self.ui_port is None else f"http://127.0.0.1:{self.ui_port}"

    def _track(self, name: str, proc: subprocess.Popen, log: Path) -> None:
        self.children.append((name, proc, log))
        devstack.record_children(self.run_file, {n: p.pid for n, p, _ in self.children})

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._track(name, proc, log)
        return proc

    def _check_children(self) -> None:
        for name, proc, log in self.children:
            if proc.poll() is not None:
                raise StackError(
                    f"the {name} {_exit_status(proc.returncode)}; log tail ({log}):\n"
                    f"{devstack.log_tail(log)}"
                )

    async def _wait_for_api(self, base: str, log: Path) -> None:
        import httpx

        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no answer"
        async with httpx.AsyncClient(timeout=5) as http:
            while time.monotonic() < deadline:
                self._check_children()
                try:
                    reply = await http.get(f"{base}/healthz")
                    if reply.status_code == 200:
                        return
                    last = f"{reply.status_code} {reply.text[:200]}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                await asyncio.sleep(0.3)
        raise StackError(
            f"the API at {base} did not become healthy within {STARTUP_TIMEOUT:.0f} s ({last}); "
            f"log tail ({log}):\n{devstack.log_tail(log)}"
        )

    async def _watch(self, stop: asyncio.Event) -> int:
        """Until asked to stop: any part that dies takes the rest down with a non-zero code."""
        while not stop.is_set():
            try:
                self._check_children()
            except StackError as exc:
                say(f"\n{exc}", err=True)
                return 1
            if not devstack.postgres_running(self.pgdata):
                say(
                    "\nPostgreSQL stopped unexpectedly; log tail "
                    f"({self.pgdata / 'log'}):\n{devstack.log_tail(self.pgdata / 'log')}",
                    err=True,
                )
                return 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1):
                    await stop.wait()
        return 0

    def _stop(self) -> None:
        # Children were appended as Temporal, workers, APIs: stop them in reverse.
        for name, proc, _ in reversed(self.children):
            if proc.poll() is None:
                say(f"stopping the {name} (pid {proc.pid}) ...")
                try:
                    devstack.stop_process(proc, name)
                except StackError as exc:
                    say(str(exc), err=True)
        if self.pg_started:
            say("stopping PostgreSQL ...")
            try:
                devstack.stop_embedded_postgres(self.pgdata)
            except StackError as exc:
                say(str(exc), err=True)
        self.run_file.unlink(missing_ok=True)
        if self.children or self.pg_started:
            say("stopped.")

    def _key_file(self, name: str) -> str:
        """A local key (payload encryption, claim signing), made once and kept with the data."""
        path = self.data / name
        if not path.exists():
            from caseflow.codec import new_key_setting

            path.write_text(new_key_setting("k1"))
            path.chmod(0o600)
        return path.read_text().strip()

    def _banner(self, db_url: str, users) -> None:  # noqa: ANN001 - tuple of DemoUser
        api = f"http://127.0.0.1:{self.api_port}"
        libpq = db_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        replicas = [f"http://127.0.0.1:{p}" for p in self.api_ports[1:]]
        rows = [
            ("API", f"{api}/api/v1"),
            *(
                [("API replicas", ", ".join(replicas) + "   (same API, same data)")]
                if replicas
                else []
            ),
            *([("Workers", f"{self.workers} on one task queue")] if self.workers > 1 else []),
            ("OpenAPI docs", f"{api}/docs"),
            ("Dashboard", f"{api}/   (sign in with a user name and password below)"),
            ("Metrics", f"{api}/metrics"),
            (
                "Temporal gRPC",
                f"{self.address}   (namespace default, task queue {self.settings.task_queue})",
            ),
            (
                "Temporal UI",
                f"{api}{TEMPORAL_UI_PATH}/   (supervisors and admins, signed in; decoded, "
                "read-only)"
                if self._ui_url()
                else "off (--headless)",
            ),
            ("PostgreSQL", f'{db_url}   (psql "{libpq}")'),
            ("Data", str(self.data)),
            (
                "Payloads",
                f"encrypted (key: {self.data / 'payload.keys'}); decoded by {api}/codec for "
                "a supervisor's session (the Temporal UI above) or token (the CLI)",
            ),
            ("Logs", f"{self.logs}/{{temporal,worker,api}}*.log, {self.pgdata / 'log'}"),
        ]
        say("")
        say("caseflow is up")
        for label, value in rows:
            say(f"  {label:<15}{value}")
        say("")
        say("Demo users (public demo tokens and passwords: never use them in production):")
        _demo_table(users)
        say("")
        say("File a complaint:")
        say(f"  curl -s -X POST {api}/api/v1/cases \\")
        say("    -H 'Authorization: Bearer demo-channel-hotline' \\")
        say("    -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \\")
        say(f"    -d '{CURL_BODY}'")
        say("")


def _mark_log(path: Path) -> None:
    """Logs are appended to across runs: mark where this run begins."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(
            f"----- caseflow dev (pid {os.getpid()}) started "
            f"{time.strftime('%Y-%m-%d %H:%M:%S %z')} -----\n"
        )


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


def _numbered(name: str, index: int) -> str:
    return name if index == 1 else f"{name} {index}"


def _count(value: str) -> int:
    """1 to 8 processes of a kind (more than the dev machine's cores only adds contention)."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 8, not {value!r}") from None
    if not 1 <= n <= 8:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 8, not {n}")
    return n


def cmd_dev(args: argparse.Namespace) -> int:
    return DevStack(args, _settings()).run()


# ------------------------------------------------------------------ production commands
def cmd_migrate(args: argparse.Namespace) -> int:
    url = _settings().database_url
    _run_db(_migrate_and_seed(url, demo=False), url)
    say(f"{_redact(url)}: schema is at the newest revision; departments present")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    url = _settings().database_url
    users = _run_db(_migrate_and_seed(url, demo=True), url)
    say(
        "demo departments, subscriptions and users present "
        "(public tokens and passwords: never in production):"
    )
    _demo_table(users)
    return 0


def _demo_table(users) -> None:  # noqa: ANN001 - tuple of DemoUser
    """Staff sign in to the pages with the password; API clients send the token."""
    say(f"  {'id':<18}{'role':<12}{'department':<18}{'token':<22}page password")
    for u in users:
        say(
            f"  {u.id:<18}{u.role.value:<12}{(u.department or '-'):<18}{u.token:<22}"
            f"{u.password or '- (no page sign-in)'}"
        )


def cmd_worker(args: argparse.Namespace) -> int:
    # The worker is the top of the stack (it imports workflows and activities, which import
    # caseflow): this process becomes `python -m worker` rather than importing it.
    os.execv(sys.executable, [sys.executable, "-m", "worker"])
    return 0  # not reached


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    try:
        settings.claim_key_ring()  # fail here, in words, rather than in the app's startup
    except SettingError as exc:
        say(f"caseflow: cannot start the API: {exc}", err=True)
        return 2
    uvicorn.run(
        "api.main:app",
        host=args.host or settings.api_host,
        port=args.port if args.port is not None else settings.api_port,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.api_keep_alive_seconds,
    )
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from caseflow.db import Department, User, make_engine
    from caseflow.passwords import WeakPassword, check_strength
    from caseflow.security import new_token
    from caseflow.seed import upsert_user

    role = Role(args.role)
    url = _settings().database_url
    token = new_token()
    password = _password(args)
    if password is not None:
        if role is Role.CHANNEL:
            raise StackError("intake channels sign in with tokens only: no --password for them")
        try:
            check_strength(password)
        except WeakPassword as exc:
            raise StackError(str(exc)) from None
    if args.ladder_role and args.ladder_role not in LADDER_ROLES:
        raise StackError(f"--ladder-role is one of: {', '.join(LADDER_ROLES)}")

    async def add() -> bool:
        engine = make_engine(url, pool_size=1)
        try:
            async with engine.connect() as conn:
                departments = list((await conn.execute(select(Department.id))).scalars())
                existed = (
                    await conn.execute(select(User.id).where(User.id == args.id))
                ).first() is not None
            if args.department and args.department not in departments:
                raise StackError(
                    f"unknown department {args.department!r}; one of: "
                    f"{', '.join(sorted(departments)) or '(none: run migrate)'}"
                )
            if role is Role.AGENT and not args.department:
                raise StackError(
                    "an agent acts on their department's cases: pass "
                    f"--department (one of: {', '.join(sorted(departments))})"
                )
            contact = {
                k: v
                for k, v in (
                    ("email", args.email),
                    ("phone", args.phone),
                    ("ladder_role", args.ladder_role),
                )
                if v is not None
            }
            await upsert_user(
                engine, args.id, args.name, role, args.department, token, password, **contact
            )
            return existed
        finally:
            await engine.dispose()

    existed = _run_db(add(), url)
    if existed:
        say(f"user {args.id} ({role.value}) updated; the previous token no longer works.")
    else:
        say(f"user {args.id} ({role.value}) created.")
    if password is not None:
        say("Password set: the user signs in to the pages with it.")
    say("Token (shown only this once; only its hash is stored):")
    say(token)
    return 0


LADDER_ROLES = ("agent", "team_lead", "supervisor", "manager")


def _password(args: argparse.Namespace) -> str | None:
    """--password VALUE, or --password - to read it from standard input (not the shell's
    history or the process list)."""
    if args.password is None:
        return None
    if args.password == "-":
        return sys.stdin.readline().rstrip("\n")
    return args.password


# ------------------------------------------------------------------ arguments
class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def cmd_keys(args: argparse.Namespace) -> int:
    from caseflow.codec import new_key_setting

    sys.stdout.write(new_key_setting(f"k{datetime.now(UTC):%Y%m%d}") + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caseflow",
        formatter_class=_Formatter,
        description="Telecom customer-service cases (complaints, inquiries, unsubscribes) as "
        "durable Temporal workflows with the standards' time limits.",
        epilog="Locally: `caseflow dev`. In production: `caseflow migrate` once per release, "
        "then `caseflow api` and `caseflow worker` (as many of each as needed), configured by "
        "CASEFLOW_* environment variables (see the README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    dev = sub.add_parser(
        "dev",
        formatter_class=_Formatter,
        help="run everything locally: Temporal, PostgreSQL, worker, API and dashboard",
        description="Start the embedded Temporal dev server (persisted in DATA_DIR/temporal.db) "
        "and PostgreSQL (DATA_DIR/pgdata), migrate and seed the demo users, then run the "
        "worker and the API; print where everything listens and the demo tokens. Ctrl-C stops "
        "it all (API, worker, Temporal, PostgreSQL). The next start reuses the data, so open "
        "cases and their timers carry on. Logs: DATA_DIR/logs.",
    )
    dev.add_argument(
        "--port", type=int, default=None, help="API port (default: CASEFLOW_API_PORT, else 8000)"
    )
    dev.add_argument(
        "--temporal-port",
        type=int,
        default=7233,
        help="Temporal frontend (gRPC) port (default %(default)s)",
    )
    dev.add_argument(
        "--ui-port", type=int, default=8233, help="Temporal Web UI port (default %(default)s)"
    )
    dev.add_argument("--headless", action="store_true", help="do not start the Temporal Web UI")
    dev.add_argument(
        "--workers",
        type=_count,
        default=1,
        help="worker processes on the one task queue (default %(default)s)",
    )
    dev.add_argument(
        "--api-replicas",
        type=_count,
        default=1,
        help="API processes, on consecutive ports from --port (default %(default)s)",
    )
    dev.add_argument(
        "--data-dir",
        default=None,
        help="where the data and logs live (default: CASEFLOW_DATA_DIR, else .caseflow)",
    )
    dev.set_defaults(func=cmd_dev)

    sub.add_parser(
        "keys",
        formatter_class=_Formatter,
        help="print a new key setting for CASEFLOW_CLAIM_KEYS or CASEFLOW_PAYLOAD_KEYS",
        description="Print a freshly generated key setting (`k<date>:<base64 of 32 random "
        "bytes>`). To rotate, put the new one first and keep the old one listed after a comma "
        "until nothing signed or encrypted with it is in flight.",
    ).set_defaults(func=cmd_keys)
    sub.add_parser(
        "migrate",
        formatter_class=_Formatter,
        help="upgrade the database schema and ensure the departments (CASEFLOW_DATABASE_URL)",
        description="Upgrade the database at CASEFLOW_DATABASE_URL to the newest schema and "
        "ensure the departments exist. Idempotent: run it on every release.",
    ).set_defaults(func=cmd_migrate)
    sub.add_parser(
        "seed-demo",
        formatter_class=_Formatter,
        help="add the demo departments, users and subscriptions (never in production)",
        description="Migrate, then add the demo departments, subscriptions and users with "
        "their public demo tokens (what `caseflow dev` does). Never on a production database.",
    ).set_defaults(func=cmd_seed_demo)
    sub.add_parser(
        "worker",
        formatter_class=_Formatter,
        help="run a Temporal worker for the case workflows and activities",
        description="Run the caseflow worker on CASEFLOW_TASK_QUEUE until Ctrl-C / SIGINT. "
        "Scale out by running more workers.",
    ).set_defaults(func=cmd_worker)
    api = sub.add_parser(
        "api",
        formatter_class=_Formatter,
        help="serve the HTTP API and dashboard",
        description="Serve the HTTP API, the dashboard, /healthz and /metrics with uvicorn.",
    )
    api.add_argument("--host", help="bind address (default: CASEFLOW_API_HOST, else 127.0.0.1)")
    api.add_argument("--port", type=int, help="port (default: CASEFLOW_API_PORT, else 8000)")
    api.set_defaults(func=cmd_api)

    user = sub.add_parser("user", help="manage users", description="Manage users.")
    user_sub = user.add_subparsers(dest="user_cmd", required=True, metavar="ACTION")
    add = user_sub.add_parser(
        "add",
        formatter_class=_Formatter,
        help="create (or update) a user and print a new token",
        description="Create a user, or update one with the same id, and print a freshly "
        "generated bearer token once (only its SHA-256 is stored; an update replaces the old "
        "token). Example: caseflow user add --id agent.li --name 'Li Na' --role agent "
        "--department customer_service --password - --ladder-role agent",
    )
    add.add_argument("--id", required=True, help="login id, e.g. agent.li")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in Role],
        help="agent: acts on their department's cases; supervisor/admin: all "
        "cases; channel: an intake channel filing cases for customers",
    )
    add.add_argument(
        "--department",
        help="department id (required for agents), e.g. "
        "customer_service, product, marketing, policy, network_ops",
    )
    add.add_argument(
        "--password",
        help="staff only: a password to sign in to the pages with (at least 8 characters); "
        "'-' reads it from standard input",
    )
    add.add_argument("--email", help="where staff alerts reach the user by e-mail")
    add.add_argument("--phone", help="the user's phone (group robots @-mention it)")
    add.add_argument(
        "--ladder-role",
        help="the user's rung on the escalation ladder: agent, team_lead, supervisor, manager",
    )
    add.set_defaults(func=cmd_user_add)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command != "worker" and args.command != "api":
        # The worker and the API set up their own structured logging.
        logging.basicConfig(level=logging.WARNING, format="caseflow: %(levelname)s %(message)s")
        # Its failures reach the user as StackErrors that carry the server's log tail.
        logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    try:
        code = args.func(args)
    except StackError as exc:
        say(f"caseflow: {exc}", err=True)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
