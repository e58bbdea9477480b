"""Key files: a member's Ed25519 key, the log's C2SP note key and a witness's cosigning key,
kept with mode 0600."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ledger.cosignature import Cosigner
from ledger.encoding import b64decode, b64encode
from ledger.errors import KeyFileError, MalformedStatementError
from ledger.note import NoteSigner
from ledger.signing import Keypair

MEMBER_KEY_TYPE = "coopledger-ed25519-v1"
K = TypeVar("K")


def _write_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 (refusing to overwrite) and write ``text``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as e:
        raise KeyFileError(f"{path} exists already; not overwriting a key") from e
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read_private(path: Path) -> str:
    """Read a key file, refusing one that group or others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as e:
        raise KeyFileError(f"no key file at {path}") from e
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} is readable by others; chmod 600 it")
    return path.read_text(encoding="utf-8")


def write_member_key(path: Path, keypair: Keypair, *, member: str | None = None) -> None:
    """Write a member key file (JSON: type, member, key_id, public_key, seed)."""
    document = {
        "type": MEMBER_KEY_TYPE,
        "member": member,
        "key_id": keypair.key_id,
        "public_key": keypair.public_key_b64,
        "seed": b64encode(keypair.seed),
    }
    _write_private(path, json.dumps(document, indent=2) + "\n")


def read_member_key(path: Path) -> tuple[Keypair, str | None]:
    """Read a member key file; returns the keypair and the member id it was issued for."""
    try:
        document = json.loads(_read_private(path))
        if not isinstance(document, dict) or document.get("type") != MEMBER_KEY_TYPE:
            raise KeyFileError(f"{path} is not a {MEMBER_KEY_TYPE} key file")
        keypair = Keypair(b64decode(document["seed"], length=32, what="seed"))
    except (ValueError, KeyError, TypeError, MalformedStatementError) as e:
        raise KeyFileError(f"{path} is not a valid key file: {e}") from e
    if keypair.public_key_b64 != document.get("public_key"):
        raise KeyFileError(f"{path}: the public key does not match the seed")
    member = document.get("member")
    return keypair, member if isinstance(member, str) else None


def write_log_key(path: Path, signer: NoteSigner) -> None:
    """Write the log's note signing key in C2SP/Go ``PRIVATE+KEY+...`` form."""
    _write_private(path, signer.skey() + "\n")


def read_log_key(path: Path) -> NoteSigner:
    """Read the log's note signing key."""
    return _read_signer_key(path, NoteSigner.from_skey, "log key")


def _read_signer_key(path: Path, parse: Callable[[str], K], what: str) -> K:
    """Parse a ``PRIVATE+KEY+...`` file with ``parse``; any fault is a ``KeyFileError``."""
    try:
        return parse(_read_private(path).strip())
    except KeyFileError:
        raise
    except Exception as e:
        raise KeyFileError(f"{path} is not a valid {what}: {e}") from e


def write_witness_key(path: Path, cosigner: Cosigner) -> None:
    """Write a witness's cosigning key in ``PRIVATE+KEY+<name>+<id>+base64(0x04 || seed)`` form."""
    _write_private(path, cosigner.skey() + "\n")


def read_witness_key(path: Path) -> Cosigner:
    """Read a witness's cosigning key; ``KeyFileError`` if missing, malformed or too open."""
    return _read_signer_key(path, Cosigner.from_skey, "witness key")
