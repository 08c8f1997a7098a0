"""A tiny HTTP endpoint for a process that serves no HTTP itself (the worker): `GET /healthz`
answers 200 while a check says healthy and 503 otherwise, so Kubernetes' probes (or compose's
healthcheck) can restart a worker whose Temporal polling or outbox delivery has stopped.

Plain asyncio: one request per connection, no keep-alive, a few bytes each way; it runs on the
worker's own event loop, so a loop that is stuck also stops answering, which is what a liveness
probe should notice.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("caseflow.health")

HealthCheck = Callable[[], bool | Awaitable[bool]]
PATH = "/healthz"
# Seconds a client gets to send its request, and a check gets to answer (then: unhealthy).
REQUEST_TIMEOUT = 5.0
CHECK_TIMEOUT = 3.0
MAX_HEADER_BYTES = 8192

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}
_BODIES = {200: b"ok\n", 503: b"unhealthy\n"}


def parse_address(address: str) -> tuple[str, int]:
    """'0.0.0.0:8081' or '[::]:8081' -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"health address must look like 0.0.0.0:8081, not {address!r}")
    return host.strip("[]"), int(port)


async def start_health_server(address: str, check: HealthCheck) -> asyncio.Server:
    """Listen on `address` ("host:port"; port 0 picks a free one) until the returned server is
    closed. `check` may be a plain or an async callable returning True when healthy."""
    host, port = parse_address(address)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                status, head_only = await _answer(reader, check)
            except (asyncio.LimitOverrunError, UnicodeDecodeError):
                status, head_only = 400, False
            body = _BODIES.get(status, f"{_REASONS[status]}\n".encode())
            writer.write(
                f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + (b"" if head_only else body)
            )
            await writer.drain()
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the prober went away or never finished its request: nothing to answer
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, limit=MAX_HEADER_BYTES)
    bound = server.sockets[0].getsockname()
    log.info("health endpoint listening", extra={"host": bound[0], "port": bound[1], "path": PATH})
    return server


async def _answer(reader: asyncio.StreamReader, check: HealthCheck) -> tuple[int, bool]:
    """(status, whether to leave the body out) for the request `reader` delivers."""
    async with asyncio.timeout(REQUEST_TIMEOUT):
        head = await reader.readuntil(b"\r\n\r\n")  # LimitOverrunError past MAX_HEADER_BYTES
    parts = head.split(b"\r\n", 1)[0].decode("ascii").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return 400, False
    method, target = parts[0], parts[1].split("?", 1)[0]
    if target != PATH:
        return 404, False
    if method not in ("GET", "HEAD"):
        return 405, False
    return (200 if await _healthy(check) else 503), method == "HEAD"


async def _healthy(check: HealthCheck) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            result = check()
            if inspect.isawaitable(result):
                result = await result
        return bool(result)
    except Exception as exc:  # noqa: BLE001 - a check that fails or hangs means "unhealthy"
        log.warning("health check failed", extra={"err": f"{type(exc).__name__}: {exc}"})
        return False
