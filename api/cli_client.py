"""Member commands against a running server (``--url``), signing with a key file (``--key``).

Registered in ``api.cli`` with ``app.add_typer(client_app)``: ``coopledger login``, ``claim``,
``confirm``, ``decline``, ``withdraw``, ``register``, ``dispute``, ``reverse``, ``vote``,
``propose``, ``close``, ``decide``, ``create-group``, ``set-role``, ``join``,
``approve-join``, ``decline-join``, ``leave``, ``balance``, ``statement`` and ``prove``
(``prove`` also reads a local ``--data`` directory). A command with a key logs in by itself
when it needs to (a private log, or a key file that names no member). A refusal prints one
line ``error: <code>: <message>`` and exits 1.

Like ``api.cli``, this module imports only Typer and the standard library when it loads;
each command imports the client (httpx, PyNaCl) when it runs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, get_type_hints

import typer
import typer.core

from api.cli_witness_options import WitnessesOption, WitnessKeyOption, witness_requirement

if TYPE_CHECKING:
    from rich.console import Console

    from api.client import CoopClient
    from ledger.config import Settings
    from ledger.signing import Keypair

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class PlainCommand(typer.core.TyperCommand):
    """A command whose help is plain text: an option shows a word for its value (``--data
    DIR``) and a flag none; an argument shows its name alone, with no ``<type>``.

    An option declared without a ``metavar`` shows its name in capitals.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
            if param.param_type_name == "option" and not flag and param.metavar is None:
                param.metavar = (param.name or "value").upper()

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The arguments, then the options, each with its help."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] NAME [OPTIONAL]``: arguments by name, optional ones in brackets."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def _argument_name(param: Any) -> str:
    name = str(param.metavar or (param.name or "value").upper())
    return name if param.nargs == 1 else f"{name}..."


class PlainTyper(typer.Typer):
    """A Typer app of ``PlainCommand`` commands, its help plain text (no Rich panels)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("add_completion", False)
        kwargs.setdefault("pretty_exceptions_enable", False)
        super().__init__(rich_markup_mode=None, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """``typer.Typer.command`` making a ``PlainCommand``."""
        kwargs.setdefault("cls", PlainCommand)
        return super().command(*args, **kwargs)


client_app = PlainTyper()


@cache
def out() -> Console:
    """The console of results (stdout), made on first use."""
    from rich.console import Console

    return Console(soft_wrap=True)


def _now() -> datetime:
    from ledger.encoding import utc_now

    return utc_now()


UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="COOPLEDGER_URL", metavar="URL", help="The server's base URL."),
]
KeyOption = Annotated[
    Path,
    typer.Option(
        "--key", envvar="COOPLEDGER_KEY", metavar="FILE", help="Your key file (mode 0600)."
    ),
]
OptionalKey = Annotated[
    Path | None,
    typer.Option(
        "--key",
        envvar="COOPLEDGER_KEY",
        metavar="FILE",
        help="Your key file: names you, and logs you in where the log is private.",
    ),
]
MemberOption = Annotated[
    str | None,
    typer.Option(
        metavar="MEMBER", help="The member, by id or handle (default: the key file's member)."
    ),
]
DEFAULT_URL = "http://127.0.0.1:8000"
GRAPHQL_INT_MAX = 2**31 - 1
"""The largest GraphQL ``Int``: an entry, index or count the server takes is at most this, so
a larger one is refused here, naming its option, before anything is sent."""
MAX_OPEN_DAYS = 366
"""The longest a proposal may stay open (``governance.opening.MAX_WINDOW``)."""
MAX_REVIEW_DAYS = 36500
"""The furthest a decision's review may be set: a hundred years."""
USAGE_CODES = frozenset({"bad_request"})
"""Codes of server answers that mean the request itself was bad: exit 2, as a usage error."""


def _entry(metavar: str, help_text: str) -> Any:
    """An argument naming an entry of the log: 0 to ``GRAPHQL_INT_MAX``."""
    return typer.Argument(metavar=metavar, help=help_text, min=0, max=GRAPHQL_INT_MAX)


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


@contextmanager
def _expected() -> Iterator[None]:
    """Failures a user can meet as one line on stderr: ``error: <code>: <message>`` for an
    answer of the server (exit 1 for a refusal, 2 for a request the server calls bad)."""
    import httpx

    from api.client import ApiError, Refused
    from ledger.errors import LedgerError

    try:
        yield
    except ApiError as e:
        usage = not isinstance(e, Refused) and e.code in USAGE_CODES
        _fail(f"{e.code}: {e.message}", 2 if usage else 1)
    except httpx.HTTPError as e:
        _fail(f"cannot reach the server: {e}")
    except (LedgerError, OSError, ValueError) as e:
        _fail(str(e))


def read_key_option(path: Path, option: str = "--key") -> tuple[Keypair, str | None]:
    """The keypair and member of the key file given with ``option``; a file that is missing,
    unreadable or not a member key file is a usage error (exit 2) naming the option."""
    from ledger.errors import KeyFileError
    from ledger.keys import read_member_key

    try:
        return read_member_key(path)
    except (KeyFileError, OSError) as e:
        raise typer.BadParameter(str(e), param_hint=f"'{option}'") from None


def _with_client(url: str, key: Path | None, act: Callable[[CoopClient], Awaitable[T]]) -> T:
    import asyncio

    from api.client import CoopClient

    keypair, member = (None, None) if key is None else read_key_option(key)

    async def run() -> T:
        async with CoopClient(url, keypair=keypair, member=member) as client:
            return await act(client)

    with _expected():
        return asyncio.run(run())


async def _members(client: CoopClient, option: str, names: list[str]) -> list[str]:
    """The member ids that ``names`` (ids or handles, given with ``option``) name; a name
    that names no member is a usage error (exit 2) naming the option."""
    found = await client.member_ids(names)
    unknown = [name for name in names if found[name] is None]
    if unknown:
        raise typer.BadParameter(
            f"no member with id or handle {unknown[0]!r}", param_hint=f"'{option}'"
        )
    return [str(found[name]) for name in names]


async def _member(client: CoopClient, option: str, name: str | None) -> str | None:
    """``_members`` of one name, or ``None`` for none."""
    return None if name is None else (await _members(client, option, [name]))[0]


def _date(value: str | None, option: str) -> date:
    """A YYYY-MM-DD date given with ``option`` (default: today)."""
    if not value:
        return _now().date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        expected = f"{value!r} is not a date YYYY-MM-DD"
        raise typer.BadParameter(expected, param_hint=f"'{option}'") from None


def _evidence(path: Path) -> bytes:
    """The bytes of the evidence file; one that cannot be read is a usage error."""
    try:
        return path.read_bytes()
    except OSError as e:
        expected = f"cannot read {path}: {e.strerror or e}"
        raise typer.BadParameter(expected, param_hint="'--evidence'") from None


def _done(what: str, url: str, key: Path, act: Callable[[CoopClient], Awaitable[int]]) -> None:
    """Run one signed act and say where it landed: ``<what> at entry <seq>``."""
    out().print(f"{what} at entry {_with_client(url, key, act)}", markup=False)


def _signed(what: str) -> Callable[[Callable[..., Awaitable[int]]], Callable[..., None]]:
    """Register a function of the client and of a command's own arguments and options as
    that command (its name, its docstring the help): ``--key`` comes first and ``--url``
    last, and it runs the one signed act and says ``<what> at entry <seq>``."""

    def register(send: Callable[..., Awaitable[int]]) -> Callable[..., None]:
        hints = get_type_hints(send, localns={"CoopClient": object}, include_extras=True)
        own = list(inspect.signature(send).parameters.values())[1:]
        keyword = inspect.Parameter.KEYWORD_ONLY
        params = [
            inspect.Parameter("key", keyword, annotation=KeyOption),
            *(p.replace(kind=keyword, annotation=hints[p.name]) for p in own),
            inspect.Parameter("url", keyword, annotation=UrlOption, default=DEFAULT_URL),
        ]

        def command(key: Path, url: str, **given: Any) -> None:
            _done(what, url, key, lambda client: send(client, **given))

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        command.__doc__ = send.__doc__
        return client_app.command(send.__name__.replace("_", "-"))(command)

    return register


ClaimArgument = Annotated[int, _entry("CLAIM", "The claim's entry.")]
AwardArgument = Annotated[int, _entry("AWARD", "The award's entry.")]
ProposalArgument = Annotated[int, _entry("PROPOSAL", "The proposal's entry.")]
RequestArgument = Annotated[int, _entry("REQUEST", "The join request's entry.")]
GroupArgument = Annotated[str, typer.Argument(help="The working group's slug.")]


@client_app.command()
def login(key: KeyOption, url: UrlOption = DEFAULT_URL) -> None:
    """Log in by signing the server's challenge; print who you are and your bearer token."""

    async def act(client: CoopClient) -> str:
        token = await client.login()
        return f"logged in as {client.member}\ntoken {token}"

    out().print(_with_client(url, key, act), markup=False)


@client_app.command()
def claim(
    key: KeyOption,
    activity: Annotated[str, typer.Option(help="The activity, e.g. mentoring.hour.")],
    quantity: Annotated[
        int,
        typer.Option(metavar="N", help="Units (hours, sessions, ...).", min=1, max=GRAPHQL_INT_MAX),
    ] = 1,
    evidence: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Evidence file: only its SHA-256 goes on the log.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Evidence as a short text, if there is no file."),
    ] = None,
    done_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="YYYY-MM-DD (default: today).")
    ] = None,
    counterparty: Annotated[
        str | None,
        typer.Option(metavar="MEMBER", help="Who confirms the claim: a member id or handle."),
    ] = None,
    bid: Annotated[str | None, typer.Option(help="The bid, for per-bid activities.")] = None,
    group: Annotated[str | None, typer.Option(help="The working group.")] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Claim credit for a contribution."""
    if (evidence is None) == (note is None):
        raise typer.BadParameter("give exactly one of --evidence and --note")
    day = _date(done_on, "--done-on")
    content = _evidence(evidence) if evidence is not None else str(note).encode()

    async def act(client: CoopClient) -> int:
        return await client.claim(
            activity=activity,
            quantity=quantity,
            done_on=day,
            evidence=content,
            counterparty=await _member(client, "--counterparty", counterparty),
            bid=bid,
            group=group,
        )

    _done("claimed", url, key, act)


@_signed("awarded")
def confirm(client: CoopClient, claim_seq: ClaimArgument) -> Awaitable[int]:
    """Confirm a claim (its counterparty, convenor or the board): the credits are awarded."""
    return client.confirm(claim_seq)


@client_app.command()
def register(
    key: KeyOption,
    attendee: Annotated[
        list[str],
        typer.Option(
            metavar="MEMBER", help="An attendee: a member id or handle (repeat for each)."
        ),
    ],
    title: Annotated[str, typer.Option(help="The session's title.")],
    activity: Annotated[str, typer.Option(help="The activity.")] = "workshop.attended",
    held_on: Annotated[
        str | None, typer.Option(metavar="DATE", help="YYYY-MM-DD (default: today).")
    ] = None,
    group: Annotated[str | None, typer.Option(help="The working group.")] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Record a session register (a convenor or the board): one award per attendee."""
    day = _date(held_on, "--held-on")

    async def act(client: CoopClient) -> tuple[int, list[int]]:
        attendees = await _members(client, "--attendee", attendee)
        return await client.record_register(
            activity=activity, held_on=day, attendees=attendees, title=title, group=group
        )

    session, awards = _with_client(url, key, act)
    out().print(f"session at entry {session}; {len(awards)} awards", markup=False)


@_signed("declined")
def decline(
    client: CoopClient,
    claim_seq: ClaimArgument,
    reason: Annotated[str, typer.Option(help="not_recognised, wrong_details, ...")],
) -> Awaitable[int]:
    """Decline a claim you would approve."""
    return client.decline(claim_seq, reason)


@_signed("withdrawn")
def withdraw(
    client: CoopClient, claim_seq: Annotated[int, _entry("CLAIM", "Your claim's entry.")]
) -> Awaitable[int]:
    """Withdraw your own open claim."""
    return client.decline(claim_seq, "withdrawn")


@_signed("disputed")
def dispute(
    client: CoopClient,
    award: AwardArgument,
    reason: Annotated[
        str, typer.Option(help="not_delivered, wrong_quantity, wrong_member, duplicate, other.")
    ],
) -> Awaitable[int]:
    """Dispute an award (its recipient or the claim's counterparty, within 14 days)."""
    return client.dispute(award, reason)


@_signed("reversed")
def reverse(
    client: CoopClient,
    award: AwardArgument,
    credits: Annotated[
        int,
        typer.Option(metavar="N", help="What remains of the award.", min=1, max=GRAPHQL_INT_MAX),
    ],
    reason: Annotated[str, typer.Option(help="error, duplicate, not_delivered, dispute_upheld.")],
) -> Awaitable[int]:
    """Reverse an award (a board member who neither approved nor received it)."""
    return client.reverse(award, credits, reason)


def _ballot(
    choice: str | None, option: int | None, ranking: str | None, ballot: str | None
) -> dict[str, Any]:
    given = [v for v in (choice, option, ranking, ballot) if v is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --choice, --option, --ranking, --ballot")
    if choice is not None:
        return {"choice": choice}
    if option is not None:
        return {"choice": option}
    if ranking is not None:
        return {"ranking": ranking.split(",")}
    try:
        value = json.loads(str(ballot))
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="'--ballot'")
    return value


@client_app.command()
def vote(
    key: KeyOption,
    proposal: ProposalArgument,
    choice: Annotated[
        str | None, typer.Option(help="A motion: agree, abstain, disagree or block.")
    ] = None,
    option: Annotated[
        int | None,
        typer.Option(
            metavar="N", help="Single choice: an option index.", min=0, max=GRAPHQL_INT_MAX
        ),
    ] = None,
    ranking: Annotated[
        str | None, typer.Option(metavar="N,N,...", help="Ranked: indices, best first: 2,0,1")
    ] = None,
    ballot: Annotated[str | None, typer.Option(metavar="JSON", help="Any ballot as JSON.")] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Vote on a proposal (a later vote replaces an earlier one until it closes)."""
    chosen = _ballot(choice, option, ranking, ballot)

    async def act(client: CoopClient) -> int:
        if option is not None or ranking is not None:
            options = await client.proposal_options(proposal)
            if option is not None:
                chosen["choice"] = _option_index(str(option), options, "--option")
            else:
                chosen["ranking"] = [
                    _option_index(p, options, "--ranking") for p in chosen["ranking"]
                ]
        return await client.vote(proposal, chosen)

    _done("voted", url, key, act)


def _option_index(given: str, options: list[str], option: str) -> int:
    """The index of the proposal's option that ``given`` names, by index or by its text; one
    the proposal does not have is a usage error naming ``option``."""
    part = given.strip()
    if part.isdecimal() and int(part) < len(options):
        return int(part)
    if part in options:
        return options.index(part)
    if not options:
        expected = f"{part!r}: the proposal has no options; vote with --choice"
    else:
        expected = (
            f"{part!r} is not an option of the proposal: give an index 0 to "
            f"{len(options) - 1} or an option's text"
        )
    raise typer.BadParameter(expected, param_hint=f"'{option}'")


@client_app.command()
def propose(
    key: KeyOption,
    group: Annotated[str, typer.Option(help="The working group, or assembly.")],
    title: Annotated[str, typer.Option(help="The proposal's title.")],
    text: Annotated[str, typer.Option(help="The proposal's text.")],
    method: Annotated[str, typer.Option(help="proposal, consent, single, irv, ...")] = "proposal",
    option: Annotated[
        list[str] | None, typer.Option(metavar="TEXT", help="An option (repeat).")
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            metavar="N", help="Days until it closes (at most 366).", min=1, max=MAX_OPEN_DAYS
        ),
    ] = 7,
    quorum: Annotated[
        str, typer.Option(metavar="P/Q", help="A fraction of the electorate.")
    ] = "0/1",
    threshold: Annotated[str, typer.Option(metavar="P/Q", help="A fraction of the votes.")] = "1/2",
    hidden: Annotated[bool, typer.Option(help="Seal the ballots until it closes.")] = False,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Open a proposal (the group's convenor or the board)."""
    closes = _now() + timedelta(days=days)

    async def act(client: CoopClient) -> int:
        return await client.propose(
            group=group,
            title=title,
            text=text,
            method=method,
            closes_at=closes,
            options=option or [],
            hidden=hidden,
            quorum=quorum,
            threshold=threshold,
        )

    _done("proposal opened", url, key, act)


@_signed("closed")
def close(
    client: CoopClient,
    proposal: ProposalArgument,
    reason: Annotated[str, typer.Option(help="closing_time, all_voted or early.")] = "early",
) -> Awaitable[int]:
    """Close a proposal (its convenor or the board)."""
    return client.close(proposal, reason)


@_signed("decision recorded")
def decide(
    client: CoopClient,
    proposal: ProposalArgument,
    statement: Annotated[str, typer.Option(help="The outcome statement.")],
    review_days: Annotated[
        int,
        typer.Option(
            metavar="N", help="Days until review (at most 36500).", min=1, max=MAX_REVIEW_DAYS
        ),
    ] = 180,
) -> Awaitable[int]:
    """Record the decision of a closed proposal, as counted from its ballots."""
    return client.decide(proposal, statement, _now().date() + timedelta(days=review_days))


@_signed("group created")
def create_group(
    client: CoopClient,
    group: Annotated[str, typer.Argument(help="The new group's slug, e.g. bid-writing.")],
    name: Annotated[str, typer.Option(help="The group's name.")],
) -> Awaitable[int]:
    """Create a working group (a board member)."""
    return client.create_group(group, name)


@_signed("role set")
async def set_role(
    client: CoopClient,
    group: GroupArgument,
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The member: an id or handle.")],
    role: Annotated[str, typer.Option(help="convenor, member or observer.")],
) -> int:
    """Set a member's role in a group (the board; a convenor moves member and observer)."""
    return await client.set_role(group, str(await _member(client, "MEMBER", member)), role)


@_signed("asked to join")
def join(
    client: CoopClient,
    group: GroupArgument,
    role: Annotated[str, typer.Option(help="member or observer.")] = "member",
) -> Awaitable[int]:
    """Ask to join a working group."""
    return client.join(group, role)


@_signed("approved")
def approve_join(client: CoopClient, request: RequestArgument) -> Awaitable[int]:
    """Approve a request to join your group (its convenor or the board)."""
    return client.approve_join(request)


@_signed("declined")
def decline_join(client: CoopClient, request: RequestArgument) -> Awaitable[int]:
    """Decline a request to join your group, or withdraw your own request."""
    return client.decline_join(request)


@_signed("left")
def leave(client: CoopClient, group: GroupArgument) -> Awaitable[int]:
    """Leave a working group."""
    return client.leave(group)


@client_app.command()
def balance(
    key: OptionalKey = None,
    member: MemberOption = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """A member's lifetime balance."""

    async def act(client: CoopClient) -> int:
        return await client.balance(await _member(client, "--member", member))

    out().print(str(_with_client(url, key, act)), markup=False)


@client_app.command()
def statement(
    key: OptionalKey = None,
    member: MemberOption = None,
    last: Annotated[int, typer.Option(metavar="N", help="How many lines.", min=1, max=100)] = 20,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """A member's statement: every line explained, with the running balance."""
    from rich.table import Table

    async def act(client: CoopClient) -> dict[str, Any]:
        return await client.statement(await _member(client, "--member", member), last)

    found = _with_client(url, key, act)
    table = Table(title=f"{found['id']}: balance {found['balance']}, standing {found['standing']}")
    for column in ("entry", "date", "what", "activity", "by", "credits", "balance"):
        table.add_column(column, justify="right" if column in ("credits", "balance") else "left")
    for line in found["statement"]["nodes"]:
        table.add_row(
            str(line["seq"]),
            line["activityOn"],
            line["kind"] if line["reason"] is None else f"{line['kind']} ({line['reason']})",
            f"{line['activity']} x{line['quantity']}",
            line["approver"],
            f"{line['credits']:+d}",
            str(line["balance"]),
        )
    out().print(table)


@client_app.command()
def prove(
    ctx: typer.Context,
    index: Annotated[
        int,
        typer.Option(
            "--index", "--seq", metavar="I", help="The entry's index.", min=0, max=GRAPHQL_INT_MAX
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="COOPLEDGER_URL",
            metavar="URL",
            help=f"A server to ask (default: {DEFAULT_URL}).",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            envvar="COOPLEDGER_DATA",
            metavar="DIR",
            help="A data directory, instead of a server.",
        ),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Tree size (default: the latest checkpoint's).",
            min=1,
            max=GRAPHQL_INT_MAX,
        ),
    ] = None,
    key: OptionalKey = None,
    witnesses: WitnessesOption = None,
    witness_key: WitnessKeyOption = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Write a C2SP tlog-proof file (with the checkpoint note) instead of JSON.",
        ),
    ] = None,
    entry_out: Annotated[
        Path | None,
        typer.Option("--entry-out", metavar="FILE", help="With --out: the entry's exact bytes."),
    ] = None,
) -> None:
    """Print an RFC 9162 inclusion proof as JSON, checked before it is printed.

    From a server (--url) the proof is checked against its signed checkpoint (with
    --witnesses K, its latest witnessed checkpoint, refused unless K of the --witness-key
    keys cosigned it); with --data it is read from the local database. An option on the
    command line wins over the environment's COOPLEDGER_URL or COOPLEDGER_DATA. With --out,
    write a proof file that `coopledger verify-proof` checks offline.
    """
    required = witness_requirement(witnesses, witness_key)
    if url is not None and data is not None:
        url_given, data_given = _on_command_line(ctx, "url"), _on_command_line(ctx, "data")
        if url_given == data_given:
            where = "on the command line" if url_given else "in the environment"
            raise typer.BadParameter(f"--url and --data are both given {where}; give one")
        url, data = (url, None) if url_given else (None, data)
    if data is None and size is not None:
        raise typer.BadParameter("--size is for --data; a server proves against its latest")
    if entry_out is not None and out_file is None:
        raise typer.BadParameter("--entry-out is for --out")
    if out_file is not None:
        from api.cli_proofs import write_proof

        remote = (url or DEFAULT_URL) if data is None else None
        if required is not None and remote is None:
            raise typer.BadParameter("--witnesses and --witness-key are for a server (--url)")
        write_proof(
            out_file,
            entry_out,
            index=index,
            url=remote,
            data=data,
            size=size,
            key=key,
            required=required,
        )
        return
    if data is None:
        proof = _with_client(url or DEFAULT_URL, key, lambda c: _prove_remote(c, index, required))
    else:
        if required is not None:
            raise typer.BadParameter("--witnesses and --witness-key are for a server (--url)")
        import asyncio

        from ledger.config import Settings

        with _expected():
            proof = asyncio.run(_prove_local(Settings(data=data), index, size))
    keys = ("index", "size", "leafHash", "path", "root")
    body = {name.replace("leafHash", "leaf_hash"): proof[name] for name in keys}
    typer.echo(json.dumps(body, indent=2))


async def _prove_remote(
    client: CoopClient, index: int, required: tuple[list[str], int] | None
) -> dict[str, Any]:
    from ledger.witnessing import witness_verifiers

    keys, quorum = required or ([], 0)
    return await client.prove(index, witnesses=witness_verifiers(keys), quorum=quorum)


def _on_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


async def _prove_local(settings: Settings, index: int, size: int | None) -> dict[str, Any]:
    from api.runtime import open_store
    from ledger.config import load_config
    from ledger.log import LogView
    from ledger.merkle import verify_inclusion

    config = load_config(settings)
    store = await open_store(config.database_url, migrate=False)
    try:
        view = LogView(store)
        tree_size = size or (await view.latest_checkpoint()).size
        proof = await view.inclusion(index, tree_size)
    finally:
        await store.close()
    verify_inclusion(
        leaf_hash=proof.leaf_hash, index=index, size=tree_size, path=proof.path, root=proof.root
    )
    return {
        "index": proof.index,
        "size": proof.size,
        "leafHash": proof.leaf_hash.hex(),
        "path": [node.hex() for node in proof.path],
        "root": proof.root.hex(),
    }
