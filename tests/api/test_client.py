"""The Python client in process (ASGI), and the member commands against a live server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli import app as coopledger
from api.cli_client import client_app
from api.client import ApiError, CoopClient, Refused
from api.client_core import ClientCore, KeyLogin
from api.runtime import init_ledger
from api.settings import ApiSettings
from ledger.authoring import StatementFactory
from ledger.config import LedgerConfig, Settings
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import b64encode, utc_now
from ledger.keys import write_member_key
from ledger.note import NoteSigner
from ledger.signing import STATEMENT_DOMAIN, Keypair
from tests.api.graphql_world import ORIGIN, RULES, TODAY, GraphQLWorld, graphql_world
from tests.api.live import served_in_thread

runner = CliRunner()
AUDITOR = Keypair(b"auditor".ljust(32, b"\0"))
"""A registered auditor of every server these tests start (``auditors.json``)."""


@pytest.fixture
async def world(sqlite_url_migrated: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(sqlite_url_migrated, tmp_path) as served:
        await served.group("markets-data-trust", convenor="croydon-print", members=["merton-care"])
        yield served


def _client(world: GraphQLWorld, who: str, http: httpx.AsyncClient) -> CoopClient:
    return CoopClient("http://test", keypair=world.keys[who], member=who, http=http)


async def test_the_client_signs_acts_and_checks_proofs(world: GraphQLWorld) -> None:
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        student, printer = _client(world, "student-1", http), _client(world, "croydon-print", http)
        await student.login()
        claim = await student.claim(
            activity="mentoring.hour",
            quantity=2,
            done_on=TODAY,
            evidence=b"session notes",
            counterparty="croydon-print",
        )
        with pytest.raises(Refused) as refused:
            await student.confirm(claim)
        assert refused.value.code == "self_approval"
        award = await printer.confirm(claim)
        assert await student.balance() == 4
        lines = (await student.statement())["statement"]["nodes"]
        assert [line["seq"] for line in lines] == [award]
        proof = await student.prove(award)
        assert proof["index"] == award and proof["size"] > award
        proposal = await printer.propose(
            group="markets-data-trust",
            title="A data trust pilot",
            text="Shall we pilot a data trust with the council?",
            method="proposal",
            closes_at=utc_now() + timedelta(days=3),
            hidden=True,
        )
        merton = _client(world, "merton-care", http)
        await merton.vote(proposal, {"choice": "agree"})
        await printer.vote(proposal, {"choice": "agree"})
        await printer.close(proposal, "all_voted")
        await printer.decide(proposal, "We run the pilot.", TODAY + timedelta(days=90))
        data = await student.graphql(
            "query($p: Int!) { proposal(seq: $p) { status decision { passed } } }", {"p": proposal}
        )
        assert data["proposal"] == {"status": "decided", "decision": {"passed": True}}


@contextmanager
def _serving(tmp_path: Path, options: ApiSettings) -> Iterator[tuple[str, LedgerConfig]]:
    """A server on a free loopback port in a thread of this process."""
    settings = Settings(data=tmp_path / "data")
    config = asyncio.run(
        init_ledger(
            settings, origin=ORIGIN, steward_id="steward", rules=rule_table_from_community(RULES)
        )
    )
    document = {"auditors": [{"name": "Anchor Audit", "public_key": AUDITOR.public_key_b64}]}
    (config.data.root / "auditors.json").write_text(json.dumps(document))
    with served_in_thread(create_app(config=config, api_settings=options)) as url:
        yield url, config


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, LedgerConfig]]:
    with _serving(tmp_path, ApiSettings()) as served:
        yield served


@pytest.fixture
def private_live(tmp_path: Path) -> Iterator[tuple[str, LedgerConfig]]:
    """A server of a private log: its reads and the log's endpoints need a login."""
    with _serving(tmp_path, ApiSettings(private_log=True)) as served:
        yield served


def _admitted(url: str, config: LedgerConfig, tmp_path: Path, *names: str) -> dict[str, Path]:
    """Key files as ``coopledger keygen`` writes them (naming no member), each admitted."""
    keys = {name: tmp_path / f"{name}.key" for name in names}
    for path in keys.values():
        write_member_key(path, Keypair.generate())

    async def admit() -> None:
        async with CoopClient(url, keypair=config.steward()) as steward:
            for name, path in keys.items():
                key = json.loads(path.read_text())["public_key"]
                await steward.admit(member=name, public_key=key, kind="sme", borough="Sutton")

    asyncio.run(admit())
    return keys


def _claim(url: str, key: Path, counterparty: str, note: str, *options: str) -> int:
    """``claim`` an hour of mentoring ``counterparty`` with the client; the claim's seq."""
    claimed = cli(
        "claim",
        "--url",
        url,
        "--key",
        key,
        "--activity",
        "mentoring.hour",
        "--note",
        note,
        "--counterparty",
        counterparty,
        *options,
    )
    return int(claimed.split()[-1])


def _spoiled(token: str) -> str:
    """``token`` with its first character changed: its MAC fails, as an expired one's would
    (both answer ``unauthenticated``)."""
    return ("B" if token[0] == "A" else "A") + token[1:]


def cli(*args: str | Path) -> str:
    result = runner.invoke(client_app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_member_commands_against_a_live_server(
    live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = live
    keys = _admitted(url, config, tmp_path, "ana", "ben")
    steward = config.data.steward_key_file
    assert "logged in as ana" in cli("login", "--url", url, "--key", keys["ana"])
    claim = _claim(url, keys["ana"], "ben", "mentored ben on bids", "--quantity", "1")
    awarded = cli("confirm", "--url", url, "--key", keys["ben"], str(claim))
    award = int(awarded.split()[-1])
    assert cli("balance", "--url", url, "--member", "ana").strip() == "2"
    assert cli("balance", "--url", url, "--key", keys["ana"]).strip() == "2"  # named at login
    lines = cli("statement", "--url", url, "--key", keys["ana"])
    assert "ana: balance 2" in lines and str(award) in lines
    nobody = runner.invoke(client_app, ["balance", "--url", url])
    assert nobody.exit_code == 1 and "--member" in nobody.output
    opened = cli(
        "propose",
        "--url",
        url,
        "--key",
        steward,
        "--group",
        "assembly",
        "--title",
        "Adopt the data charter",
        "--text",
        "Adopt the charter as drafted.",
    )
    proposal = int(opened.split()[-1])
    assert "voted at entry" in cli(
        "vote", "--url", url, "--key", keys["ana"], str(proposal), "--choice", "agree"
    )
    proof = json.loads(cli("prove", "--url", url, "--index", str(award)))
    assert proof["index"] == award and proof["root"]
    by_default = runner.invoke(client_app, ["prove", "--index", "1"], env={"COOPLEDGER_URL": url})
    assert by_default.exit_code == 0 and json.loads(by_default.stdout)["index"] == 1
    root = str(config.data.root)
    both = {"COOPLEDGER_URL": url, "COOPLEDGER_DATA": root}
    local = runner.invoke(client_app, ["prove", "--index", "1", "--data", root], env=both)
    assert local.exit_code == 0 and json.loads(local.stdout) == json.loads(by_default.stdout)
    served = runner.invoke(client_app, ["prove", "--index", "1", "--url", url], env=both)
    assert served.exit_code == 0 and json.loads(served.stdout) == json.loads(by_default.stdout)
    unclear = runner.invoke(client_app, ["prove", "--index", "1"], env=both)
    assert unclear.exit_code == 2 and "both given in the environment" in unclear.output
    refused = runner.invoke(
        client_app, ["confirm", "--url", url, "--key", str(keys["ana"]), str(claim)]
    )
    assert refused.exit_code == 1 and "error: " in refused.output
    disputed = cli(
        "dispute", "--url", url, "--key", keys["ana"], str(award), "--reason", "wrong_quantity"
    )
    assert disputed.startswith("disputed at entry")
    reversed_ = cli(
        "reverse", "--url", url, "--key", steward, str(award), "--credits", "2", "--reason", "error"
    )
    assert reversed_.startswith("reversed at entry")
    assert cli("balance", "--url", url, "--member", "ana").strip() == "0"


def _usage_errors(result: Result) -> list[str]:
    """The error lines of a usage error (exit 2)."""
    assert result.exit_code == 2, result.output
    return [line for line in result.output.splitlines() if "rror" in line]


def test_member_commands_take_handles_wherever_they_name_a_member(
    live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = live
    keys = {name: tmp_path / f"{name}.key" for name in ("ana", "ben")}

    async def admit() -> None:
        async with CoopClient(url, keypair=config.steward()) as steward:
            for name, path in keys.items():
                keypair = Keypair.generate()
                write_member_key(path, keypair, member=f"m-{name}0000")
                await steward.admit(
                    member=f"m-{name}0000",
                    public_key=keypair.public_key_b64,
                    kind="sme",
                    borough="Sutton",
                    handle=name,
                )

    asyncio.run(admit())
    steward = config.data.steward_key_file
    claim = _claim(url, keys["ana"], "ben", "mentored ben")
    cli("confirm", "--url", url, "--key", keys["ben"], str(claim))
    assert cli("balance", "--url", url, "--member", "ana").strip() == "2"
    assert cli("balance", "--url", url, "--member", "m-ana0000").strip() == "2"
    assert "m-ana0000: balance 2" in cli("statement", "--url", url, "--member", "ana")
    registered = cli(
        "register",
        "--url",
        url,
        "--key",
        steward,
        "--title",
        "Fit to Bid",
        "--attendee",
        "ana",
        "--attendee",
        "m-ben0000",
    )
    assert registered.endswith("; 2 awards\n")
    assert cli("balance", "--url", url, "--member", "ben").strip() == "2"
    assert cli("balance", "--url", url, "--member", "ana").strip() == "4"
    cli("create-group", "--url", url, "--key", steward, "bids", "--name", "Bids")
    cli("set-role", "--url", url, "--key", steward, "bids", "ben", "--role", "convenor")

    async def convenor() -> object:
        async with CoopClient(url) as anyone:
            data = await anyone.graphql('{ group(slug: "bids") { convenor } }')
            return data["group"]["convenor"]

    assert asyncio.run(convenor()) == "m-ben0000"

    def refused(*args: str | Path) -> list[str]:
        return _usage_errors(runner.invoke(client_app, [*map(str, args), "--url", url]))

    claim = ("claim", "--key", keys["ana"], "--activity", "mentoring.hour", "--note", "n")
    assert refused(*claim, "--counterparty", "cal") == [
        "Error: Invalid value for '--counterparty': no member with id or handle 'cal'"
    ]
    assert refused(
        "register", "--key", steward, "--title", "T", "--attendee", "ana", "--attendee", "dee"
    ) == ["Error: Invalid value for '--attendee': no member with id or handle 'dee'"]
    assert refused("balance", "--member", "zed") == [
        "Error: Invalid value for '--member': no member with id or handle 'zed'"
    ]
    assert refused("statement", "--member", "zed") == [
        "Error: Invalid value for '--member': no member with id or handle 'zed'"
    ]
    assert refused("set-role", "--key", steward, "bids", "zed", "--role", "member") == [
        "Error: Invalid value for 'MEMBER': no member with id or handle 'zed'"
    ]
    assert refused(*claim, "--done-on", "yesterday") == [
        "Error: Invalid value for '--done-on': 'yesterday' is not a date YYYY-MM-DD"
    ]
    assert cli("balance", "--url", url, "--member", "ana").strip() == "4"  # nothing was added


def test_checkpoints_arrive_over_a_websocket(live: tuple[str, LedgerConfig]) -> None:
    from websockets.asyncio.client import connect

    url, config = live

    async def run() -> tuple[int, int]:
        ws_url = url.replace("http://", "ws://") + "/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            query = "subscription { checkpoints { size } }"
            await socket.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})
            )
            first = json.loads(await asyncio.wait_for(socket.recv(), 5))
            async with CoopClient(url, keypair=config.steward()) as steward:
                await steward.admit(
                    member="carol",
                    public_key=Keypair.generate().public_key_b64,
                    kind="sme",
                    borough="Merton",
                )
            second = json.loads(await asyncio.wait_for(socket.recv(), 5))
            sizes = (first, second)
            return tuple(m["payload"]["data"]["checkpoints"]["size"] for m in sizes)  # type: ignore[return-value]

    before, after = asyncio.run(run())
    assert after == before + 1


async def test_a_convenor_records_a_register_and_every_attendee_is_awarded(
    world: GraphQLWorld,
) -> None:
    await world.group("business-services", convenor="sutton-books", members=["croydon-print"])
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        convenor = _client(world, "sutton-books", http)
        session, awards = await convenor.record_register(
            activity="workshop.attended",
            held_on=TODAY,
            attendees=["croydon-print", "student-1", "merton-care"],
            title="Fit to Bid",
            group="business-services",
        )
        assert len(awards) == 3 and min(awards) > session
        for who in ("croydon-print", "student-1", "merton-care"):
            assert await _client(world, who, http).balance() == 2
        with pytest.raises(Refused) as refused:
            await _client(world, "croydon-print", http).record_register(
                activity="workshop.attended",
                held_on=TODAY,
                attendees=["student-1"],
                title="Not my group to convene",
                group="business-services",
            )
        assert refused.value.code == "not_authorised"


def test_a_working_group_from_the_command_line(
    live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = live
    keys = _admitted(url, config, tmp_path, "ana", "ben", "cal")
    steward = config.data.steward_key_file

    def seq(*args: str | Path) -> int:
        return int(cli(*args, "--url", url).split()[-1])

    def refused(*args: str | Path) -> str:
        result = runner.invoke(client_app, [*map(str, args), "--url", url])
        assert result.exit_code == 1 and result.output.startswith("error: "), result.output
        return result.output

    created = seq("create-group", "--key", steward, "bid-writing", "--name", "Bid writing")
    asked = seq("join", "--key", keys["ana"], "bid-writing")
    assert "not_convenor" in refused("approve-join", "--key", keys["ben"], str(asked))
    made = seq("set-role", "--key", steward, "bid-writing", "ben", "--role", "convenor")
    approved = seq("approve-join", "--key", keys["ben"], str(asked))  # now its convenor
    withdrawn = seq(
        "decline-join", "--key", keys["cal"], str(seq("join", "--key", keys["cal"], "bid-writing"))
    )
    left = seq("leave", "--key", keys["ana"], "bid-writing")
    assert created < asked < made < approved < withdrawn < left

    async def group() -> dict[str, object]:
        async with CoopClient(url) as anyone:
            data = await anyone.graphql(
                '{ group(slug: "bid-writing") { convenor members { nodes { member } } '
                "openRequests { nodes { seq } } } }"
            )
        return dict(data["group"])

    assert asyncio.run(group()) == {
        "convenor": "ben",
        "members": {"nodes": [{"member": "ben"}]},
        "openRequests": {"nodes": []},
    }


def test_a_private_log_is_read_by_logging_in_with_a_key(
    private_live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = private_live
    keys = _admitted(url, config, tmp_path, "ana")
    anonymous = runner.invoke(client_app, ["balance", "--url", url, "--member", "ana"])
    assert anonymous.exit_code == 1 and "error: unauthenticated" in anonymous.output
    assert cli("balance", "--url", url, "--key", keys["ana"]).strip() == "0"
    unproved = runner.invoke(client_app, ["prove", "--url", url, "--index", "1"])
    assert unproved.exit_code == 1 and "error: unauthenticated" in unproved.output
    proof = json.loads(cli("prove", "--url", url, "--index", "1", "--key", keys["ana"]))
    assert proof["index"] == 1
    refused = runner.invoke(coopledger, ["audit", "--url", url])
    assert refused.exit_code == 1 and "answered 401" in refused.output
    audited = runner.invoke(coopledger, ["audit", "--url", url, "--login-key", str(keys["ana"])])
    assert audited.exit_code == 0
    assert audited.stdout.startswith("audit ok: 3 entries, 1 checkpoint, root ")
    auditor = tmp_path / "audit.key"
    write_member_key(auditor, AUDITOR)
    by_auditor = runner.invoke(coopledger, ["audit", "--url", url, "--login-key", str(auditor)])
    assert by_auditor.exit_code == 0 and by_auditor.stdout == audited.stdout
    pinned_elsewhere = NoteSigner.generate("other.example/log").verifier.vkey()
    misled = runner.invoke(
        coopledger,
        ["audit", "--url", url, "--key", pinned_elsewhere, "--login-key", str(auditor)],
    )  # a server of another log than the one pinned gets no login from this key
    assert misled.exit_code == 1 and misled.output.startswith("error: login_refused")
    stranger = tmp_path / "stranger.key"
    write_member_key(stranger, Keypair.generate())
    unknown = runner.invoke(coopledger, ["audit", "--url", url, "--login-key", str(stranger)])
    assert unknown.exit_code == 1 and unknown.output.startswith("error: login_refused")


def test_an_expired_token_is_renewed_by_logging_in_again(
    private_live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = private_live
    keys = _admitted(url, config, tmp_path, "ana")

    async def read() -> tuple[str, int]:
        async with CoopClient.from_key_file(url, keys["ana"]) as ana:
            forged = ana.token = _spoiled(await ana.login())
            balance = await ana.balance()  # refused as unauthenticated, then logged in again
            assert ana.token not in (None, forged)
            return ana.member or "", balance

    assert asyncio.run(read()) == ("ana", 0)


def test_a_proposal_is_drafted_again_after_the_token_expired(
    live: tuple[str, LedgerConfig],
) -> None:
    url, config = live

    async def propose() -> int:
        async with CoopClient(url, keypair=config.steward()) as steward:
            steward.token = _spoiled(await steward.login())
            return await steward.propose(
                group="assembly",
                title="Adopt the charter",
                text="Adopt the data charter as drafted.",
                method="proposal",
                closes_at=utc_now() + timedelta(days=3),
            )

    assert asyncio.run(propose()) > 0


def test_parallel_requests_refused_together_log_in_once(
    private_live: tuple[str, LedgerConfig], tmp_path: Path
) -> None:
    url, config = private_live
    keys = _admitted(url, config, tmp_path, "ana")

    async def fetch() -> tuple[list[int], int]:
        async with ClientCore.from_key_file(url, keys["ana"]) as core:
            logins = 0
            login = core.login

            async def counted() -> str:
                nonlocal logins
                logins += 1
                return await login()

            core.login = counted  # type: ignore[method-assign]
            async with httpx.AsyncClient(auth=KeyLogin(core)) as http:
                answers = await asyncio.gather(
                    *(http.get(f"{url}/log/entries?start=0&end={n}") for n in range(1, 9))
                )
        return [a.status_code for a in answers], logins

    assert asyncio.run(fetch()) == ([200] * 8, 1)


async def test_the_client_signs_nothing_but_a_login_challenge() -> None:
    """A server (or anyone on the wire) that sends a statement's signing bytes as the login
    message gets no signature: the client builds the message it signs itself."""
    keypair = Keypair.generate()
    bait = StatementFactory("evil.example/log").sign(keypair, "member.key_rotated", {})
    asked: list[str] = []

    def hostile(request: httpx.Request) -> httpx.Response:
        query = json.loads(request.content)["query"]
        asked.append(query)
        if "logInfo" in query:
            info = {"origin": "evil.example/log", "verifierKey": "", "windowSeconds": 600}
            return httpx.Response(200, json={"data": {"logInfo": {**info, "private": True}}})
        message = STATEMENT_DOMAIN + bait.canonical  # what a signature would give away
        challenge = {"challenge": "c", "expiresAt": 0, "message": b64encode(message)}
        return httpx.Response(200, json={"data": {"requestLoginChallenge": challenge}})

    transport = httpx.MockTransport(hostile)
    async with httpx.AsyncClient(transport=transport) as http:
        client = CoopClient("http://evil.example", keypair=keypair, http=http)
        with pytest.raises(ApiError) as refused:
            await client.login()
    assert refused.value.code == "login_refused"
    assert not any("login(" in query for query in asked)  # no signature ever sent
