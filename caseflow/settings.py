"""The one place configuration is read from (environment variables prefixed CASEFLOW_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from caseflow.claims import ClaimKeys
from caseflow.domain import HistoryLimits

# Where the API serves the Temporal UI when temporal_ui_upstream is set; the UI server must be
# started with this public path (api/routers/temporal_ui.py, `caseflow dev`).
TEMPORAL_UI_PATH = "/temporal"


class SettingError(ValueError):
    """A setting is missing or malformed: the process cannot start (the message says which)."""


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
    # How long the API keeps an idle client connection open. Longer than any client's or
    # proxy's own idle limit (httpx pools for 5 s, nginx upstreams 60 s): a server that closes
    # first can close a connection just as the client sends on it, and that request fails.
    api_keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # Where case pages link for "open in Temporal UI" (a UI on its own origin; the API's CORS
    # admits it on /codec). Ignored for links when the API serves the UI itself (below).
    temporal_ui_url: str | None = "http://127.0.0.1:8233"
    # The Temporal UI server the API serves at /temporal/ to signed-in supervisors and admins,
    # read-only (api/routers/temporal_ui.py), e.g. http://temporal-web:8080. The UI must run
    # with public path /temporal (TEMPORAL_UI_PUBLIC_PATH; the dev server's --ui-public-path).
    # Same origin as the pages, so the UI's codec calls carry the staff session. None = off.
    temporal_ui_upstream: str | None = None

    # Directory of extra/overriding policy files (<version>.toml); the packaged ones always load.
    policy_dir: Path | None = None
    # The version new cases pin; None = the highest version available.
    policy_version: str | None = None

    # How far back an intake channel may say the customer made contact (received_at).
    max_received_days: int = Field(default=7, ge=0, le=90)

    # Notes and descriptions are capped so no workflow payload nears Temporal's limits.
    max_text_chars: int = Field(default=4000, ge=100, le=100_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # A case continues as new (a fresh run carrying its exact state) before its history nears
    # Temporal's per-run limits: 51 200 events, 50 MB, 2 000 updates.
    history_max_events: int = Field(default=3000, ge=50, le=40_000)
    history_max_bytes: int = Field(default=3 * 1024 * 1024, ge=32 * 1024, le=40 * 1024 * 1024)
    history_max_updates: int = Field(default=1000, ge=5, le=1800)

    # How often each worker stores the readable history of its case runs that closed since
    # (caseflow/history/archiver.py); 0 = never (then Temporal's retention is all there is).
    history_archive_seconds: float = Field(default=10.0, ge=0, le=3600)

    # Records are kept at least 3 years (000 §4.2; complaint files at least 2, 附件一 §7.3),
    # counted in calendar years in the policy's zone, then anonymised by a Temporal Schedule.
    retention_years: int = Field(default=3, ge=3, le=30)
    # Create the report, retention and reconciler Schedules when the worker starts.
    schedules: bool = True
    # The reconciler compares the read model's open cases with Temporal's runs this often
    # (0 = no reconciler Schedule); a case Temporal knows nothing of counts as lost once it is
    # reconcile_grace_seconds old (a workflow started a moment ago may not be visible yet).
    reconcile_minutes: int = Field(default=5, ge=0, le=24 * 60)
    reconcile_grace_seconds: int = Field(default=300, ge=0, le=7 * 24 * 3600)

    # Customers served, for the complaint rate per 10 000 customers: one number for every
    # month, and per month where it changed ({"2026-11": 1250000}). Unset: no rate is shown.
    customer_base: int | None = Field(default=None, ge=1)
    customer_base_months: dict[str, int] = Field(default_factory=dict)

    # Evidence files (caseflow/attachments): largest accepted upload, and where the bytes live:
    # "postgres" (the read model's database) or "s3" (an S3-compatible bucket, below).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)
    attachment_store: str = Field(default="postgres", pattern="^(postgres|s3)$")
    attachment_s3_bucket: str | None = None
    attachment_s3_endpoint: str | None = None  # e.g. https://oss-cn-shanghai.aliyuncs.com
    attachment_s3_region: str | None = None
    attachment_s3_prefix: str = ""  # e.g. "caseflow/attachments/"
    attachment_s3_access_key_id: str | None = None
    attachment_s3_secret_access_key: str | None = Field(default=None, repr=False)

    # host:port where the worker exposes the Temporal SDK's Prometheus metrics (None = off).
    worker_metrics_address: str | None = None
    # Running cases a worker keeps in memory (the SDK's sticky cache). A case beyond it is
    # replayed from its history when its next task comes (a deadline, an action): more CPU at
    # an avalanche of deadlines, less memory (15–57 KiB of worker RSS per case in bench runs).
    worker_cached_cases: int = Field(default=1000, ge=1, le=100_000)

    # AES-256-GCM keys for Temporal payloads, "id:base64,id:base64" (first = active; keep old
    # ids listed to read older payloads). Unset = payloads are stored in clear.
    payload_keys: str | None = Field(default=None, repr=False)
    # HMAC keys the API signs actor claims with and the workers check them against, same form
    # as the payload keys (first = active). Required: without it the API and the workers do
    # not start. Never the payload keys: /codec encrypts for anyone signed in as staff.
    claim_keys: str | None = Field(default=None, repr=False)

    # Seconds the API remembers who a bearer token belongs to (0 = ask the database every
    # request): a deactivated user is refused at the latest this long after.
    auth_cache_seconds: float = Field(default=10.0, ge=0, le=3600)
    # Rate limits, counted in PostgreSQL so every API replica shares them (0 = off): actions
    # per caller per window; failed bearer tokens per client address and per token prefix.
    rate_limit_actions: int = Field(default=600, ge=0)
    rate_limit_actions_window: int = Field(default=60, ge=1, le=3600)
    rate_limit_auth_failures: int = Field(default=20, ge=0)
    rate_limit_auth_window: int = Field(default=300, ge=1, le=3600)
    # Readable-history reads (JSON, page, exports) per caller per window: each one fetches and
    # decodes every run of the case from Temporal, so a caller in a loop must not pin the API.
    rate_limit_history_reads: int = Field(default=60, ge=0)
    rate_limit_history_window: int = Field(default=60, ge=1, le=3600)
    # Notes one case takes; the next one is refused (409) so no caller can grow a case without
    # bound (0 = no cap).
    max_notes_per_case: int = Field(default=500, ge=0)
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

    # ---------------------------------------------------------------- the pages' sign-in
    # Where people reach the pages, e.g. https://caseflow.example.cn (scheme, host, port). The
    # Origin / Referer of every form post must be this origin; unset: the request's own Host.
    public_url: str | None = None
    # A page session ends this long after sign-in, or after this long without a request.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    session_idle_minutes: float = Field(default=120.0, gt=0, le=24 * 60)
    # Failed sign-ins: after this many in a row, a user name (resp. a client address: a call
    # centre's agents may share one) is blocked for sign_in_backoff_seconds, doubling with each
    # further failure up to sign_in_backoff_max_seconds; failures older than
    # sign_in_forget_seconds are forgotten.
    sign_in_max_failures: int = Field(default=5, ge=1, le=1000)
    sign_in_max_failures_per_address: int = Field(default=20, ge=1, le=100_000)
    sign_in_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    sign_in_backoff_max_seconds: float = Field(default=900.0, gt=0, le=24 * 3600)
    sign_in_forget_seconds: float = Field(default=900.0, gt=0, le=7 * 24 * 3600)
    # OpenID Connect single sign-on (off unless issuer and client id are set). The identity
    # provider's discovery document is read from <issuer>/.well-known/openid-configuration.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    # Registered at the provider; unset: <public_url or the request's origin>/login/oidc/callback.
    oidc_redirect_url: str | None = None
    oidc_scopes: str = "openid profile email"
    # The ID token claim that names the caseflow user: matched against users.id, or against
    # users.email when the claim is "email". Nobody is created by signing in.
    oidc_user_claim: str = "preferred_username"

    def claim_key_ring(self) -> ClaimKeys:
        """The claim keys, or a clear error naming the setting."""
        if not self.claim_keys:
            raise SettingError(
                "CASEFLOW_CLAIM_KEYS is not set: the API signs every actor claim it sends to "
                "Temporal and the workers refuse unsigned ones. Generate a key with "
                "`caseflow keys` and give the API and the workers the same setting "
                "(`caseflow dev` makes one in its data directory)."
            )
        try:
            return ClaimKeys.parse(self.claim_keys)
        except ValueError as exc:
            raise SettingError(f"CASEFLOW_CLAIM_KEYS: {exc}") from None

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def history_limits(self) -> HistoryLimits:
        return HistoryLimits(
            max_events=self.history_max_events,
            max_bytes=self.history_max_bytes,
            max_updates=self.history_max_updates,
        )

    # Notification delivery (caseflow/notify). With none of the gateways below configured,
    # every notification is only logged (`caseflow dev`); with any, each kind of address goes
    # to its own gateway and a kind without one fails permanently with a clear last_error.
    # E-mail through an SMTP relay (unset host = no e-mail gateway). Port: 587 / 465 / 25 by
    # security unless set; cafile: a private CA to trust instead of the system's.
    notify_smtp_host: str | None = None
    notify_smtp_port: int | None = Field(default=None, ge=1, le=65535)
    notify_smtp_security: str = Field(default="starttls", pattern="^(starttls|tls|none)$")
    notify_smtp_user: str | None = None
    notify_smtp_password: str | None = Field(default=None, repr=False)
    notify_smtp_cafile: str | None = None
    notify_email_from: str = "caseflow <noreply@localhost>"
    # SMS through Alibaba Cloud SMS (unset key = no SMS gateway). The default template takes
    # the text as its one ${content} variable; notify_sms_templates maps a caseflow template
    # name to an approved template of its own that takes the notification's parameters.
    notify_sms_access_key_id: str | None = None
    notify_sms_access_key_secret: str | None = Field(default=None, repr=False)
    notify_sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    notify_sms_sign_name: str = "caseflow"
    notify_sms_template_code: str | None = None
    notify_sms_templates: dict[str, str] = Field(default_factory=dict)
    # Staff group robots per department id, "*" for the rest, as JSON:
    # {"*": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"},
    #  "network_ops": {"kind": "dingtalk", "url": "...robot/send?access_token=T", "secret": "S"}}
    notify_robots: dict[str, dict[str, str]] = Field(default_factory=dict, repr=False)
    # Seconds one gateway request may take before it counts as failed (and is retried).
    notify_timeout: float = Field(default=10.0, gt=0, le=120)


@lru_cache
def get_settings() -> Settings:
    return Settings()
