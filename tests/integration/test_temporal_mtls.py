"""caseflow reaches a Temporal frontend that requires mutual TLS, as in production, through the
CASEFLOW_TEMPORAL_TLS_* settings, and is refused without its client certificate.

The dev server has no TLS, so the frontend here is the real dev server behind a TLS endpoint
that demands a client certificate from the test's CA (as the production frontend does) and
passes the decrypted gRPC stream through; the certificates are made for the test."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caseflow.settings import Settings
from caseflow.temporal import connect
from caseflow.temporal_tls import TLSSettingsError, temporal_tls

pytestmark = pytest.mark.integration
FRONTEND_NAME = "temporal-frontend.internal"  # the name in the frontend's certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, issuer_key, public_key, *, ca: bool, usage=None, sans=None):
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False),
            critical=True,
        )
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Authority:
    """A CA that writes PEM files of itself and of the certificates it signs."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _certificate(_name(name), _name(name), self.key, self.key.public_key(), ca=True)
        self.cert_path = self._write(
            f"{name}.crt", self.cert.public_bytes(serialization.Encoding.PEM)
        )

    def _write(self, filename: str, data: bytes) -> Path:
        path = self.folder / filename
        path.write_bytes(data)
        return path

    def issue(self, name: str, usage, sans=None) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(
            _name(name),
            self.cert.subject,
            self.key,
            key.public_key(),
            ca=False,
            usage=usage,
            sans=sans,
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return (
            self._write(f"{name}.crt", cert.public_bytes(serialization.Encoding.PEM)),
            self._write(f"{name}.key", key_pem),
        )


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    server_ca, client_ca = Authority(folder, "frontend-ca"), Authority(folder, "client-ca")
    server_cert, server_key = server_ca.issue(
        "frontend",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName(FRONTEND_NAME), x509.IPAddress(IPv4Address("127.0.0.1"))],
    )
    client_cert, client_key = client_ca.issue("caseflow", ExtendedKeyUsageOID.CLIENT_AUTH)
    stranger_cert, stranger_key = Authority(folder, "other-ca").issue(
        "stranger", ExtendedKeyUsageOID.CLIENT_AUTH
    )
    return {
        "server_ca": server_ca.cert_path,
        "client_ca": client_ca.cert_path,
        "server_cert": server_cert,
        "server_key": server_key,
        "client_cert": client_cert,
        "client_key": client_key,
        "stranger_cert": stranger_cert,
        "stranger_key": stranger_key,
    }


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest_asyncio.fixture(scope="module")
async def mtls_frontend(temporal_env, pki):
    """host:port of a TLS endpoint in front of the dev server that requires a client
    certificate signed by the client CA, and speaks HTTP/2 (gRPC) like a Temporal frontend."""
    upstream_host, upstream_port = temporal_env.client.service_client.config.target_host.rsplit(
        ":", 1
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server_cert"], pki["server_key"])
    context.load_verify_locations(pki["client_ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])

    async def handle(reader, writer):
        up_reader, up_writer = await asyncio.open_connection(upstream_host, int(upstream_port))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


def _settings(address: str, **tls) -> Settings:
    return Settings(_env_file=None, temporal_address=address, **tls)


async def test_caseflow_connects_with_its_client_certificate(mtls_frontend, pki):
    settings = _settings(
        mtls_frontend,
        temporal_tls_cert=pki["client_cert"],
        temporal_tls_key=pki["client_key"],
        temporal_tls_ca=pki["server_ca"],
        temporal_tls_server_name=FRONTEND_NAME,
    )
    client = await connect(settings)
    assert await client.service_client.check_health()
    # A real round trip through the frontend, not only the handshake.
    assert (await client.workflow_service.get_system_info(_system_info())).server_version


def _system_info():
    from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

    return GetSystemInfoRequest()


@pytest.mark.parametrize("who", ["no client certificate", "a certificate from another CA"])
async def test_the_frontend_refuses_caseflow_without_an_accepted_certificate(
    mtls_frontend, pki, who
):
    tls = {"temporal_tls_ca": pki["server_ca"], "temporal_tls_server_name": FRONTEND_NAME}
    if who != "no client certificate":
        tls |= {"temporal_tls_cert": pki["stranger_cert"], "temporal_tls_key": pki["stranger_key"]}
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(connect(_settings(mtls_frontend, **tls)), timeout=30)


async def test_a_frontend_certificate_from_an_unknown_ca_is_refused(mtls_frontend, pki):
    settings = _settings(
        mtls_frontend,
        temporal_tls_cert=pki["client_cert"],
        temporal_tls_key=pki["client_key"],
        temporal_tls_ca=pki["client_ca"],  # not the CA that signed the frontend's certificate
        temporal_tls_server_name=FRONTEND_NAME,
    )
    with pytest.raises(RuntimeError):
        await asyncio.wait_for(connect(settings), timeout=30)


def test_no_tls_setting_means_plaintext_and_half_a_key_pair_is_refused(pki, tmp_path):
    assert temporal_tls(_settings("127.0.0.1:7233")) is False
    with pytest.raises(TLSSettingsError, match="go together"):
        temporal_tls(_settings("x:7233", temporal_tls_cert=pki["client_cert"]))
    with pytest.raises(TLSSettingsError, match="CASEFLOW_TEMPORAL_TLS_CA: cannot read"):
        temporal_tls(_settings("x:7233", temporal_tls_ca=tmp_path / "missing.crt"))
    with pytest.raises(TLSSettingsError, match="plaintext"):
        temporal_tls(_settings("x:7233", temporal_tls_server_name=FRONTEND_NAME))
