"""The worker's health endpoint over real sockets: 200 while the check holds, 503 when it does
not (or fails, or hangs), and nothing but GET/HEAD /healthz answered."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from caseflow import health_server
from caseflow.health_server import parse_address, start_health_server
from caseflow.settings import Settings


@pytest.fixture
async def serve():
    servers: list[asyncio.Server] = []

    async def start(check) -> str:
        server = await start_health_server("127.0.0.1:0", check)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_the_status_follows_the_check_from_one_probe_to_the_next(serve):
    healthy = True
    base = await serve(lambda: healthy)
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.get("/healthz")
        assert (r.status_code, r.text) == (200, "ok\n")
        assert r.headers["content-type"].startswith("text/plain")
        healthy = False
        r = await http.get("/healthz")
        assert (r.status_code, r.text) == (503, "unhealthy\n")
        healthy = True
        assert (await http.get("/healthz?probe=liveness")).status_code == 200


async def test_an_async_check_is_awaited(serve):
    state = {"ok": False}

    async def check() -> bool:
        await asyncio.sleep(0)
        return state["ok"]

    base = await serve(check)
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/healthz")).status_code == 503
        state["ok"] = True
        assert (await http.get("/healthz")).status_code == 200


async def test_a_check_that_raises_or_hangs_is_unhealthy(serve, monkeypatch):
    monkeypatch.setattr(health_server, "CHECK_TIMEOUT", 0.2)

    def broken() -> bool:
        raise RuntimeError("delivery task died")

    async def stuck() -> bool:
        await asyncio.sleep(30)
        return True

    for check in (broken, stuck):
        base = await serve(check)
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/healthz")).status_code == 503, check.__name__


async def test_head_answers_without_a_body_and_other_requests_are_refused(serve):
    base = await serve(lambda: True)
    async with httpx.AsyncClient(base_url=base) as http:
        head = await http.head("/healthz")
        assert head.status_code == 200 and head.content == b""
        assert (await http.get("/metrics")).status_code == 404
        assert (await http.post("/healthz")).status_code == 405


async def test_garbage_and_oversized_requests_get_400(serve):
    base = await serve(lambda: True)
    port = int(base.rsplit(":", 1)[1])
    for request in (b"nonsense\r\n\r\n", b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 10_000):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request + b"\r\n\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400 "), answer


@pytest.mark.parametrize(
    ("address", "expected"),
    [("0.0.0.0:8081", ("0.0.0.0", 8081)), ("[::]:8081", ("::", 8081))],
)
def test_addresses_parse(address, expected):
    assert parse_address(address) == expected


@pytest.mark.parametrize("address", ["8081", "host:", ":8081", "host:http", "host:70000"])
def test_bad_addresses_are_refused_with_the_expected_form(address):
    with pytest.raises(ValueError, match="0.0.0.0:8081"):
        parse_address(address)


def test_the_setting_is_off_unless_given(monkeypatch):
    assert Settings(_env_file=None).worker_health_address is None
    monkeypatch.setenv("CASEFLOW_WORKER_HEALTH_ADDRESS", "0.0.0.0:8081")
    assert Settings(_env_file=None).worker_health_address == "0.0.0.0:8081"
