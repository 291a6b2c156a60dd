"""Settings from the environment (prefix ``HUOKE_``). Built on demand; nothing is read at import."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from huoke.platform.errors import ConfigurationError

Profile = Literal["dev", "demo", "prod"]

# Publicly known keys for the dev and demo profiles only. Production refuses to start with them.
DEV_ENCRYPTION_KEYS = "dev1:ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="
DEV_BLIND_INDEX_KEY = "ZGV2LW9ubHktYmxpbmQtaW5kZXgta2V5LTMyYnl0ZXM="
KEY_BYTES = 32


class Settings(BaseSettings):
    """Everything huoke needs to know about where it runs. See docs/security.md for the keys."""

    model_config = SettingsConfigDict(env_prefix="HUOKE_", extra="ignore")

    data_dir: Path = Path("huoke-data")
    database_url: str | None = None
    profile: Profile = "prod"
    time_zone: str = "Asia/Shanghai"
    encryption_keys: str | None = Field(
        default=None, description="comma-separated KEY_ID:BASE64 (32 bytes each); the first one encrypts"
    )
    blind_index_key: str | None = Field(default=None, description="BASE64 of 32 bytes for HMAC-SHA256")
    import_chunk_size: int = Field(default=2000, ge=1, le=100_000)
    max_field_length: int = Field(default=512, ge=16)
    sql_echo: bool = False
    # lake and query engine (docs/lake.md)
    lake_url: str | None = Field(default=None, description="lake root; default <data-dir>/lake")
    query_backend: Literal["duckdb", "pyspark", "postgres"] = "duckdb"
    spark_master: str = Field(default="local[2]", description="Spark master URL for query_backend=pyspark")
    query_database_url: str | None = Field(
        default=None, description="PostgreSQL with lake-shaped tables (query_backend=postgres); default database_url"
    )
    query_schema: str = Field(
        default="huoke_lake", pattern=r"^[a-z_][a-z0-9_]{0,62}$", description="their schema (query_backend=postgres)"
    )
    # live ingestion (docs/events.md)
    ingest_max_items: int = Field(default=1000, ge=1, le=100_000)
    ingest_max_bytes: int = Field(default=1_048_576, ge=1024)
    event_max_future_skew_seconds: int = Field(default=300, ge=0)
    live_retention_days: int = Field(
        default=90, ge=1, description="live rows already in the lake are removed from the store after this many days"
    )
    # durable work queue (docs/work-queue.md)
    worker_batch_size: int = Field(default=200, ge=1, le=10_000)
    worker_lease_seconds: int = Field(default=60, ge=1)
    worker_max_attempts: int = Field(default=8, ge=1)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    # tags (docs/tags.md)
    tag_thresholds_file: Path | None = Field(
        default=None, description="TOML file of computed-tag thresholds; default <data-dir>/tags.toml when present"
    )
    # messaging (docs/messaging.md)
    channels_file: Path | None = Field(
        default=None, description="TOML file of channel providers; default <data-dir>/channels.toml when present"
    )
    policy_file: Path | None = Field(
        default=None, description="TOML file of the contact policy; default <data-dir>/policy.toml when present"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="where customers reach tracked links and unsubscribe pages"
    )
    dispatch_batch_size: int = Field(default=500, ge=1, le=10_000)
    dispatch_lease_seconds: int = Field(default=120, ge=5)
    dispatch_max_attempts: int = Field(default=6, ge=1)
    dispatch_retry_base_seconds: float = Field(default=30.0, gt=0)
    dispatch_retry_cap_seconds: float = Field(default=3600.0, gt=0)
    message_max_age_hours: int = Field(
        default=72, ge=1, description="a marketing message not sent this long after enqueueing expires"
    )

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the operational store."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'huoke.db').resolve()}"

    @property
    def lake_root(self) -> str:
        """Where the Parquet lake lives: a local path or an fsspec URL."""
        return self.lake_url or str((self.data_dir / "lake").resolve())

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def keyring(self) -> tuple[str, dict[str, bytes], bytes]:
        """(active key id, all encryption keys by id, blind index key); refuses unsafe keys in prod."""
        enc = self.encryption_keys
        bidx = self.blind_index_key
        if self.profile == "prod":
            _refuse_missing_or_dev(enc, bidx)
        keys = _parse_keys(enc or DEV_ENCRYPTION_KEYS)
        active = next(iter(keys))
        return active, keys, _decode_key("HUOKE_BLIND_INDEX_KEY", bidx or DEV_BLIND_INDEX_KEY)


def _refuse_missing_or_dev(enc: str | None, bidx: str | None) -> None:
    if not enc or not bidx:
        raise ConfigurationError(
            "HUOKE_ENCRYPTION_KEYS and HUOKE_BLIND_INDEX_KEY must be set in the prod profile; "
            "generate them with `huoke keys generate`, or set HUOKE_PROFILE=dev for a trial",
            code="missing_secret_keys",
        )
    if DEV_ENCRYPTION_KEYS.split(":")[1] in enc or bidx == DEV_BLIND_INDEX_KEY:
        raise ConfigurationError(
            "the built-in development keys may not be used in the prod profile; generate new ones with "
            "`huoke keys generate`",
            code="default_secret_keys",
        )


def _parse_keys(spec: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        kid, sep, value = part.partition(":")
        if not sep or not kid:
            raise ConfigurationError(
                f"HUOKE_ENCRYPTION_KEYS entry {part[:12]!r}… is not KEY_ID:BASE64", code="bad_secret_keys"
            )
        keys[kid] = _decode_key(f"HUOKE_ENCRYPTION_KEYS[{kid}]", value)
    if not keys:
        raise ConfigurationError("HUOKE_ENCRYPTION_KEYS names no key", code="bad_secret_keys")
    return keys


def _decode_key(name: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"{name} is not valid base64", code="bad_secret_keys") from exc
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(f"{name} must decode to {KEY_BYTES} bytes, not {len(raw)}", code="bad_secret_keys")
    return raw
