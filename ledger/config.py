"""A ledger's data directory (config file, key files, SQLite file) and its settings.

Layout of ``DIR``::

    coopledger.json   {"origin": ..., "database_url": null, "witnesses": [{"url", "key"}],
                       "witness_quorum": K} (the witnesses optional: ``ledger.witnessing``)
    log.key           the log's C2SP note signing key (name = origin), mode 0600
    steward.key       the first steward's Ed25519 member key, mode 0600
    ledger.db         the SQLite database, used when no database URL is configured

Settings come from the environment with the prefix ``COOPLEDGER_``: ``COOPLEDGER_DATA``,
``COOPLEDGER_DATABASE_URL`` (overrides the file's ``database_url``), ``COOPLEDGER_LOG_KEY``
(the log key's ``PRIVATE+KEY+...`` string instead of ``log.key``), ``COOPLEDGER_STEWARD_KEY``
(the steward's base64 seed instead of ``steward.key``) and ``COOPLEDGER_WINDOW_SECONDS``.
Secrets are held as ``SecretStr`` and never logged or printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.atomic import write_atomically
from ledger.checkpoint import Checkpoint
from ledger.encoding import b64decode
from ledger.errors import InvalidCheckpointError, KeyFileError, LedgerError
from ledger.keys import read_log_key, read_member_key, write_log_key, write_member_key
from ledger.merkle import EMPTY_ROOT
from ledger.note import NoteSigner, NoteVerifier, is_valid_key_name
from ledger.signing import Keypair
from ledger.sql import sqlite_url
from ledger.witnessing import WitnessConfigError, WitnessPolicy

CONFIG_FILE = "coopledger.json"
LOG_KEY_FILE = "log.key"
STEWARD_KEY_FILE = "steward.key"
DATABASE_FILE = "ledger.db"
DEFAULT_ORIGIN = "coopledger.example/log"
DEFAULT_STEWARD_ID = "steward"


class ConfigError(LedgerError):
    """The data directory or settings are missing, malformed or would be overwritten."""


class Settings(BaseSettings):
    """Settings read from ``COOPLEDGER_*`` environment variables (or given directly)."""

    model_config = SettingsConfigDict(env_prefix="COOPLEDGER_", extra="ignore")

    data: Path | None = None
    database_url: str | None = None
    log_key: SecretStr | None = None
    steward_key: SecretStr | None = None
    window_seconds: int = Field(default=600, gt=0)


@dataclass(frozen=True)
class DataDir:
    """The paths inside one ledger's data directory."""

    root: Path

    @property
    def config_file(self) -> Path:
        """``coopledger.json``."""
        return self.root / CONFIG_FILE

    @property
    def log_key_file(self) -> Path:
        """``log.key``."""
        return self.root / LOG_KEY_FILE

    @property
    def steward_key_file(self) -> Path:
        """``steward.key``."""
        return self.root / STEWARD_KEY_FILE

    @property
    def database_file(self) -> Path:
        """``ledger.db``."""
        return self.root / DATABASE_FILE

    def exists(self) -> bool:
        """Whether a ledger was initialised here (its config file exists)."""
        return self.config_file.is_file()


@dataclass(frozen=True, repr=False)
class LedgerConfig:
    """Everything needed to open one ledger: resolved from a data directory and settings."""

    data: DataDir
    origin: str
    database_url: str
    log_signer: NoteSigner
    window: timedelta
    steward_seed: SecretStr | None = None
    witnesses: WitnessPolicy = field(default_factory=WitnessPolicy)

    @property
    def log_verifier(self) -> NoteVerifier:
        """The log's public note key."""
        return self.log_signer.verifier

    def steward(self) -> Keypair:
        """The steward's key, from ``COOPLEDGER_STEWARD_KEY`` or ``steward.key``."""
        if self.steward_seed is not None:
            try:
                seed = b64decode(self.steward_seed.get_secret_value(), length=32, what="seed")
            except LedgerError as e:
                raise KeyFileError("COOPLEDGER_STEWARD_KEY is not a base64 32-byte seed") from e
            return Keypair(seed)
        keypair, _ = read_member_key(self.data.steward_key_file)
        return keypair

    def __repr__(self) -> str:
        return f"LedgerConfig(data={self.data.root}, origin={self.origin!r})"


def check_origin(origin: str) -> str:
    """Refuse an origin that cannot name a note key or head a checkpoint."""
    if not is_valid_key_name(origin):
        raise ConfigError(f"origin {origin!r} must be non-empty, without spaces or '+'")
    try:
        Checkpoint(origin=origin, size=0, root=EMPTY_ROOT)
    except InvalidCheckpointError as e:
        raise ConfigError(f"origin {origin!r} cannot head a checkpoint: {e}") from e
    return origin


def data_dir(settings: Settings) -> DataDir:
    """The data directory named by the settings; raises ``ConfigError`` if none is."""
    if settings.data is None:
        raise ConfigError("no data directory: pass --data DIR or set COOPLEDGER_DATA")
    return DataDir(settings.data)


def database_url(data: DataDir, settings: Settings, from_file: str | None = None) -> str:
    """The database URL: the environment's, else the config file's, else ``ledger.db``."""
    return settings.database_url or from_file or sqlite_url(data.database_file)


def load_config(settings: Settings) -> LedgerConfig:
    """Resolve the configuration of an initialised data directory.

    Raises ``ConfigError`` when the directory or its config file is missing or malformed,
    and ``KeyFileError`` for a missing, malformed or too open log key.
    """
    data = data_dir(settings)
    document = _read_config_file(data)
    origin = check_origin(_field(document, "origin", data))
    return LedgerConfig(
        data=data,
        origin=origin,
        database_url=database_url(data, settings, document.get("database_url")),
        log_signer=_log_signer(data, settings, origin),
        window=timedelta(seconds=settings.window_seconds),
        steward_seed=settings.steward_key,
        witnesses=_witnesses(document, data),
    )


def _witnesses(document: dict[str, Any], data: DataDir) -> WitnessPolicy:
    try:
        return WitnessPolicy.from_json(document)
    except WitnessConfigError as e:
        raise ConfigError(f"{data.config_file}: {e}") from e


def _read_config_file(data: DataDir) -> dict[str, Any]:
    if not data.root.is_dir():
        raise ConfigError(f"no data directory at {data.root}; run coopledger init --data DIR")
    if not data.exists():
        raise ConfigError(f"{data.root} holds no {CONFIG_FILE}; run coopledger init --data DIR")
    try:
        document = json.loads(data.config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{data.config_file} is not readable JSON: {e}") from e
    if not isinstance(document, dict):
        raise ConfigError(f"{data.config_file} must hold a JSON object")
    url = document.get("database_url")
    if url is not None and not isinstance(url, str):
        raise ConfigError(f"{data.config_file}: database_url must be a string or null")
    return document


def _field(document: dict[str, Any], name: str, data: DataDir) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise ConfigError(f"{data.config_file}: {name} must be a string")
    return value


def _log_signer(data: DataDir, settings: Settings, origin: str) -> NoteSigner:
    if settings.log_key is not None:
        signer = NoteSigner.from_skey(settings.log_key.get_secret_value().strip())
        where = "COOPLEDGER_LOG_KEY"
    else:
        signer = read_log_key(data.log_key_file)
        where = str(data.log_key_file)
    if signer.name != origin:
        raise KeyFileError(f"{where}: the log key is named {signer.name!r}, not the origin")
    return signer


def write_data_dir(data: DataDir, *, origin: str, steward_id: str) -> tuple[NoteSigner, Keypair]:
    """Create the log key and steward key files (mode 0600); return the new keys.

    Refuses (``ConfigError``/``KeyFileError``) to touch a directory that holds a ledger or
    either key already. The config file is written last by ``write_config_file``.
    """
    if data.exists():
        raise ConfigError(f"{data.root} holds a ledger already; not overwriting it")
    check_origin(origin)
    log_signer = NoteSigner.generate(origin)
    steward = Keypair.generate()
    data.root.mkdir(parents=True, exist_ok=True)
    write_log_key(data.log_key_file, log_signer)
    write_member_key(data.steward_key_file, steward, member=steward_id)
    return log_signer, steward


def write_config_file(data: DataDir, *, origin: str) -> None:
    """Write ``coopledger.json``: the marker that initialisation finished."""
    _write_atomically(data.config_file, {"origin": origin, "database_url": None})


def read_witness_policy(data: DataDir) -> WitnessPolicy:
    """The witnesses and quorum in an initialised directory's ``coopledger.json``."""
    return _witnesses(_read_config_file(data), data)


def write_witness_policy(data: DataDir, policy: WitnessPolicy) -> None:
    """Set the witnesses and quorum in an initialised directory's ``coopledger.json``,
    keeping its other members; the file is replaced whole or not at all."""
    document = _read_config_file(data)
    document.update(policy.to_json())
    _write_atomically(data.config_file, document)


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` by ``document`` as indented JSON, whole or not at all."""
    write_atomically(path, (json.dumps(document, indent=2) + "\n").encode(), mode=0o644)
