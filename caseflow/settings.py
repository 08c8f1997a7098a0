"""The one place configuration is read from (environment variables prefixed CASEFLOW_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow.domain import HistoryLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", env_file=".env", extra="ignore")

    # Where `caseflow dev` keeps the embedded Temporal database and PostgreSQL data.
    data_dir: Path = Path(".caseflow")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "caseflow"
    # The time-skipping test server cannot index custom search attributes; everything else can.
    search_attributes: bool = True

    # SQLAlchemy URL, e.g. postgresql+asyncpg://caseflow:secret@db:5432/caseflow
    database_url: str = "postgresql+asyncpg://postgres@/postgres?host=/tmp"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_ui_url: str | None = "http://127.0.0.1:8233"

    # Directory of extra/overriding policy files (<version>.toml); the packaged ones always load.
    policy_dir: Path | None = None
    # The version new cases pin; None = the highest version available.
    policy_version: str | None = None

    # Notes and descriptions are capped so no workflow payload nears Temporal's limits.
    max_text_chars: int = Field(default=4000, ge=100, le=100_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # A case continues as new (a fresh run carrying its exact state) before its history nears
    # Temporal's per-run limits: 51 200 events, 50 MB, 2 000 updates.
    history_max_events: int = Field(default=3000, ge=50, le=40_000)
    history_max_bytes: int = Field(default=3 * 1024 * 1024, ge=32 * 1024, le=40 * 1024 * 1024)
    history_max_updates: int = Field(default=1000, ge=5, le=1800)

    # Records are kept at least 3 years (规范 §4.2), then anonymised by a Temporal Schedule.
    retention_days: int = Field(default=3 * 365, ge=1)
    # Create the report and retention Schedules when the worker starts.
    schedules: bool = True

    # host:port where the worker exposes the Temporal SDK's Prometheus metrics (None = off).
    worker_metrics_address: str | None = None

    # AES-256-GCM keys for Temporal payloads, "id:base64,id:base64" (first = active; keep old
    # ids listed to read older payloads). Unset = payloads are stored in clear.
    payload_keys: str | None = Field(default=None, repr=False)

    # Seconds the API remembers who a bearer token belongs to (0 = ask the database every
    # request): a deactivated user is refused at the latest this long after.
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=3600)
    # Case numbers drawn from the database this many at a time by each API process.
    case_number_block: int = Field(default=20, ge=1, le=1000)

    log_level: str = "INFO"
    log_json: bool = False

    # host:port where the worker answers GET /healthz for liveness probes (None = off).
    worker_health_address: str | None = None

    # mTLS to the Temporal frontend (production; the dev server has no TLS): PEM files of this
    # client's certificate and key, and of the CA that signed the frontend's certificate
    # (unset = the system's roots). Any of the three set turns TLS on.
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    # The name in the frontend's certificate, when the host in temporal_address differs.
    temporal_tls_server_name: str | None = None

    def history_limits(self) -> HistoryLimits:
        return HistoryLimits(
            max_events=self.history_max_events,
            max_bytes=self.history_max_bytes,
            max_updates=self.history_max_updates,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
