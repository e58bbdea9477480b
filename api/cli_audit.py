"""``coopledger audit --url URL --state DIR`` (the audit that remembers) and
``coopledger verify-misbehaviour FILE``.

Like ``api.cli``, this module imports only Typer and the standard library when it loads;
each command imports the audit, the client and the database when it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_client import _fail

if TYPE_CHECKING:
    import httpx

    from api.client_core import ClientCore
    from ledger.audit import ProgressFn
    from ledger.note import NoteVerifier
    from ledger.signing import Keypair

Login = tuple["Keypair", str | None]


@asynccontextmanager
async def audit_client(
    url: str, verifier: NoteVerifier | None, login: Login | None
) -> AsyncIterator[tuple[httpx.AsyncClient, ClientCore]]:
    """An HTTP client for the log's endpoints and a GraphQL client, both logged in with
    ``login`` when given (with a pinned ``verifier``, only to that log)."""
    import httpx

    from api.client_core import ClientCore, KeyLogin

    pinned = None if verifier is None else verifier.vkey()
    keypair, member = (None, None) if login is None else login
    tls = httpx.create_ssl_context()  # made once: it costs ~80 ms
    async with httpx.AsyncClient(timeout=30, verify=tls) as graphql:
        core = ClientCore(url, keypair=keypair, member=member, log_key=pinned, http=graphql)
        auth = None if login is None else KeyLogin(core)
        async with core, httpx.AsyncClient(timeout=30, auth=auth, verify=tls) as client:
            yield client, core


async def audit_with_state(
    url: str,
    state: Path,
    verifier: NoteVerifier | None,
    progress: ProgressFn | None,
    login: Login | None,
    required: tuple[list[str], int] | None = None,
) -> list[str]:
    """The remembered audit of ``url`` (``ledger.audit_resume``), then the server's balances
    and decisions against the replayed log (``api.audit_remote``); the lines to print.

    ``required``: the witness keys and how many of them must have cosigned the checkpoint.

    Raises ``AuditError`` at the first fault or difference.
    """
    from api.audit_remote import compare_with_api
    from api.runtime import projectors
    from ledger.audit_resume import audit_remembered
    from ledger.witnessing import witness_verifiers

    keys, quorum = required or ([], 0)
    async with audit_client(url, verifier, login) as (client, core):
        done = await audit_remembered(
            client,
            url,
            state,
            projectors=projectors(),
            log_verifier=verifier,
            progress=progress,
            witnesses=witness_verifiers(keys),
            quorum=quorum,
        )
        compared = await compare_with_api(core, done.folder, done.members, done.since)
    lines = [
        done.summary(),
        f"api ok: {compared} balances and decisions equal the replayed and recounted log",
        f"remembered in {done.folder}",
    ]
    return lines if not quorum else [*lines, witnesses_ok(done.report.size, keys, quorum)]


def witnesses_ok(size: int, keys: list[str], quorum: int) -> str:
    """What an audit that required witnesses prints once they were found."""
    return (
        f"witnesses ok: checkpoint {size} cosigned by at least {quorum} of the "
        f"{len(keys)} given witnesses"
    )


def verify_misbehaviour(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="A misbehaviour proof (coopledger/misbehaviour/v1)."),
    ],
    key: Annotated[
        str | None,
        typer.Option(
            metavar="VKEY", help="The log's verifier key (default: the one the proof names)."
        ),
    ] = None,
) -> None:
    """Check, with no network, that a misbehaviour proof shows a log signing two
    inconsistent checkpoints: exit 0 if it does, 1 if not."""
    from ledger.errors import LedgerError
    from ledger.misbehaviour import parse_proof, verify_proof
    from ledger.note import NoteVerifier

    try:
        verifier = None if key is None else NoteVerifier.from_vkey(key)
    except LedgerError as e:
        raise typer.BadParameter(str(e), param_hint="'--key'") from None
    try:
        fork = verify_proof(parse_proof(file.read_bytes()), verifier)
    except OSError as e:
        _fail(str(e))
    except LedgerError as e:
        _fail(f"not proven: {e}")
    typer.echo(f"misbehaviour proven: {fork.summary()}")
