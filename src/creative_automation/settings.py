"""The one settings object (env prefix CAP_); the only place the environment is read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

OutputFormat = Literal["jpeg", "png"]


class Settings(BaseSettings):
    """Validated at start-up; built once and passed down (never read at import time)."""

    model_config = SettingsConfigDict(env_prefix="CAP_", extra="ignore")

    data_dir: Path = Field(Path(".cap"), description="Everything kept between runs (caches, DBs).")
    output_dir: Path = Field(Path("output"), description="Where campaigns are written.")
    # JPEG by default: a tenth of PNG's size and encode time for photographic creatives, within
    # every platform's file-size limit; q90 with 4:4:4 chroma keeps text edges crisp.
    output_format: OutputFormat = "jpeg"
    jpeg_quality: int = Field(90, ge=50, le=100)
    seed: int | None = Field(None, ge=0, description="Overrides the brief's generation seed.")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    max_asset_pixels: int = Field(40_000_000, ge=1_000_000)
    generation_size: int = Field(
        1024, ge=256, le=4096, description="Long side of generated sources."
    )

    # --- GenAI providers (issue 3). Keys use the providers' own variable names. ---
    image_providers: str | None = Field(
        None,
        description="Fallback order, e.g. 'openai,stability,procedural'; default: every "
        "provider whose credentials are set, then procedural.",
    )
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_image_model: str = "gpt-image-1"
    openai_image_quality: str = "medium"
    openai_text_model: str = "gpt-4.1-mini"
    stability_api_key: SecretStr | None = Field(None, validation_alias="STABILITY_API_KEY")
    stability_base_url: str = "https://api.stability.ai"
    stability_model: str = "core"
    firefly_client_id: SecretStr | None = Field(None, validation_alias="FIREFLY_CLIENT_ID")
    firefly_client_secret: SecretStr | None = Field(None, validation_alias="FIREFLY_CLIENT_SECRET")
    firefly_base_url: str = "https://firefly-api.adobe.io"
    firefly_ims_url: str = "https://ims-na1.adobelogin.com"
    firefly_model: str = "image4_standard"
    provider_timeout_s: float = Field(120.0, gt=0)
    generation_policy: Literal["once", "native"] = Field(
        "once",
        description="once: one square source per product, cropped/extended to every format "
        "(cheapest); native: one generation per format family at its aspect (better "
        "composition, more calls).",
    )
    alt_text: Literal["auto", "brief"] = Field(
        "auto",
        description="auto: written by the text provider when one is set; brief: from the "
        "product name and message.",
    )
    provider_concurrency: int = Field(
        8, ge=1, le=1024, description="Calls in flight to one provider, per process."
    )
    provider_rpm: int = Field(
        60,
        ge=1,
        description="Requests per minute to one provider: per process, or for the whole "
        "deployment when CAP_REDIS_URL is set. Set it to your account's limit.",
    )
    router_policy: Literal["balanced", "cheapest", "fastest", "quality", "fixed"] = "balanced"
    quality_threshold: float | None = Field(0.45, ge=0, le=1, description="None: gate off.")
    campaign_budget_usd: float | None = Field(None, ge=0, description="Per-campaign spend cap.")
    redis_url: str | None = None

    # --- metadata store (issue 4) ---
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the metadata store: sqlite:///path or "
        "postgresql://user@host/db; default: SQLite at <data_dir>/cap.db.",
    )

    # --- API (issue 4) ---
    rate_limit: str = Field(
        "120/minute",
        description="Requests per API key, moving window ('120/minute', '10/second'); in "
        "memory per process, or shared in Redis when CAP_REDIS_URL is set.",
    )
    max_request_bytes: int = Field(
        50 * 2**20, ge=1024, description="Largest request body, uploads included (413 above)."
    )
    max_upload_bytes: int = Field(
        20 * 2**20, ge=1024, description="Largest single uploaded asset or font file."
    )
    max_upload_files: int = Field(50, ge=0, le=1000, description="Files per upload.")
    max_brief_bytes: int = Field(2**20, ge=1024, description="Largest brief text.")
    max_products: int = Field(50, ge=1, description="Products per campaign.")
    max_locales: int = Field(50, ge=1, description="Locales per campaign.")
    max_formats: int = Field(10, ge=1, description="Formats per campaign.")
    max_creatives: int = Field(
        500, ge=1, description="Creatives per campaign (products × formats × locales)."
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="HMAC-SHA256 key signing every webhook (X-Cap-Signature); without it "
        "webhooks are not sent.",
    )
    webhook_max_attempts: int = Field(8, ge=1, le=50, description="Attempts per webhook.")
    webhook_backoff_s: float = Field(
        10.0, gt=0, description="Wait before the second attempt; doubles after each."
    )
    webhook_backoff_max_s: float = Field(3600.0, gt=0, description="Longest wait between tries.")
    webhook_timeout_s: float = Field(10.0, gt=0, description="Per webhook request.")
    webhook_allow_private: bool = Field(
        False,
        description="Let webhooks reach loopback, private and link-local addresses (a "
        "receiver inside your own network). Off: a webhook URL cannot make a worker probe the "
        "network it runs in.",
    )

    # --- compliance (issue 5) ---
    c2pa_cert: str | None = Field(
        None,
        description="Content Credentials signing chain: a PEM file path or the PEM text (leaf "
        "first, issued by a CA, emailProtection usage); without it and CAP_C2PA_KEY a local "
        "development CA signs, and manifests and reports say so.",
    )
    c2pa_key: SecretStr | None = Field(
        None, description="The signing key of CAP_C2PA_CERT: a PEM file path or the PEM text."
    )
    readback: Literal["on", "off"] = Field(
        "on",
        description="OCR read-back of every creative's copy (Tesseract): on, beside the "
        "rendering; off: reported as skipped.",
    )

    # --- monitoring agent (issue 6) ---
    agent_inbox: str | None = Field(
        None,
        description="Folder (watched) or fsspec URL (polled) where briefs are dropped for "
        "`cap agent`; default: <data_dir>/inbox.",
    )
    agent_poll_s: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="How often `cap agent` polls a URL inbox and checks campaigns.",
    )
    agent_rules: Path | None = Field(
        None,
        description="YAML file of alert-rule thresholds (see README); default: the built-in "
        "thresholds.",
    )
    alert_webhook_url: str | None = Field(
        None, description="Slack-compatible incoming webhook that alerts are posted to."
    )
    smtp_host: str | None = Field(None, description="Mail server for alert and update emails.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = Field(None, description="From address of alert and update emails.")
    smtp_timeout_s: float = Field(10.0, gt=0)
    smtp_ca_file: Path | None = Field(
        None,
        description="PEM CA bundle trusted for STARTTLS (a private mail relay); default: the "
        "system store.",
    )
    alert_email_to: str | None = Field(
        None, description="Comma-separated addresses that alert emails go to."
    )

    # --- web UI (issue 7): a client of the HTTP API ---
    api_url: str = Field(
        "http://127.0.0.1:8000", description="The HTTP API that `cap ui` talks to."
    )
    api_key: SecretStr | None = Field(
        None, description="The API key `cap ui` sends (write scope to submit and review)."
    )
    ui_examples: Path = Field(
        Path("examples"),
        description="Folder of the example brief that the UI's Submit page starts from.",
    )
    ui_refresh_s: float = Field(
        3.0, gt=0, le=600, description="How often the UI refreshes while campaigns run."
    )

    @field_validator("rate_limit")
    @classmethod
    def _known_rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '120/minute'") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _real_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # a guessable key signs nothing: refused at start-up rather than trusted by receivers
        if value is not None:
            secret = value.get_secret_value()
            if len(secret) < 16 or len(set(secret)) < 8:
                raise ValueError("use at least 16 random characters (e.g. openssl rand -hex 32)")
        return value

    # --- service (issue 4) ---
    queue: Literal["sqlite", "redis", "immediate"] | None = Field(
        None,
        description="Job queue backend; default: redis when CAP_REDIS_URL is set, else a SQLite "
        "file in the data dir. immediate runs each job as it is submitted (tests).",
    )
    queue_name: str = Field(
        "cap",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="The queue's name: environments sharing one Redis keep their jobs apart.",
    )
    storage_url: str | None = Field(
        None,
        description="Where the service keeps finished campaigns: a folder or any fsspec URL "
        "(s3://bucket/prefix); default: <data_dir>/outputs.",
    )

    lease_s: float = Field(
        60.0,
        ge=1,
        description="A worker heartbeats every quarter of this; one silent for this long is "
        "presumed dead and its campaign is requeued (resumed from its checkpoints).",
    )
    render_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="Threads of a service worker process that render creatives, shared by "
        "all its campaigns (which wait on their providers meanwhile). One per process keeps "
        "a core busy without campaigns contending for it: scale with worker processes.",
    )

    @property
    def outputs_url(self) -> str:
        """CAP_STORAGE_URL, else the outputs folder in the data dir."""
        return self.storage_url or str((self.data_dir / "outputs").resolve())

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str | None) -> str | None:
        return None if url is None else normalise_database_url(url)

    @property
    def metadata_url(self) -> str:
        """The metadata store's URL: CAP_DATABASE_URL, else the SQLite file in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'cap.db'}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgresql://, postgres://) and pin the psycopg 3 driver;
    anything but SQLite or PostgreSQL is refused here rather than at first use."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("not a database URL (expected sqlite:///… or postgresql://…)")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return f"sqlite://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite:///… or postgresql://…")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides (CLI flags); errors are ours."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"  - CAP_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(["invalid settings", *lines])) from None
