"""The API keeps an idle connection open longer than clients pool one. A server that closes
first can close a connection just as a client sends on it: that request fails with no answer
(seen as an httpx ReadError), though nothing was wrong with it."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """One GET /healthz on an open connection; its status line (b"" if the server closed it)."""
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: caseflow\r\n\r\n")
    await writer.drain()
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def test_an_idle_connection_outlives_a_clients_pool(stack):
    url = urlsplit(stack["base"])
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        assert (await _get(reader, writer)).startswith(b"HTTP/1.1 200")
        # Idle past httpx's pool expiry (5 s, also uvicorn's own default keep-alive): the
        # connection the client still holds must still be open.
        await asyncio.sleep(httpx.Limits().keepalive_expiry + 1)
        assert (await _get(reader, writer)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
