"""TLS, and mutual TLS, from caseflow to the Temporal frontend.

The dev server speaks plaintext on 127.0.0.1. A production frontend sits on an internal
network and admits only clients with a certificate from its CA (docs/production.md): the
CASEFLOW_TEMPORAL_TLS_* settings name the PEM files, mounted from a Secret.
"""

from __future__ import annotations

from pathlib import Path

from temporalio.service import TLSConfig

from caseflow.settings import Settings


class TLSSettingsError(ValueError):
    """The TLS settings are incomplete or name a file that cannot be read."""


def _read(setting: str, path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TLSSettingsError(
            f"CASEFLOW_{setting.upper()}: cannot read {path}: {exc.strerror}"
        ) from exc


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """What `Client.connect(tls=...)` takes: False (plaintext) when no TLS file is set."""
    cert, key = settings.temporal_tls_cert, settings.temporal_tls_key
    if (cert is None) != (key is None):
        raise TLSSettingsError(
            "CASEFLOW_TEMPORAL_TLS_CERT and CASEFLOW_TEMPORAL_TLS_KEY go together: set both "
            "for mutual TLS, or neither"
        )
    if cert is None and settings.temporal_tls_ca is None:
        if settings.temporal_tls_server_name:
            raise TLSSettingsError(
                "CASEFLOW_TEMPORAL_TLS_SERVER_NAME needs CASEFLOW_TEMPORAL_TLS_CA (or a client "
                "certificate): without them the connection is plaintext"
            )
        return False
    return TLSConfig(
        server_root_ca_cert=_read("temporal_tls_ca", settings.temporal_tls_ca),
        client_cert=_read("temporal_tls_cert", cert),
        client_private_key=_read("temporal_tls_key", key),
        domain=settings.temporal_tls_server_name,
    )
