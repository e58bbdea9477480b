"""The ``coopledger`` command line (Typer + Rich): init, serve, audit, keys, admit, proofs, export,
demo.

Expected failures print one line on stderr and exit 1; usage errors exit 2.

This module and the command modules it registers import only Typer and the standard library
when they load: each command imports what it needs when it runs, so ``coopledger --help``
and a command's ``--help`` start without loading the server, the database or the client
(``tests/api/test_cli_startup.py`` checks; ``bench/cli_startup.py`` measures).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from api.cli_audit import audit_client, audit_with_state, verify_misbehaviour, witnesses_ok
from api.cli_client import PlainTyper, client_app, read_key_option
from api.cli_proofs import export, verify_proof
from api.cli_reports import rebuild, report_app
from api.cli_tiles import export_tiles
from api.cli_witness import witness_app
from api.cli_witness_options import WitnessesOption, WitnessKeyOption, witness_requirement
from api.cli_witnesses import witnesses_app

if TYPE_CHECKING:
    from rich.console import Console

    from api.demo_script import DemoResult
    from ledger.audit import AuditReport, ProgressFn
    from ledger.config import LedgerConfig, Settings
    from ledger.note import NoteVerifier
    from ledger.service import Ledger
    from ledger.signing import Keypair

T = TypeVar("T")
HANDLE = re.compile(r"\S{1,80}")
"""A handle: what the directory holds (up to 80 characters), with no spaces."""
DEFAULT_ORIGIN = "coopledger.example/log"
DEFAULT_STEWARD_ID = "steward"
"""``ledger.config``'s defaults, named here so that ``--help`` need not import it (a test
checks they are the same)."""

app = PlainTyper(
    name="coopledger", help="A co-operative's signed, append-only ledger.", no_args_is_help=True
)
PROJECTIONS_OK = (
    "projections ok: credits and governance equal a replay of the log; every tally recounted"
)
RECOUNT_OK = "recount ok: every decision in the log recounts to what it recorded"


@cache
def out() -> Console:
    """The console of results (stdout), made on first use."""
    from rich.console import Console

    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)


@cache
def err() -> Console:
    """The console of progress (stderr), made on first use."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", envvar="COOPLEDGER_DATA", metavar="DIR", help="The ledger's data directory."
    ),
]
HostOption = Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on.")]
PortOption = Annotated[
    int, typer.Option(metavar="PORT", help="Port to listen on.", min=1, max=65535)
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _expected_errors() -> Iterator[None]:
    """Turn the failures a user can cause into one line on stderr and exit code 1."""
    import httpx
    import pydantic

    from api.client_core import ApiError
    from ledger.errors import LedgerError

    try:
        yield
    except LedgerError as e:
        _fail(str(e))
    except ApiError as e:
        _fail(f"{e.code}: {e.message}")
    except pydantic.ValidationError as e:
        _fail(f"bad setting: {e.errors()[0]['loc']} {e.errors()[0]['msg']}")
    except httpx.HTTPError as e:
        _fail(f"cannot reach the server: {e}")
    except OSError as e:
        _fail(str(e))


def _run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio

    with _expected_errors():
        return asyncio.run(coro)


def _settings(data: Path | None) -> Settings:
    from ledger.config import Settings

    with _expected_errors():
        return Settings(data=data) if data is not None else Settings()


def _config(data: Path | None) -> LedgerConfig:
    from ledger.config import load_config

    with _expected_errors():
        return load_config(_settings(data))


@app.command()
def init(
    data: DataOption = None,
    origin: Annotated[str, typer.Option(help="The log's origin (checkpoint line 1).")] = (
        DEFAULT_ORIGIN
    ),
    steward_id: Annotated[
        str, typer.Option(metavar="MEMBER", help="Member id of the first steward.")
    ] = (DEFAULT_STEWARD_ID),
    rules: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Community-format JSON with rule_table (default: the demo rules)."
        ),
    ] = None,
) -> None:
    """Create a ledger: log key, steward key, database, entry 0 and rule table version 1."""
    from api.runtime import init_ledger
    from ledger.credits.community import rule_table_from_file

    with _expected_errors():
        table = None if rules is None else rule_table_from_file(rules)
    config = _run(init_ledger(_settings(data), origin=origin, steward_id=steward_id, rules=table))
    out().print(f"initialised {config.data.root}", markup=False)
    out().print(f"origin   {config.origin}", markup=False)
    out().print(f"log key  {config.log_verifier.vkey()}", markup=False)
    out().print(f"steward  {steward_id} (key in {config.data.steward_key_file})", markup=False)


@app.command()
def serve(
    data: DataOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[
        int, typer.Option(metavar="N", help="Server processes sharing the database.", min=1, max=64)
    ] = 1,
) -> None:
    """Serve the GraphQL API, the transparency endpoints and statement intake.

    With --workers N, N processes share the database: each sequences statements under the
    database's writer lock and catches up with what the others appended.
    """
    config = _config(data)
    _serve(config, host, port, workers)


def _serve(config: LedgerConfig, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from api.app import create_app
    from api.runtime import check_ready

    _run(check_ready(config))  # migrates once, before any worker starts
    with _expected_errors():
        if workers == 1:
            uvicorn.run(create_app(config=config), host=host, port=port, log_level="info")
            return
        os.environ["COOPLEDGER_DATA"] = str(config.data.root)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="info",
        )


@app.command()
def audit(
    ctx: typer.Context,
    data: DataOption = None,
    url: Annotated[
        str | None, typer.Option(metavar="URL", help="Audit a server instead of a database.")
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            metavar="VKEY", help="With --url or --export: the log's verifier key to trust."
        ),
    ] = None,
    login_key: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="With --url, for a private log: a member's or registered auditor's key file "
            "to log in with.",
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="With --url: remember the verified log in DIR and check only new entries next "
            "time; compare the API's balances and decisions with the log.",
        ),
    ] = None,
    witnesses: WitnessesOption = None,
    witness_key: WitnessKeyOption = None,
    export_file: Annotated[
        Path | None,
        typer.Option(
            "--export",
            metavar="FILE",
            help="Audit an export file (coopledger export), with no database or network.",
        ),
    ] = None,
) -> None:
    """Re-hash every entry, rebuild the tree, check every signature and checkpoint.

    With --data, also replay the log into a scratch database and compare every projection;
    with --export, recount every decision from the file's entries. With --witnesses K,
    audit the latest witnessed checkpoint served and refuse it unless K of the
    --witness-key keys cosigned it.
    """
    source = ctx.get_parameter_source("data")
    data_given = source is not None and source.name == "COMMANDLINE"
    if export_file is not None:
        url_only = (login_key, state, witnesses or None, witness_key or None)
        other = url is not None or data_given or any(o is not None for o in url_only)
        _audit_export(export_file, key, other)
        return
    if (url is None and data is None) or (url is not None and data_given):
        raise typer.BadParameter("give exactly one of --data, --url and --export")
    if login_key is not None and url is None:
        raise typer.BadParameter("--login-key is for --url")
    if state is not None and url is None:
        raise typer.BadParameter("--state is for --url")
    if (witnesses or witness_key) and url is None:
        raise typer.BadParameter("--witnesses and --witness-key are for --url")
    required = witness_requirement(witnesses, witness_key)
    login = None if login_key is None else read_key_option(login_key, "--login-key")
    with _progress() as progress:
        if state is not None and url is not None:
            lines = _run(audit_with_state(url, state, _verifier(key), progress, login, required))
            for line in lines:
                out().print(line, markup=False)
            return
        if url is not None:
            verifier = _verifier(key)
            report = _run(_audit_url(url, verifier, progress, login, required))
        else:
            report = _run(_audit_data(_config(data), progress))
    out().print(report.summary(), markup=False)
    if url is None:
        out().print(PROJECTIONS_OK, markup=False)
    if required is not None:
        keys, quorum = required
        out().print(witnesses_ok(report.size, keys, quorum), markup=False)


def _audit_export(path: Path, key: str | None, other_source: bool) -> None:
    from api.cli_proofs import audit_export_file

    if other_source:
        raise typer.BadParameter(
            "give exactly one of --data, --url and --export (--login-key, --state and the "
            "witness options are for --url)"
        )
    with _progress() as progress:
        report = _run(audit_export_file(path, _verifier(key), progress))
    out().print(report.summary(), markup=False)
    out().print(RECOUNT_OK, markup=False)


def _verifier(key: str | None) -> NoteVerifier | None:
    from ledger.note import NoteVerifier

    with _expected_errors():
        return None if key is None else NoteVerifier.from_vkey(key)


@contextmanager
def _progress() -> Iterator[ProgressFn]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    quiet = not err().is_terminal
    with Progress("audit", *columns, console=err(), transient=True, disable=quiet) as bar:
        task = bar.add_task("audit", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


async def _audit_data(config: LedgerConfig, progress: ProgressFn | None) -> AuditReport:
    """The log audit, then every projection against a replay of the log into a scratch copy.

    Raises ``AuditError`` naming the first bad entry or checkpoint, the projection rows
    (balances, claims, ...) that differ from what the log says, or the first decision whose
    recount differs from what it recorded.
    """
    from api.runtime import open_store, projectors
    from governance.reports import recount_store
    from ledger.audit import audit_store
    from ledger.errors import AuditError
    from ledger.rebuild import compare_projections

    store = await open_store(config.database_url, migrate=False)
    try:
        report = await audit_store(
            store, origin=config.origin, log_verifier=config.log_verifier, progress=progress
        )
        problems = await compare_projections(store, projectors(), progress)
        if problems:
            raise AuditError("projections differ from a replay of the log: " + problems[0])
        (await recount_store(store)).check()
        return report
    finally:
        await store.close()


async def _audit_url(
    url: str,
    verifier: NoteVerifier | None,
    progress: ProgressFn | None,
    login: tuple[Keypair, str | None] | None,
    required: tuple[list[str], int] | None = None,
) -> AuditReport:
    from ledger.audit import audit_url
    from ledger.witnessing import witness_verifiers

    keys, quorum = required or ([], 0)

    async with audit_client(url, verifier, login) as (client, _):
        return await audit_url(
            client,
            url,
            log_verifier=verifier,
            progress=progress,
            witnesses=witness_verifiers(keys),
            quorum=quorum,
        )


@app.command()
def keygen(
    out_file: Annotated[
        Path, typer.Option("--out", metavar="FILE", help="Key file to create (mode 0600).")
    ],
    member: Annotated[str | None, typer.Option(help="The member id the key is for.")] = None,
) -> None:
    """Create a member's Ed25519 key file; prints the key id and public key only."""
    from ledger.keys import write_member_key
    from ledger.signing import Keypair

    if not out_file.parent.is_dir():
        expected = f"no directory {out_file.parent}; the key file's directory must exist"
        raise typer.BadParameter(expected, param_hint="'--out'")
    keypair = Keypair.generate()
    with _expected_errors():
        write_member_key(out_file, keypair, member=member)
    out().print(f"wrote {out_file}", markup=False)
    out().print(f"key id      {keypair.key_id}", markup=False)
    out().print(f"public key  {keypair.public_key_b64}", markup=False)


@app.command()
def admit(
    member: Annotated[str, typer.Option(help="The new member's id (opaque, not a name).")],
    public_key: Annotated[
        str, typer.Option(metavar="B64", help="The member's Ed25519 public key, base64.")
    ],
    kind: Annotated[str, typer.Option(help="Member kind, e.g. sme, anchor, student.")],
    borough: Annotated[str, typer.Option(help="The member's borough.")],
    data: DataOption = None,
    name: Annotated[str | None, typer.Option(help="Name (directory only).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail (directory only).")] = None,
    handle: Annotated[
        str | None,
        typer.Option(
            help="A short public name that commands accept instead of the id, e.g. ana "
            "(directory only)."
        ),
    ] = None,
) -> None:
    """The steward admits a member; handle, name and e-mail go to the erasable directory."""
    from api.runtime import admit as admit_member
    from api.runtime import running_ledger, save_directory

    if handle is not None and not HANDLE.fullmatch(handle):
        expected = f"{handle!r} is not a handle: 1 to 80 characters, no spaces"
        raise typer.BadParameter(expected, param_hint="'--handle'")
    config = _config(data)

    async def run() -> int:
        async with running_ledger(config) as ledger:
            if handle is not None:
                await _check_handle_free(ledger, member, handle)
            receipt = await admit_member(
                ledger,
                config,
                member=member,
                public_key=public_key,
                member_kind=kind,
                borough=borough,
            )
            if handle is not None or name is not None or email is not None:
                await save_directory(ledger, member, handle=handle, name=name, email=email)
            return receipt.entry.seq

    seq = _run(run())
    out().print(f"admitted {member} at entry {seq}", markup=False)
    if handle is not None:
        out().print(f"handle {handle}", markup=False)


async def _check_handle_free(ledger: Ledger, member: str, handle: str) -> None:
    """A usage error (exit 2) if ``handle`` is another member's handle or id: commands take
    either, so each must name one member."""
    from ledger import directory
    from ledger.sql import SqlLogStore

    if not isinstance(ledger.store, SqlLogStore):
        raise TypeError("the directory needs an SQL store")
    holders = {held: who for who, held in (await directory.handles(ledger.store.engine)).items()}
    if holders.get(handle, member) != member:
        expected = f"{handle!r} is the handle of {holders[handle]}; choose another"
        raise typer.BadParameter(expected, param_hint="'--handle'")
    if handle != member and handle in ledger.registry.members:
        expected = f"{handle!r} is a member's id; choose another"
        raise typer.BadParameter(expected, param_hint="'--handle'")


@app.command()
def checkpoint(data: DataOption = None) -> None:
    """Print the latest signed checkpoint."""
    from api.runtime import open_store
    from ledger.log import LogView

    config = _config(data)

    async def run() -> str:
        store = await open_store(config.database_url, migrate=False)
        try:
            return (await LogView(store).latest_checkpoint()).note
        finally:
            await store.close()

    typer.echo(_run(run()), nl=False)


@app.command()
def demo(
    data: DataOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the audit.")] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
) -> None:
    """Build the demo community's ledger, show what happened, audit it, then serve it.

    On a terminal, a line on stderr for each phase as it begins, and a progress bar.
    """
    from api.demo_script import phases, run_demo

    names = [*phases(), "auditing"]
    with _phases(names) as phase:
        result = _run(run_demo(_settings(data), progress=phase))
        if result.created:
            phase("auditing")
    _print_demo(result)
    with _progress() as progress:
        report = _run(_audit_data(result.config, progress))
    out().print(report.summary(), markup=False)
    out().print(PROJECTIONS_OK, markup=False)
    if not no_serve:
        members = result.config.data.root / "members"
        out().print(
            f"\nOpen http://{host}:{port}/ in your browser. To act as a demo member, open "
            f"http://{host}:{port}/join and import a key file from {members} (for example "
            f"croydon-print.key); the auditor's page, http://{host}:{port}/auditor, checks "
            "the log in the browser. Stop the server with Ctrl+C.\n",
            markup=False,
            soft_wrap=True,
        )
        _serve(result.config, host, port)


@contextmanager
def _phases(names: list[str]) -> Iterator[Callable[[str], None]]:
    """A ``progress`` for phases ``names``: on a terminal, a line on stderr as each begins
    (``[2/8] forming the working groups``) under a bar; elsewhere nothing."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True, soft_wrap=True)  # made now: the terminal of this run
    if not console.is_terminal:
        yield lambda name: None
        return
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress("demo", *columns, console=console, transient=True) as bar:
        task = bar.add_task("demo", total=len(names))

        def phase(name: str) -> None:
            done = names.index(name)
            bar.update(task, completed=done)
            bar.console.print(f"[{done + 1}/{len(names)}] {name}", markup=False, highlight=False)

        yield phase


def _print_demo(result: DemoResult) -> None:
    from rich.table import Table
    from rich.text import Text

    from api.cli_reports import rich_table

    if not result.created:
        out().print(f"reusing the demo ledger in {result.config.data.root}", markup=False)
    if result.events:
        table = Table(title=Text(f"demo: {result.config.origin}"))
        table.add_column("step")
        table.add_column("what happened")
        table.add_column("entry", justify="right")
        for event in result.events:
            seq = "" if event.seq is None else str(event.seq)
            table.add_row(Text(event.step), Text(event.what), Text(seq))
        out().print(table)
    for extra in result.tables:
        out().print(rich_table(extra.title, extra.columns, extra.rows))


app.add_typer(report_app, name="report")
app.add_typer(client_app)
app.add_typer(witness_app, name="witness")
app.add_typer(witnesses_app)
app.command()(rebuild)
app.command("export-tiles")(export_tiles)
app.command("verify-misbehaviour")(verify_misbehaviour)
app.command()(export)
app.command("verify-proof")(verify_proof)


def main() -> None:
    """The console script's entry point."""
    app()


if __name__ == "__main__":
    main()
