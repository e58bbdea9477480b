"""Settings of the API layer (login tokens, access, limits), from ``COOPLEDGER_*`` variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """What the HTTP and GraphQL API read besides the ledger's own settings.

    ``COOPLEDGER_DEV=1`` serves GraphiQL; ``COOPLEDGER_PRIVATE_LOG=1`` restricts the log,
    checkpoints and everything derived from them to members and registered auditors;
    ``COOPLEDGER_TOKEN_SECRET`` (base64, 32 bytes or more) signs login tokens, else the
    ``api.secret`` file in the data directory does (created on first use, mode 0600).
    ``COOPLEDGER_TILE_CACHE_BYTES`` bounds the tiles kept in memory (0: none).
    ``COOPLEDGER_WITNESS_*`` tune the pushes to the configured witnesses: the time a witness
    has to answer, the longest wait between tries when it is down, how often the latest
    checkpoint is looked for besides this process's own commits, and the pause after each
    push (checkpoints made meanwhile go in the next one).
    """

    model_config = SettingsConfigDict(env_prefix="COOPLEDGER_", extra="ignore")

    dev: bool = False
    private_log: bool = False
    token_secret: SecretStr | None = None
    token_ttl_seconds: int = Field(default=900, gt=0, le=86_400)
    challenge_ttl_seconds: int = Field(default=120, gt=0, le=3600)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    request_seconds: float = Field(default=30.0, gt=0)
    mutation_rate: float = Field(default=20.0, gt=0)
    mutation_burst: int = Field(default=60, ge=1)
    max_depth: int = Field(default=12, ge=2)
    max_tokens: int = Field(default=2000, ge=50)
    max_aliases: int = Field(default=20, ge=0)
    max_cost: int = Field(default=20_000, ge=100)
    poll_seconds: float = Field(default=0.25, gt=0)
    tile_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    witness_timeout_seconds: float = Field(default=10.0, gt=0)
    witness_backoff_max_seconds: float = Field(default=60.0, gt=0)
    witness_poll_seconds: float = Field(default=5.0, gt=0)
    witness_interval_seconds: float = Field(default=0.5, ge=0)
