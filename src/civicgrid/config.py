"""Settings from ``CIVICGRID_*`` environment variables; the only reader of ``os.environ``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as ``CIVICGRID_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CIVICGRID_", extra="ignore")

    var_dir: Path = Field(default=PROJECT_ROOT / "var")
    database_url: str = ""
    # Reports and dashboards (the leader dashboard, assessment rankings/exports, insight reads)
    # read from this database, e.g. a PostgreSQL streaming replica, through read-only sessions;
    # empty = the primary (docs/operations.md).
    read_database_url: str = ""
    secret_key: str = ""
    field_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    # 等保 2.0 login-failure handling: after N failures from one client address that address
    # may not log in to that account for M minutes (the account itself is never locked by it).
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # API tokens expire after this many days (the longest lifetime a caller may ask for).
    token_days: int = Field(default=90, ge=1, le=3650)
    # Roles (comma-separated codes, e.g. "admin,leader") that must use TOTP two-factor login;
    # production sets it (docs/operations.md), the demo and tests leave it empty.
    totp_required_roles: str = ""
    session_hours: int = 12
    session_idle_minutes: int = 30
    cookie_secure: bool = False
    media_max_bytes: int = 8 * 1024 * 1024
    run_jobs_in_process: bool = True
    demo_seed: int = 42
    # Open311 GeoReport v2 server (docs/interop.md): the jurisdiction_id this endpoint serves
    # ("" = none) and whether clients must send it, discovery's contact and key-service texts,
    # the endpoint type (production/test) and the per-minute limit a new client key gets.
    open311_jurisdiction_id: str = ""
    open311_jurisdiction_required: bool = False
    open311_contact: str = ""
    open311_key_service: str = ""
    open311_endpoint_type: str = Field(default="production", pattern="^(production|test)$")
    open311_rate_limit: int = Field(default=60, ge=1, le=100_000)
    # Smart dispatch (DOMAIN §1.4): the accuracy automatic dispatch must reach (the model's
    # thresholds calibrated for it decide), and the unit confidence below which a person does.
    dispatch_auto_route_target_accuracy: float = Field(default=0.97, ge=0.8, le=0.995)
    dispatch_route_threshold: float = Field(default=0.8, ge=0, le=1)
    # Duplicate detection: open appeals within this many days and metres, with at least this
    # text similarity, are suggested; at or above auto_merge_at they may be merged unattended.
    dispatch_duplicate_days: int = Field(default=7, ge=1)
    dispatch_duplicate_metres: float = Field(default=300.0, gt=0)
    dispatch_duplicate_similarity: float = Field(default=0.35, ge=0, le=1)
    dispatch_auto_merge_at: float = Field(default=0.9, ge=0, le=1)
    # Automatic routing job: appeals received within these days, at most this many per run.
    dispatch_auto_route_days: int = Field(default=3, ge=1)
    dispatch_auto_route_batch: int = Field(default=200, ge=1)
    # Outbound events and their delivery from the outbox (docs/interop.md): tries per message
    # before it is dead-lettered, the first backoff and its cap (doubling, with jitter).
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_backoff_seconds: float = Field(default=30.0, gt=0)
    outbox_backoff_cap_seconds: float = Field(default=6 * 3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # RabbitMQ sink: off while empty, e.g. amqp://guest:guest@127.0.0.1:5672/%2F
    amqp_url: str = ""
    amqp_exchange: str = "civicgrid.events"
    # Delivered event, webhook, broker and notice messages are deleted after this many days
    # (waiting and dead-lettered ones never).
    outbox_retention_days: int = Field(default=90, ge=1)
    # Notices to people (docs/interop.md): at most this many per phone/e-mail address per
    # (Beijing) day; an SMS gateway described by configuration (empty url = no SMS); SMTP
    # (empty host = no e-mail).
    notice_daily_cap: int = Field(default=5, ge=1, le=100)
    sms_gateway_url: str = ""
    sms_gateway_body: str = (
        '{"phone": "{phone}", "sign_name": "{sign_name}", "template_id": "{template_id}",'
        ' "params": "{params}"}'
    )
    sms_gateway_token: str = ""
    sms_gateway_secret: str = ""
    sms_gateway_signature_header: str = "X-Signature"
    sms_gateway_timestamp_header: str = "X-Timestamp"
    sms_sign_name: str = ""
    sms_templates: dict[str, str] = Field(default_factory=dict)
    sms_param_names: dict[str, str] = Field(default_factory=dict)
    sms_success_field: str = ""
    sms_success_value: str = ""
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_sender: str = "civicgrid@localhost"
    # Request protection (civicgrid.protect): limits in the `limits` notation, several joined by
    # ";". Counters live in the database unless redis_url is set (then in Redis).
    throttle_enabled: bool = True
    throttle_login_ip: str = "20/minute;200/hour"
    throttle_login_account: str = "10/minute;50/hour"
    throttle_tracking_ip: str = "20/minute;200/hour"
    throttle_rating_ip: str = "20/minute"
    throttle_intake: str = "60/minute"
    redis_url: str = ""
    idempotency_hours: int = Field(default=24, ge=1)
    # Seconds a client is told to wait (Retry-After) while the database is unreachable.
    outage_retry_after_s: int = Field(default=10, ge=1)
    # Basemap under the labelled grid polygons of every map (docs/operations.md): a Leaflet
    # tile URL template with {z}/{x}/{y} (and {s} for subdomains), e.g. a city's own or a
    # licensed 天地图 service with its key; empty = no tiles are requested (offline default).
    map_tile_url: str = Field(
        default="", pattern=r"^$|^https?://[^\s\"'<>/]+/[^\s\"'<>]*$", max_length=1000
    )
    map_tile_attribution: str = Field(default="", max_length=300)
    map_tile_subdomains: str = Field(default="abc", pattern=r"^[0-9A-Za-z]*$", max_length=20)

    @property
    def totp_roles(self) -> frozenset[str]:
        """The role codes of ``totp_required_roles``."""
        return frozenset(r.strip() for r in self.totp_required_roles.split(",") if r.strip())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'civicgrid.db'}"

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def models_dir(self) -> Path:
        return self.var_dir / "models"

    def resolved_secret_key(self) -> str:
        """The signing key; generated once into ``var/secret.key`` when not configured."""
        if self.secret_key:
            return self.secret_key
        return _persisted_key(self.var_dir / "secret.key", lambda: secrets.token_urlsafe(48))

    def resolved_field_key(self) -> str:
        """The Fernet key for encrypted personal-data columns."""
        if self.field_key:
            return self.field_key
        return _persisted_key(
            self.var_dir / "field.key", lambda: Fernet.generate_key().decode("ascii")
        )


def _persisted_key(path: Path, make: object) -> str:
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    assert callable(make)
    value = str(make())
    path.write_text(value, encoding="ascii")
    path.chmod(0o600)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
