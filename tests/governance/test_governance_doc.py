"""docs/governance.md's worked examples are exactly what the code gives.

The examples are read out of the markdown (the table of counts and outcomes, the transcript
laid out for reading, the bytes and hashes in code blocks) and recomputed with the real tally,
seal, reminder and check code, so a stranger recounting from the document gets our bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey, SealedBox

from governance import client, reports
from governance import store as governance_store
from governance.bodies import CloseBody, RoleBody, VoteBody
from governance.checks import CastState, ClosedState, cast_rule, closed_rule
from governance.errors import SPOILED_REASONS, SpoiledBallotError, VotingWindowError
from governance.opening import electorate_digest, parse_opening
from governance.records import OPEN, ProposalRecord
from governance.reminders import agree_votes_needed
from governance.seal import open_ballot, seal_ballot
from governance.tally import Rules, get_method, seeded_order
from governance.tally.proposal_count import CastBallot, count_proposal
from ledger.encoding import b64encode, canonical_json
from ledger.errors import NotAuthorisedError
from ledger.members import MemberRecord
from ledger.signing import Keypair
from ledger.statement import Entry, sign_statement
from tests.conftest import SQL_BACKENDS
from tests.governance.world import GROUP, governance_world

DOC = Path(__file__).resolve().parents[2] / "docs" / "governance.md"
ORIGIN = "example.coopledger/log"
MEMBERS = ["ana", "ben", "cai", "dan", "eve"]
OPTIONS = ["Garden", "Library", "Workshop"]
SEAL = PrivateKey(bytes(range(64, 96)))
ROLE = "governance.group.role_set"
CAST = "governance.vote.cast"
OPENS_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLOSES_AT = datetime(2026, 3, 9, 9, tzinfo=UTC)


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text under the heading ``title`` up to the next heading of its level or above."""
    text = _doc()
    match = re.search(rf"^(#+) {re.escape(title)}\n", text, flags=re.MULTILINE)
    assert match, f"docs/governance.md has no section {title!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest if end is None else rest[: end.start()]


def _blocks(section: str) -> list[str]:
    """The fenced code blocks of ``section``, without their fences."""
    return re.findall(r"^```[a-z]*\n(.*?)\n```$", section, flags=re.MULTILINE | re.DOTALL)


def _example_opening() -> tuple[dict[str, Any], Entry]:
    """The worked example's opening body and its entry (seq 7): the seed is its leaf hash."""
    body = client.open_proposal(
        group="assembly",
        title="Where should the shared space go?",
        body_text="Garden, library or workshop?",
        method="irv",
        options=OPTIONS,
        electorate=MEMBERS,
        opens_at=OPENS_AT,
        closes_at=CLOSES_AT,
        quorum=Fraction(1, 2),
        seal_key=bytes(SEAL.public_key),
    )
    signed = sign_statement(
        Keypair(bytes(range(32))),
        origin=ORIGIN,
        kind="governance.proposal.opened",
        body=body,
        nonce="BBBBBBBBBBBBBBBBBBBBYY",
        issued_at=OPENS_AT - timedelta(minutes=1),
    )
    logged_at = OPENS_AT - timedelta(seconds=59)
    return body, Entry.build(seq=7, logged_at=logged_at, signed=signed)


SEED = _example_opening()[1].leaf_hash


def _sealed(seq: int, member: str, ranking: list[int], bound: str | None = None) -> CastBallot:
    sealed = seal_ballot(
        public_key=bytes(SEAL.public_key),
        proposal=7,
        member=bound or member,
        ballot={"ranking": ranking},
    )
    return CastBallot(seq, member, None, sealed)


def _example_count() -> Any:
    body, entry = _example_opening()
    ballots = [
        _sealed(8, "ana", [1]),
        _sealed(9, "ben", [1, 0]),
        _sealed(10, "ana", [0, 1]),
        _sealed(11, "cai", [2, 0]),
        _sealed(12, "dan", [2], bound="ana"),
        _sealed(13, "eve", [0]),
    ]
    return count_proposal(
        parse_opening(body),
        proposal=7,
        seed=entry.leaf_hash,
        ballots=ballots,
        private_key=bytes(SEAL),
    )


def test_the_transcript_example_is_the_count_byte_for_byte() -> None:
    count = _example_count()
    section = _section("Worked example")
    laid_out, canonical, digest, result = _blocks(section)
    assert json.loads(laid_out) == count.transcript
    assert canonical == count.transcript_bytes.decode()
    assert digest == count.transcript_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert result == canonical_json(count.result.to_json()).decode()
    assert f"`{SEED.hex()}`" in section
    assert count.tally.tie_order == (2, 0, 1)


def test_the_transcript_keys_are_the_documented_ones() -> None:
    transcript = _example_count().transcript
    table = _section("The transcript, byte for byte")
    documented = re.findall(r"^\| `([a-z_0-9]+)`(?:, `([a-z_0-9]+)`)? \|", table, re.MULTILINE)
    keys = {key for pair in documented for key in pair if key}
    assert keys == set(transcript)
    tally_keys = set(re.findall(r"`([a-z_]+)`", table.split("`tally` has exactly the keys")[1]))
    assert set(transcript["tally"]) <= tally_keys


def test_the_seed_is_the_raw_leaf_hash_and_orders_the_options() -> None:
    section = _section("The tie rule's seed and order")
    (lines,) = _blocks(section)
    for option, line in enumerate(lines.splitlines()):
        digest = hashlib.sha256(SEED + str(option).encode("ascii")).hexdigest()
        assert line.split() == ["option", str(option), digest]
    assert seeded_order(SEED, 3) == (2, 0, 1)
    assert "the seeded order is 2, 0, 1" in section


def test_the_electorate_hash_example() -> None:
    section = _section("The electorate hash")
    (hashed,) = _blocks(section)
    assert hashed.encode() == canonical_json(MEMBERS)
    digest = electorate_digest(MEMBERS)
    assert f"`electorate_sha256` is `{digest}`" in section
    assert digest == hashlib.sha256(hashed.encode()).hexdigest()
    assert _example_opening()[0]["electorate_sha256"] == digest


def _rules(method: str, text: str) -> Rules:
    """The rules a table row names, e.g. ``quorum=1/2, tie_rule=none``, over the defaults."""
    motion = method in ("proposal", "consent")
    settings: dict[str, Any] = {
        "n_options": 0 if motion else len(OPTIONS),
        "electorate_size": 4,
        "seed": SEED,
        "consent": method == "consent",
    }
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, value = part.split("=")
        settings[name] = {"true": True, "false": False}.get(
            value, Fraction(value) if "/" in value else int(value) if value.isdigit() else value
        )
    return Rules(**settings)


def _table_rows() -> list[list[str]]:
    section = _section("Counts, outcomes and `passed`")
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split(" | ")] for row in rows]


def test_the_counts_and_outcomes_table_is_what_the_methods_count() -> None:
    rows = _table_rows()
    assert {row[0] for row in rows} == {
        "proposal",
        "consent",
        "single",
        "approval",
        "irv",
        "schulze",
        "score",
        "dot",
    }
    outcomes = set()
    for method, rules, ballots, counts, outcome, winner, passed in rows:
        tally = get_method(method).tally(json.loads(ballots), _rules(method, rules.strip("—")))
        row = (list(tally.counts), tally.outcome, tally.winner, tally.passed)
        assert row == (json.loads(counts), outcome, json.loads(winner), json.loads(passed)), (
            method,
            ballots,
        )
        outcomes.add(outcome)
    assert outcomes == {"passed", "failed", "blocked", "winner", "tie", "no_support"} | {
        "quorum_not_met"
    }


def test_instant_runoff_with_every_continuing_option_tied() -> None:
    ballots = [{"ranking": [0]}, {"ranking": [1]}]
    seeded = get_method("irv").tally(ballots, _rules("irv", ""))
    rounds = [r for r in seeded.rounds if r["step"] == "round"]
    assert [r.get("eliminated") for r in rounds] == [[2], [1], None]
    assert rounds[-1]["elected"] == 0 and rounds[-1]["exhausted"] == 1
    none = get_method("irv").tally(ballots, _rules("irv", "tie_rule=none"))
    assert (none.outcome, none.winner, none.tied) == ("tie", None, (0, 1))
    assert none.rounds[-1] == {
        "step": "tie",
        "for": "elimination",
        "tied": [0, 1],
        "rule": "none",
        "chosen": None,
    }
    section = _section("Counts, outcomes and `passed`")
    assert "round 3 elects 0 with 1 of the 1 ballot still counting" in section
    assert "`tied` `[0, 1]`" in section


def _spoiled(plaintext: bytes, key: PrivateKey = SEAL) -> SpoiledBallotError:
    sealed = bytes(SealedBox(key.public_key).encrypt(plaintext))
    with pytest.raises(SpoiledBallotError) as caught:
        open_ballot(private_key=bytes(SEAL), sealed=sealed, proposal=7, member="ana")
    return caught.value


def _count_reasons(algorithm: str, *ballots: CastBallot) -> list[str]:
    body, entry = _example_opening()
    opening = parse_opening({**body, "rules": {**body["rules"], "algorithm": algorithm}})
    count = count_proposal(
        opening, proposal=7, seed=entry.leaf_hash, ballots=ballots, private_key=bytes(SEAL)
    )
    return [s.reason for s in count.spoiled]


def test_the_spoiled_reasons_are_the_codes() -> None:
    section = _section("Spoiled ballots")
    table = re.findall(r"^\| [^|]+ \| `([^`]+)` \|$", section, flags=re.MULTILINE)[1:]
    assert tuple(table) == SPOILED_REASONS  # the closed list, in the order of the checks
    good = b'{"ballot":{"ranking":[0]},"member":"ana","proposal":7}'
    layout = re.search(r"such as `(\{[^`]+\})`", section)
    assert layout is not None and json.loads(layout.group(1)) == json.loads(good)
    cases = [
        (good, PrivateKey(bytes(range(96, 128))), "not_decryptable"),
        (layout.group(1).encode(), SEAL, "not_canonical_json"),
        (b'["ballot"]', SEAL, "not_canonical_json"),
        (b"not json", SEAL, "not_canonical_json"),
        (b'{"ballot":{"ranking":[0]},"member":"ana","note":"","proposal":7}', SEAL, "wrong_shape"),
        (b'{"ballot":[0],"member":"ana","proposal":7}', SEAL, "wrong_shape"),
        (b'{"ballot":{"ranking":[0]},"member":"ben","proposal":7}', SEAL, "wrong_binding"),
        (b'{"ballot":{"ranking":[0]},"member":"ana","proposal":8}', SEAL, "wrong_binding"),
    ]
    for plaintext, key, reason in cases:
        assert _spoiled(plaintext, key).reason == reason, plaintext
    outsider = CastBallot(9, "zoe", {"ranking": [0]}, None)
    assert _count_reasons("irv/2", _sealed(8, "ana", [3]), outsider) == [
        "invalid_ballot",
        "not_in_electorate",
    ]
    # version 1: the same count, with the English messages the section lists
    old = _count_reasons("irv/1", _sealed(8, "ana", [3]), outsider)
    assert old == [
        "invalid for irv: ranking entry 3 is not an option (options are 0 to 2)",
        "zoe is not in the electorate",
    ]
    assert f"such as `{old[0]}`" in section
    for plaintext, key, _ in cases[:1] + cases[4:5] + cases[6:7]:
        assert f"`{_spoiled(plaintext, key)}`" in section.replace("\n", " ")


def test_the_voting_window_boundaries() -> None:
    section = _section("The voting window, exactly")
    body = client.open_proposal(
        group="assembly",
        title="t",
        body_text="t",
        method="proposal",
        electorate=["ana"],
        opens_at=OPENS_AT,
        closes_at=CLOSES_AT,
    )
    record = ProposalRecord(7, "ana", parse_opening(body), SEED, OPEN, "2026-03-02T08:59:01Z")
    ana = MemberRecord("ana", "sme", "-", frozenset(), 1)
    vote = VoteBody(7, {"choice": "agree"}, None)
    times = re.findall(r"`(2026-03-09T[0-9:.]+Z)`", section)
    assert times[0] == "2026-03-09T09:00:00Z" == CLOSES_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
    just_before = datetime.fromisoformat(times[1].replace("Z", "+00:00"))
    assert just_before == CLOSES_AT - timedelta(microseconds=1)
    cast_rule(CastState(just_before, record), vote, ana)
    cast_rule(CastState(OPENS_AT, record), vote, ana)
    with pytest.raises(VotingWindowError):
        cast_rule(CastState(CLOSES_AT, record), vote, ana)
    with pytest.raises(VotingWindowError):
        cast_rule(CastState(OPENS_AT - timedelta(microseconds=1), record), vote, ana)
    state = ClosedState(CLOSES_AT, record, signer_convenes=True)
    with pytest.raises(VotingWindowError, match="close with reason closing_time"):
        closed_rule(state, CloseBody(7, "early", None), ana)
    closed_rule(state, CloseBody(7, "closing_time", None), ana)
    closed_rule(replace(state, now=just_before), CloseBody(7, "early", None), ana)
    with pytest.raises(VotingWindowError):
        closed_rule(replace(state, now=just_before), CloseBody(7, "closing_time", None), ana)


def test_the_reminder_examples_include_the_quorum() -> None:
    section = _section("Reminders")
    needed = [int(n) for n in re.findall(r"\*\*([0-9]+)\*\*", section)]
    rules = Rules(n_options=0, electorate_size=5, quorum=Fraction(3, 5), seed=SEED)
    agree, disagree = {"choice": "agree"}, {"choice": "disagree"}
    assert needed == [
        agree_votes_needed("proposal", rules, [agree], 4),
        agree_votes_needed("proposal", rules, [agree, disagree, disagree], 2),
    ]
    assert agree_votes_needed("proposal", replace(rules, quorum=Fraction(0)), [agree], 4) == 0


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_role_set_adds_a_non_member_and_who_has_voted_counts_the_spoiled(
    database_url: str, tmp_path: Path
) -> None:
    groups = _section("Groups and roles")
    assert "naming someone **not in the group adds them** with that role" in groups
    voted = _section("Reminders")
    assert "**a member whose latest\nballot is spoiled still counts**" in voted
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben"])  # the board adds all three by role_set
        assert [await g.role(GROUP, m) for m in ("ana", "ben", "cat")] == [
            "convenor",
            "member",
            None,
        ]
        join = RoleBody(group=GROUP, member="cat", role="member").to_json()
        await g.refused("ana", ROLE, join, NotAuthorisedError, "between member and observer")
        await g.submit("steward", ROLE, join)
        assert await g.role(GROUP, "cat") == "member"

        seq = await g.open(method="irv", options=OPTIONS, hidden=True)
        await g.vote("ben", seq, client.ranked_ballot([0]))
        await g.vote("ben", seq, client.ranked_ballot([1]))
        await g.vote("ana", seq, client.ranked_ballot([1]))
        copied = (await g.ballots(seq))[-1].sealed  # ana's ciphertext, sent again by cat
        assert copied is not None
        await g.submit("cat", CAST, {"proposal": seq, "sealed": b64encode(copied)})
        await g.close(seq, reason="all_voted")  # cat's ballot counts as a vote here
        async with g.read() as conn:
            assert await governance_store.voter_counts(conn, [seq]) == {seq: 3}
            reminder = await reports.reminders(conn, seq)
        count = await g.results(seq)
        assert (reminder.voted, count.result.ballots, count.result.spoiled) == (3, 2, 1)
