"""Offline evidence: ``prove --out`` (C2SP tlog-proof files), ``verify-proof``, ``export`` and
``audit --export``.

``prove`` lives in ``api.cli_client`` and hands ``--out`` to ``write_proof`` here. Like
``api.cli``, this module imports only Typer and the standard library when it loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ledger.audit import AuditReport, ProgressFn
    from ledger.config import LedgerConfig
    from ledger.note import NoteVerifier
    from ledger.proof_file import ProofFile

_ENTRY_MARKS = (b'"kind":"member.', b'"kind":"log.initialised"', b'"kind":"governance.')
"""In canonical bytes, every entry a recount reads holds one of these."""


def _say(line: str) -> None:
    typer.echo(line)


# --- prove --out ---------------------------------------------------------------------------


def write_proof(
    out_file: Path,
    entry_out: Path | None,
    *,
    index: int,
    url: str | None,
    data: Path | None,
    size: int | None,
    key: Path | None,
    required: tuple[list[str], int] | None = None,
) -> None:
    """Fetch (``url``) or read (``data``) the proof of entry ``index``, check it as
    ``verify-proof`` would (with ``required`` witness keys and quorum, against the latest
    witnessed checkpoint), then write the proof file and, if asked, the entry's bytes."""
    from ledger.atomic import write_atomically
    from ledger.proof_file import verify_proof_file

    for path, option in ((out_file, "--out"), (entry_out, "--entry-out")):
        if path is not None and not path.parent.is_dir():
            raise typer.BadParameter(f"no directory {path.parent}", param_hint=f"'{option}'")
    if url is not None:
        proof, entry, vkey = _remote_proof(url, key, index, required)
    else:
        proof, entry, vkey = _local_proof(data or Path("."), index, size)
    keys, quorum = required or ([], 0)
    with _errors():
        from ledger.note import NoteVerifier
        from ledger.witnessing import witness_verifiers

        proven = verify_proof_file(
            proof,
            entry,
            log_verifier=NoteVerifier.from_vkey(vkey),
            witnesses=witness_verifiers(keys),
            quorum=quorum,
        )
        write_atomically(out_file, proof.to_bytes())
        if entry_out is not None:
            write_atomically(entry_out, entry)
    _say(f"wrote {out_file}: entry {index} in checkpoint {proven.checkpoint.size}")
    if entry_out is not None:
        _say(f"wrote {entry_out}: the entry's exact bytes ({len(entry)} bytes)")


def _remote_proof(
    url: str, key: Path | None, index: int, required: tuple[list[str], int] | None
) -> tuple[ProofFile, bytes, str]:
    import base64

    from api.cli_client import _prove_remote, _with_client
    from ledger.proof_file import ProofFile

    async def fetch(client: Any) -> tuple[dict[str, Any], str]:
        proof = await _prove_remote(client, index, required)
        info = await client.info()
        return proof, str(info["verifierKey"])

    proof, vkey = _with_client(url, key, fetch)
    path = tuple(bytes.fromhex(node) for node in proof["path"])
    entry = base64.b64decode(proof["entry"])
    return ProofFile(index, path, str(proof["checkpoint"])), entry, vkey


def _local_proof(data: Path, index: int, size: int | None) -> tuple[ProofFile, bytes, str]:
    import asyncio

    from ledger.config import Settings, load_config

    with _errors():
        config = load_config(Settings(data=data))
        proof, entry = asyncio.run(_read_proof(config, index, size))
    return proof, entry, config.log_verifier.vkey()


async def _read_proof(
    config: LedgerConfig, index: int, size: int | None
) -> tuple[ProofFile, bytes]:
    from api.runtime import open_store
    from ledger.errors import OutOfRangeError
    from ledger.log import LogView
    from ledger.proof_file import ProofFile

    store = await open_store(config.database_url, migrate=False)
    try:
        view = LogView(store)
        checkpoint = await (view.latest_checkpoint() if size is None else store.checkpoint(size))
        if checkpoint is None:
            raise OutOfRangeError(f"no signed checkpoint at tree size {size}")
        proof = await view.inclusion(index, checkpoint.size)
        rows = await view.entries(index, index + 1)
    finally:
        await store.close()
    return ProofFile(index, tuple(proof.path), checkpoint.note), rows[0].data


# --- verify-proof --------------------------------------------------------------------------


def verify_proof(
    proof_file: Annotated[Path, typer.Argument(metavar="FILE", help="The .tlog-proof file.")],
    entry: Annotated[
        Path, typer.Option("--entry", metavar="FILE", help="The entry's exact bytes.")
    ],
    key: Annotated[str, typer.Option("--key", metavar="VKEY", help="The log's verifier key.")],
    witnesses: Annotated[
        int,
        typer.Option(
            "--witnesses", metavar="K", min=0, help="Require K valid witness cosignatures."
        ),
    ] = 0,
    witness_key: Annotated[
        list[str] | None,
        typer.Option("--witness-key", metavar="VKEY", help="A witness's key (repeatable)."),
    ] = None,
) -> None:
    """Check a proof file with no network: the entry is in a checkpoint the log signed.

    Checks the leaf hash of the entry's bytes, the inclusion path to the checkpoint's root,
    the checkpoint's signature by the log key and, with --witnesses K, at least K valid
    cosignatures by the --witness-key keys. Prints what the entry is.
    """
    from ledger.cosignature import CosignerVerifier
    from ledger.errors import KeyFileError
    from ledger.note import NoteVerifier
    from ledger.proof_file import parse_proof_file, verify_proof_file

    keys = witness_key or []
    if witnesses > len(keys):
        raise typer.BadParameter(
            f"{witnesses} cosignatures asked for but {len(keys)} --witness-key given",
            param_hint="'--witnesses'",
        )
    try:
        verifier = NoteVerifier.from_vkey(key)
        cosigners = [CosignerVerifier.from_vkey(k) for k in keys]
    except (KeyFileError, ValueError) as e:
        raise typer.BadParameter(str(e)) from None
    with _errors():
        proof = parse_proof_file(_read(proof_file, "proof file"))
        entry_bytes = _read(entry, "entry file")
        proven = verify_proof_file(
            proof, entry_bytes, log_verifier=verifier, witnesses=cosigners, quorum=witnesses
        )
    _say("proof ok")
    for line in proven.describe():
        _say(line)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise OSError(f"cannot read the {what} {path}: {e.strerror or e}") from None


# --- export and audit --export -------------------------------------------------------------


def configured_witnesses(config: LedgerConfig) -> list[str]:
    """The witness vkeys the log is configured with, for the export's header (the audit of
    an export then checks every cosignature by them)."""
    return [witness.key for witness in config.witnesses.witnesses]


def export(
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="The export file to write.")
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", envvar="COOPLEDGER_DATA", metavar="DIR", help="The ledger's data directory."
        ),
    ] = None,
) -> None:
    """Write the whole log to one file: entries, checkpoint notes and keys.

    The file (coopledger-export v1, docs/formats.md) is written atomically and checked
    offline by `coopledger audit --export FILE`.
    """
    import asyncio

    from ledger.config import Settings, load_config

    if not out_file.parent.is_dir():
        raise typer.BadParameter(f"no directory {out_file.parent}", param_hint="'--out'")
    with _errors():
        config = load_config(Settings(data=data) if data is not None else Settings())
        summary = asyncio.run(_export(config, out_file))
    _say(
        f"exported {summary.size} entries and {summary.checkpoints} checkpoints to "
        f"{summary.path} ({summary.bytes} bytes)"
    )


async def _export(config: LedgerConfig, out_file: Path) -> Any:
    from api.runtime import open_store
    from ledger.export_log import write_export

    store = await open_store(config.database_url, migrate=False)
    try:
        return await write_export(
            store,
            out_file,
            origin=config.origin,
            log_key=config.log_verifier.vkey(),
            witnesses=configured_witnesses(config),
        )
    finally:
        await store.close()


async def audit_export_file(
    path: Path, verifier: NoteVerifier | None, progress: ProgressFn | None
) -> AuditReport:
    """The offline audit of an export, then every decision recounted from its entries.

    Raises ``AuditError`` naming the first fault, ``RecountError`` for a decision whose
    recount differs from what it recorded, ``OSError`` if the file cannot be read.
    """
    from governance.tally.recount_log import recount
    from ledger.audit_export import audit_export, marked_entries, open_export

    export = open_export(str(path))
    try:
        report = await audit_export(export, log_verifier=verifier, progress=progress)
        recount(marked_entries(export, _ENTRY_MARKS)).check()
    finally:
        export.close()
    return report


def _errors() -> Any:
    from api.cli import _expected_errors

    return _expected_errors()
