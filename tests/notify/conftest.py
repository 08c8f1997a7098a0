"""Real local stand-ins for the gateways: an aiosmtpd SMTP server (STARTTLS or implicit TLS,
with login) and an aiohttp server that records every request and answers as scripted, for the
SMS provider's endpoint and the WeCom / DingTalk robots."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
import time
import warnings
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER, SMTP_PASSWORD = "caseflow", "s3cret-relay"


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1: the client trusts it as its CA file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = TlsFiles(folder / "cert.pem", folder / "key.pem")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class SmtpSink:
    """aiosmtpd handler: keeps every accepted message; answers RCPT for listed addresses with
    the listed reply (e.g. "550 ..." or "450 ...")."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message, tls, login)
        )
        return "250 Message accepted"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    # handled=False: aiosmtpd itself answers 535 on a failure (handled=True would answer nothing)
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


async def start_smtp(sink: SmtpSink, tls_files: TlsFiles, mode: str) -> asyncio.Server:
    """Serve `sink` on a free port: "starttls" (STARTTLS and login required) or "tls"
    (implicit TLS, login required)."""
    context = tls_files.server_context()

    def protocol() -> SMTP:
        with warnings.catch_warnings():  # "AUTH without TLS": the socket is TLS (mode "tls")
            warnings.simplefilter("ignore", UserWarning)
            return _smtp(sink, context, mode)

    server = await asyncio.get_running_loop().create_server(
        protocol, "127.0.0.1", 0, ssl=context if mode == "tls" else None
    )
    sink.port = server.sockets[0].getsockname()[1]
    return server


def _smtp(sink: SmtpSink, context: ssl.SSLContext, mode: str) -> SMTP:
    return SMTP(
        sink,
        hostname="smtp.test",
        tls_context=context if mode == "starttls" else None,
        require_starttls=mode == "starttls",
        auth_required=True,
        # aiosmtpd only counts STARTTLS as TLS for AUTH; the implicit-TLS socket is TLS
        # from its first byte (the test asserts the session's TLS either way).
        auth_require_tls=mode == "starttls",
        authenticator=_authenticate,
    )


@pytest_asyncio.fixture
async def smtp_sink(tls_files):
    sink = SmtpSink()
    server = await start_smtp(sink, tls_files, "starttls")
    yield sink
    server.close()
    await server.wait_closed()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Gateway:
    """A local HTTP server standing in for a provider: records every request and answers each
    path from its script (status, JSON or text, optional delay) before the path's default."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    scripts: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[str, tuple] = field(default_factory=dict)

    def script(self, path: str, *answers: tuple) -> None:
        self.scripts[path].extend(answers)

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Request(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                await request.read(),
                time.monotonic(),
            )
        )
        queued = self.scripts[request.path]
        status, answer, *delay = (
            queued.popleft() if queued else self.defaults.get(request.path, (200, {}))
        )
        if delay:
            await asyncio.sleep(delay[0])
        if isinstance(answer, str):
            return web.Response(status=status, text=answer)
        return web.json_response(answer, status=status)


@pytest_asyncio.fixture
async def gateway():
    gw = Gateway()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", gw.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    gw.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield gw
    await runner.cleanup()
