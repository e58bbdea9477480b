"""``coopledger witnesses add|remove|quorum|list``: the ledger's witnesses and quorum, kept in
``coopledger.json`` (``ledger.witnessing``).

Like ``api.cli``, this module imports only Typer and the standard library when it loads.
A running server reads the witnesses when it starts: restart it after a change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from api.cli_client import PlainTyper

if TYPE_CHECKING:
    from ledger.config import DataDir
    from ledger.witnessing import WitnessPolicy

witnesses_app = PlainTyper(
    name="witnesses",
    help="The witnesses that cosign this ledger's checkpoints, and how many must.",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", envvar="COOPLEDGER_DATA", metavar="DIR", help="The ledger's data directory."
    ),
]
QuorumOption = Annotated[
    int | None,
    typer.Option(
        "--quorum",
        metavar="K",
        min=1,
        help="How many witnesses must cosign a checkpoint (default: as before, at least 1).",
    ),
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _data_dir(data: Path | None) -> DataDir:
    from ledger.config import ConfigError, Settings, data_dir

    try:
        return data_dir(Settings(data=data) if data is not None else Settings())
    except ConfigError as e:
        _fail(str(e))


def _policy(data: DataDir) -> WitnessPolicy:
    from ledger.config import ConfigError, read_witness_policy

    try:
        return read_witness_policy(data)
    except ConfigError as e:
        _fail(str(e))


def _save(data: DataDir, policy: WitnessPolicy) -> None:
    from ledger.config import write_witness_policy
    from ledger.errors import LedgerError

    try:
        write_witness_policy(data, policy)
    except (LedgerError, OSError) as e:
        _fail(str(e))
    _print(policy)


def _print(policy: WitnessPolicy) -> None:
    count = len(policy.witnesses)
    typer.echo(f"quorum: {policy.quorum} of {count} witness{'' if count == 1 else 'es'}")
    for witness in policy.witnesses:
        typer.echo(f"{witness.key} {witness.url}")


WitnessKey = Annotated[
    str, typer.Option("--key", metavar="VKEY", help="The witness's cosignature/v1 vkey.")
]


def _change(data: Path | None, change: Callable[[WitnessPolicy], WitnessPolicy]) -> None:
    """Apply ``change`` to the directory's witnesses and save them; a refusal changes nothing."""
    from ledger.witnessing import WitnessConfigError

    where = _data_dir(data)
    try:
        policy = change(_policy(where))
    except WitnessConfigError as e:
        _fail(str(e))
    _save(where, policy)


@witnesses_app.command("add")
def add(
    url: Annotated[
        str, typer.Option("--url", metavar="URL", help="The witness's submission prefix.")
    ],
    key: WitnessKey,
    quorum: QuorumOption = None,
    data: DataOption = None,
) -> None:
    """Add a witness (or change its URL) and set the quorum; prints the witnesses."""
    from ledger.witnessing import Witness

    _change(data, lambda policy: policy.with_witness(Witness.parse(url, key), quorum))


@witnesses_app.command("remove")
def remove(key: WitnessKey, quorum: QuorumOption = None, data: DataOption = None) -> None:
    """Remove a witness (and set the quorum); prints the witnesses."""
    _change(data, lambda policy: policy.without_witness(key.strip(), quorum))


@witnesses_app.command("quorum")
def set_quorum(
    quorum: Annotated[int, typer.Argument(metavar="K", min=1, help="The new quorum.")],
    data: DataOption = None,
) -> None:
    """Set how many of the witnesses must cosign a checkpoint; prints the witnesses."""
    from ledger.witnessing import WitnessPolicy

    _change(data, lambda policy: WitnessPolicy(policy.witnesses, quorum))


@witnesses_app.command("list")
def list_witnesses(data: DataOption = None) -> None:
    """Print the quorum, then each witness's key and URL."""
    _print(_policy(_data_dir(data)))
