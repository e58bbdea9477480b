"""The ``--witnesses K --witness-key VKEY`` options of the commands that verify a checkpoint
(``coopledger audit --url``, ``coopledger prove``). Imports only Typer when it loads."""

from __future__ import annotations

from typing import Annotated

import typer

WitnessesOption = Annotated[
    int | None,
    typer.Option(
        "--witnesses",
        metavar="K",
        min=1,
        help="Require the checkpoint to carry valid cosignatures by at least K of the "
        "--witness-key keys.",
    ),
]
WitnessKeyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness-key",
        metavar="VKEY",
        help="A witness's cosignature/v1 verifier key (repeat for each witness).",
    ),
]


def witness_requirement(quorum: int | None, keys: list[str] | None) -> tuple[list[str], int] | None:
    """The keys and K of ``--witnesses K --witness-key ...``; ``None`` if neither is given.

    Without ``--witnesses``, every key given must have cosigned. A usage error (exit 2) when
    K is given without keys or exceeds the number of distinct keys.
    """
    distinct = list(dict.fromkeys(k.strip() for k in keys or []))
    if quorum is None and not distinct:
        return None
    if not distinct:
        raise typer.BadParameter("--witnesses K needs the witnesses' --witness-key VKEY")
    if quorum is None:
        quorum = len(distinct)
    if quorum > len(distinct):
        raise typer.BadParameter(f"--witnesses {quorum} is more than the {len(distinct)} keys")
    return distinct, quorum
