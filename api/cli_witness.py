"""``coopledger witness keygen`` and ``coopledger witness serve``: a C2SP tlog-witness.

Registered in ``api.cli`` as the ``witness`` group. Like ``api.cli``, this module imports only
Typer and the standard library when it loads; each command imports what it needs when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from api.cli_client import PlainTyper

if TYPE_CHECKING:
    from ledger.note import NoteVerifier

DEFAULT_PORT = 8100

witness_app = PlainTyper(
    help="A witness: cosigns other logs' checkpoints (C2SP tlog-witness v1.0.0).",
    no_args_is_help=True,
)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(1)


@witness_app.command()
def keygen(
    name: Annotated[
        str, typer.Option(metavar="NAME", help="The witness's key name, e.g. witness.example.org.")
    ],
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="Key file to create (mode 0600).")
    ],
) -> None:
    """Create a witness's cosigning key file; prints its verifier key (vkey) only."""
    from ledger.cosignature import Cosigner
    from ledger.errors import KeyFileError
    from ledger.keys import write_witness_key

    if not out_file.parent.is_dir():
        expected = f"no directory {out_file.parent}; the key file's directory must exist"
        raise typer.BadParameter(expected, param_hint="'--out'")
    try:
        cosigner = Cosigner.generate(name)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="'--name'") from None
    try:
        write_witness_key(out_file, cosigner)
    except (KeyFileError, OSError) as e:
        _fail(str(e))
    typer.echo(f"wrote {out_file}")
    typer.echo(cosigner.verifier.vkey())


@witness_app.command()
def serve(
    key: Annotated[
        Path, typer.Option(metavar="FILE", help="The witness's key file (witness keygen).")
    ],
    state: Annotated[
        Path,
        typer.Option(metavar="DIR", help="State directory: the latest checkpoint of each log."),
    ],
    log: Annotated[
        list[str],
        typer.Option(metavar="VKEY", help="A trusted log's verifier key; repeat for more logs."),
    ],
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Port to listen on.", min=1, max=65535)
    ] = DEFAULT_PORT,
) -> None:
    """Serve POST /add-checkpoint: cosign each checkpoint that extends the last one seen."""
    import uvicorn

    from api.witness_app import create_witness_app
    from ledger.errors import KeyFileError, WitnessStateError
    from ledger.keys import read_witness_key
    from ledger.witness import Witness
    from ledger.witness_state import StateDirectory

    try:
        cosigner = read_witness_key(key)
    except (KeyFileError, OSError) as e:
        raise typer.BadParameter(str(e), param_hint="'--key'") from None
    logs = [_log_key(vkey) for vkey in log]
    try:
        directory = StateDirectory(state)
    except WitnessStateError as e:
        _fail(str(e))
    with directory:
        typer.echo(f"witness {cosigner.verifier.vkey()}")
        for origin in dict.fromkeys(v.name for v in logs):
            typer.echo(f"log     {origin}")
        witness = Witness(cosigner, logs, directory)
        uvicorn.run(create_witness_app(witness), host=host, port=port, log_level="info")


def _log_key(vkey: str) -> NoteVerifier:
    from ledger.errors import KeyFileError
    from ledger.note import NoteVerifier

    try:
        return NoteVerifier.from_vkey(vkey)
    except (KeyFileError, ValueError) as e:
        raise typer.BadParameter(str(e), param_hint="'--log'") from None
