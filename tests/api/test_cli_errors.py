"""Bad input on the command line is one line naming the option, never a traceback; what a
server refuses is one line ``error: <code>: <message>``."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli import app
from api.client import ApiError, CoopClient
from api.runtime import init_ledger
from api.settings import ApiSettings
from ledger.config import Settings
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import utc_now
from ledger.keys import write_member_key
from ledger.signing import Keypair
from tests.api.graphql_world import ORIGIN, RULES

runner = CliRunner()
HUGE = "99999999999999999999"


@dataclass
class Served:
    url: str
    steward: Path
    ana: Path
    ranked: int
    """A proposal whose options are red, blue and green."""
    motion: int
    """A proposal with no options (agree, disagree, ...)."""

    def size(self) -> int:
        return int(httpx.get(f"{self.url}/healthz", timeout=5).json()["size"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on a free loopback port in a thread, with a member and two proposals."""
    root = tmp_path_factory.mktemp("cli-errors")
    config = asyncio.run(
        init_ledger(
            Settings(data=root / "data"),
            origin=ORIGIN,
            steward_id="steward",
            rules=rule_table_from_community(RULES),
        )
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config=config, api_settings=ApiSettings()),
            host="127.0.0.1",
            port=_free_port(),
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.config.port}"
    ana = root / "ana.key"
    keypair = Keypair.generate()
    write_member_key(ana, keypair, member="m-ana0000")

    async def setup() -> tuple[int, int]:
        async with CoopClient(url, keypair=config.steward(), member="steward") as steward:
            await steward.admit(
                member="m-ana0000", public_key=keypair.public_key_b64, kind="sme", borough="Sutton"
            )
            common = {"group": "assembly", "text": "?", "closes_at": utc_now() + timedelta(days=3)}
            ranked = await steward.propose(
                title="Colour", method="irv", options=["red", "blue", "green"], **common
            )
            motion = await steward.propose(title="Charter", method="proposal", **common)
            return ranked, motion

    ranked, motion = asyncio.run(setup())
    yield Served(url, config.data.steward_key_file, ana, ranked, motion)
    server.should_exit = True
    thread.join(10)


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def _no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def usage_error(*args: str | Path) -> str:
    """The one error line of a usage error (exit 2) of ``coopledger args``."""
    result = run(*args)
    _no_traceback(result)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "rror" in line]
    assert len(lines) == 1, result.output
    return lines[0]


def failure(*args: str | Path, exit_code: int) -> str:
    """The whole output, one line on stderr, of a failure of ``coopledger args``."""
    result = run(*args)
    _no_traceback(result)
    assert result.exit_code == exit_code, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.output
    return result.stderr.rstrip("\n")


def _claim(served: Served) -> tuple[str | Path, ...]:
    return ("claim", "--url", served.url, "--key", served.ana, "--activity", "mentoring.hour")


@pytest.mark.parametrize("day", ["2026-13-01", "02/12/2026", "2026-02-30"])
def test_a_date_that_is_not_yyyy_mm_dd(served: Served, day: str) -> None:
    before = served.size()
    line = usage_error(*_claim(served), "--note", "n", "--done-on", day)
    assert line == f"Error: Invalid value for '--done-on': {day!r} is not a date YYYY-MM-DD"
    assert served.size() == before


def test_an_evidence_file_that_is_missing_or_a_directory(served: Served, tmp_path: Path) -> None:
    before = served.size()
    missing = tmp_path / "nonexistent"
    assert usage_error(*_claim(served), "--evidence", missing) == (
        f"Error: Invalid value for '--evidence': file '{missing}' does not exist."
    )
    assert usage_error(*_claim(served), "--evidence", tmp_path) == (
        f"Error: Invalid value for '--evidence': file '{tmp_path}' is a directory."
    )
    assert served.size() == before


def test_a_ballot_that_is_not_a_json_object(served: Served) -> None:
    vote = ("vote", "--url", served.url, "--key", served.ana, str(served.ranked))
    for ballot in ("{bad", "[1]", '"agree"'):
        assert usage_error(*vote, "--ballot", ballot) == (
            "Error: Invalid value for '--ballot': must be a JSON object"
        )


def test_options_the_proposal_does_not_have(served: Served) -> None:
    before = served.size()
    vote = ("vote", "--url", served.url, "--key", served.ana)
    not_ours = "is not an option of the proposal: give an index 0 to 2 or an option's text"
    assert usage_error(*vote, str(served.ranked), "--ranking", "a,b") == (
        f"Error: Invalid value for '--ranking': 'a' {not_ours}"
    )
    assert usage_error(*vote, str(served.ranked), "--ranking", "blue,3") == (
        f"Error: Invalid value for '--ranking': '3' {not_ours}"
    )
    assert usage_error(*vote, str(served.ranked), "--option", "7") == (
        f"Error: Invalid value for '--option': '7' {not_ours}"
    )
    assert usage_error(*vote, str(served.motion), "--ranking", "0") == (
        "Error: Invalid value for '--ranking': '0': the proposal has no options; vote with --choice"
    )
    assert served.size() == before
    voted = run(*vote, str(served.ranked), "--ranking", "green,0")  # texts and indexes
    assert voted.exit_code == 0, voted.output
    assert served.size() == before + 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", "is not a coopledger-ed25519-v1 key file"),
        ("[1, 2]", "is not a coopledger-ed25519-v1 key file"),
        ('"seed"', "is not a coopledger-ed25519-v1 key file"),
        ("not json", "is not a valid key file: Expecting value"),
        (None, "no key file at"),
    ],
)
def test_a_key_file_that_is_not_a_key_file(
    served: Served, tmp_path: Path, content: str | None, expected: str
) -> None:
    key = tmp_path / "member.key"
    if content is not None:
        key.write_text(content)
        key.chmod(0o600)
    line = usage_error("balance", "--url", served.url, "--key", key)
    assert line.startswith("Error: Invalid value for '--key': ") and expected in line, line
    line = usage_error("audit", "--url", served.url, "--login-key", key)
    assert line.startswith("Error: Invalid value for '--login-key': ") and expected in line


@pytest.mark.parametrize(
    ("args", "named", "most"),
    [
        (("confirm", HUGE), "CLAIM", 2**31 - 1),
        (("confirm", "2147483648"), "CLAIM", 2**31 - 1),
        (("dispute", HUGE, "--reason", "other"), "AWARD", 2**31 - 1),
        (("vote", HUGE, "--choice", "agree"), "PROPOSAL", 2**31 - 1),
        (("approve-join", HUGE), "REQUEST", 2**31 - 1),
        (("reverse", "1", "--credits", HUGE, "--reason", "error"), "--credits", 2**31 - 1),
        (("claim", "--activity", "a", "--note", "n", "--quantity", HUGE), "--quantity", 2**31 - 1),
        (("propose", "--group", "g", "--title", "t", "--text", "x", "--days", HUGE), "--days", 366),
        (("decide", "1", "--statement", "s", "--review-days", HUGE), "--review-days", 36500),
    ],
)
def test_a_number_too_large_for_the_server_is_refused_before_it_is_sent(
    served: Served, args: tuple[str, ...], named: str, most: int
) -> None:
    before = served.size()
    line = usage_error(*args, "--url", served.url, "--key", served.ana)
    assert (
        line == f"Error: Invalid value for '{named}': Input should be less than or equal to {most}"
    )
    assert served.size() == before


def test_an_index_too_large_for_the_server(served: Served) -> None:
    assert usage_error("prove", "--url", served.url, "--index", HUGE) == (
        "Error: Invalid value for '--index' / '--seq': "
        "Input should be less than or equal to 2147483647"
    )


def test_a_checkpoint_size_too_large_for_the_database(tmp_path: Path) -> None:
    line = usage_error("report", "social-value", "2026Q4", "--data", tmp_path, "--at", HUGE)
    assert line == (
        f"Error: Invalid value for '--at': Input should be less than or equal to {2**63 - 1}"
    )


def test_keygen_creates_no_directory(tmp_path: Path) -> None:
    out = tmp_path / "nonexistent" / "dir" / "x.key"
    assert usage_error("keygen", "--out", out) == (
        f"Error: Invalid value for '--out': no directory {out.parent}; the key file's "
        "directory must exist"
    )
    assert not (tmp_path / "nonexistent").exists()


def test_a_refusal_by_the_ledger_is_one_line_with_its_code(served: Served) -> None:
    before = served.size()
    line = failure(*_claim(served), "--note", "n", "--activity", "nope", exit_code=1)
    assert line.startswith("error: unknown_activity: activity 'nope' is not in rule table")
    line = failure("confirm", "--url", served.url, "--key", served.ana, "999", exit_code=1)
    assert line == "error: not_found: there is no claim at entry 999"
    assert served.size() == before


def test_a_request_the_server_calls_bad_is_a_usage_error(served: Served) -> None:
    propose = ("propose", "--url", served.url, "--key", served.steward, "--group", "assembly")
    line = failure(*propose, "--title", "t", "--text", "x", "--quorum", "abc", exit_code=2)
    assert line == "error: bad_request: 'abc' is not a fraction 'n/d'"


async def test_a_graphql_error_without_a_code_is_a_bad_request(served: Served) -> None:
    async with CoopClient(served.url) as client:
        with pytest.raises(ApiError) as raised:
            await client.graphql("query($n: Int!) { entry(seq: $n) { seq } }", {"n": 2**40})
    assert raised.value.code == "bad_request"
    assert "Int cannot represent non 32-bit signed integer value" in raised.value.message
