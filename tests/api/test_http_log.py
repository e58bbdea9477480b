"""The transparency endpoints and statement intake over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pymerkle
import pytest

from api.app import create_app
from api.limits import RateLimiter
from api.runtime import init_ledger
from api.state import ApiState
from ledger.authoring import StatementFactory
from ledger.bootstrap import admission
from ledger.checkpoint import verify_checkpoint
from ledger.config import LedgerConfig, Settings
from ledger.encoding import b64encode, utc_now
from ledger.merkle import hash_leaf, verify_consistency, verify_inclusion
from ledger.note import NoteVerifier
from ledger.signing import Keypair
from ledger.statement import Entry
from tests.conftest import SQL_BACKENDS

ORIGIN = "http.coopledger.example/log"
IMMUTABLE = "public, max-age=31536000, immutable"
MEMBERS = 5
INIT_ENTRIES = 2  # log.initialised and rule table version 1


@dataclass
class Served:
    """A ledger behind the app, a client for it, and the steward who signs."""

    client: httpx.AsyncClient
    config: LedgerConfig
    steward: Keypair
    factory: StatementFactory
    state: ApiState

    async def admit(self, member: str) -> httpx.Response:
        key = Keypair.generate().public_key_b64
        body = admission(member, key, member_kind="sme", borough="Sutton")
        signed = self.factory.sign(self.steward, "member.admitted", body)
        return await self.client.post("/log/statements", json=signed.to_json())


pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    """An initialised ledger with ``MEMBERS`` admitted members, served in process."""
    settings = Settings(data=tmp_path / "data", database_url=database_url)
    config = await init_ledger(settings, origin=ORIGIN, steward_id="steward")
    app = create_app(config=config)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client,
    ):
        world = Served(client, config, config.steward(), StatementFactory(ORIGIN), app.state.api)
        for i in range(MEMBERS):
            assert (await world.admit(f"member-{i}")).status_code == 201
        yield world


async def _entries(client: httpx.AsyncClient, start: int, end: int) -> list[bytes]:
    answer = await client.get("/log/entries", params={"start": start, "end": end})
    assert answer.status_code == 200
    items = answer.json()["entries"]
    assert [item["index"] for item in items] == list(range(start, start + len(items)))
    return [base64.b64decode(item["entry"]) for item in items]


async def test_checkpoint_is_a_signed_note_by_the_served_key(served: Served) -> None:
    key = await served.client.get("/log/key")
    assert key.text == served.config.log_verifier.vkey()
    answer = await served.client.get("/log/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-cache"
    checkpoint = verify_checkpoint(answer.text, NoteVerifier.from_vkey(key.text), origin=ORIGIN)
    assert checkpoint.size == MEMBERS + INIT_ENTRIES


async def test_entries_are_the_exact_bytes_and_immutable(served: Served) -> None:
    size = MEMBERS + INIT_ENTRIES
    data = await _entries(served.client, 0, size)
    assert [Entry.parse(d).seq for d in data] == list(range(size))
    whole = await served.client.get("/log/entries", params={"start": 0, "end": size})
    assert whole.headers["cache-control"] == IMMUTABLE
    clipped = await served.client.get("/log/entries", params={"start": 2, "end": size + 10})
    assert len(clipped.json()["entries"]) == size - 2
    assert clipped.headers["cache-control"] == "no-cache"


async def test_proofs_verify_with_ledger_merkle_and_pymerkle(served: Served) -> None:
    size = MEMBERS + INIT_ENTRIES
    leaves = [hash_leaf(d) for d in await _entries(served.client, 0, size)]
    oracle = pymerkle.InmemoryTree(algorithm="sha256")
    for d in await _entries(served.client, 0, size):
        oracle.append_entry(d)
    for n in range(1, size + 1):
        for i in range(n):
            answer = await served.client.get("/log/proof/inclusion", params={"index": i, "size": n})
            assert answer.headers["cache-control"] == IMMUTABLE
            proof = answer.json()
            root = bytes.fromhex(proof["root"])
            path = [bytes.fromhex(h) for h in proof["path"]]
            assert proof["leaf_hash"] == leaves[i].hex() and root == oracle.get_root(n)
            verify_inclusion(leaf_hash=leaves[i], index=i, size=n, path=path, root=root)
            assert oracle.prove_inclusion(i + 1, n).path == [leaves[i], *path]
        for m in range(1, n + 1):
            params = {"first": m, "second": n}
            proof = (await served.client.get("/log/proof/consistency", params=params)).json()
            root1, root2 = bytes.fromhex(proof["first_root"]), bytes.fromhex(proof["second_root"])
            assert (root1, root2) == (oracle.get_root(m), oracle.get_root(n))
            path = [bytes.fromhex(h) for h in proof["path"]]
            verify_consistency(size1=m, size2=n, root1=root1, root2=root2, path=path)


BAD_REQUESTS = [
    ("/log/entries", {"start": "-1", "end": "2"}),
    ("/log/entries", {"start": "x", "end": "2"}),
    ("/log/entries", {"start": "1.5", "end": "2"}),
    ("/log/entries", {"end": "2"}),
    ("/log/entries", {"start": "3", "end": "2"}),
    ("/log/entries", {"start": "0", "end": "1001"}),
    ("/log/entries", {"start": "100", "end": "200"}),
    ("/log/entries", {"start": "99999999999999999999999", "end": "2"}),
    ("/log/proof/inclusion", {"index": "-1", "size": "2"}),
    ("/log/proof/inclusion", {"index": "a", "size": "2"}),
    ("/log/proof/inclusion", {"index": "2", "size": "2"}),
    ("/log/proof/inclusion", {"index": "0", "size": "999"}),
    ("/log/proof/inclusion", {"index": "0"}),
    ("/log/proof/inclusion", {"index": "0", "size": "0"}),
    ("/log/proof/consistency", {"first": "3", "second": "2"}),
    ("/log/proof/consistency", {"first": "0", "second": "2"}),
    ("/log/proof/consistency", {"first": "1", "second": "999"}),
    ("/log/proof/consistency", {"first": "-2", "second": "3"}),
    ("/log/proof/consistency", {"first": "1", "second": "two"}),
]


async def test_malformed_or_out_of_range_parameters_answer_400(served: Served) -> None:
    for path, params in BAD_REQUESTS:
        answer = await served.client.get(path, params=params)
        assert answer.status_code == 400, (path, params, answer.text)
        error = answer.json()["error"]
        assert error["code"] in {"bad_request", "out_of_range"} and error["message"]


async def test_paths_no_route_matches_answer_coded_errors(served: Served) -> None:
    # a path no route takes, a tile path with a newline (which no path parameter matches),
    # and a method an endpoint does not take: the same error body as every other refusal
    for method, path, status, code in [
        ("GET", "/nowhere", 404, "not_found"),
        ("GET", "/tile/%0A0", 404, "not_found"),
        ("POST", "/log/checkpoint", 405, "method_not_allowed"),
    ]:
        answer = await served.client.request(method, path)
        assert answer.status_code == status, (path, answer.text)
        assert answer.json()["error"]["code"] == code and answer.json()["error"]["message"]


async def test_submission_is_acknowledged_with_its_leaf_and_checkpoint(served: Served) -> None:
    answer = await served.admit("late-member")
    assert answer.status_code == 201
    receipt = answer.json()
    assert receipt["seq"] == MEMBERS + INIT_ENTRIES
    assert receipt["checkpoint"]["size"] == MEMBERS + INIT_ENTRIES + 1
    (data,) = await _entries(served.client, receipt["seq"], receipt["seq"] + 1)
    assert receipt["leaf_hash"] == hash_leaf(data).hex()
    proof = await served.client.get(
        "/log/proof/inclusion", params={"index": receipt["seq"], "size": MEMBERS + INIT_ENTRIES + 1}
    )
    assert proof.json()["root"] == receipt["checkpoint"]["root"]


async def test_refused_submissions_answer_json_errors(served: Served) -> None:
    factory, steward = served.factory, served.steward
    body = admission(
        "member-0", Keypair.generate().public_key_b64, member_kind="sme", borough="Merton"
    )
    signed = factory.sign(steward, "member.admitted", {**body, "member": "again-1"}).to_json()
    first = await served.client.post("/log/statements", json=signed)
    assert first.status_code == 201
    again = await served.client.post("/log/statements", json=signed)  # its answer was lost
    assert again.status_code == 201 and again.json()["seq"] == first.json()["seq"]
    reused = factory.sign(
        steward,
        "member.admitted",
        {**body, "member": "again-2"},
        nonce=signed["statement"]["nonce"],
    ).to_json()
    forged = {**signed, "signature": b64encode(bytes(64))}
    stranger = factory.sign(Keypair.generate(), "member.admitted", {**body, "member": "x-1"})
    other = StatementFactory("elsewhere.example/log").sign(steward, "member.admitted", body)
    cases = [
        (reused, 409, "replayed_nonce"),
        (factory.sign(steward, "member.admitted", body).to_json(), 409, "conflict"),
        (stranger.to_json(), 403, "unknown_key"),
        (forged, 403, "bad_signature"),
        (other.to_json(), 400, "wrong_origin"),
        ({"statement": {}, "signature": ""}, 400, "malformed"),
    ]
    for submission, status, code in cases:
        answer = await served.client.post("/log/statements", json=submission)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    for raw in (b"{not json", b"x" * 40_000):
        answer = await served.client.post("/log/statements", content=raw)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "malformed")
    answer = await served.client.post("/log/statements", content=b"x" * 70_000)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "payload_too_large")


async def test_submissions_charge_the_signers_rate_limit(served: Served) -> None:
    served.state.ledger.gates[:] = [RateLimiter(rate=0.01, burst=2)]
    body = {"member": "x", "public_key": "", "member_kind": "sme", "borough": "Sutton", "roles": []}
    forged = {
        **served.factory.sign(served.steward, "member.admitted", body).to_json(),
        "signature": b64encode(bytes(64)),
    }
    (logged,) = await _entries(served.client, 1, 2)  # the steward's own, sent again
    again = Entry.parse(logged).signed.to_json()
    old = StatementFactory(ORIGIN, lambda: utc_now() - timedelta(hours=1))
    stale = old.sign(served.steward, "member.admitted", body).to_json()
    elsewhere = StatementFactory("elsewhere.example/log").sign(
        served.steward, "member.admitted", body
    )
    refusals = [(forged, "bad_signature"), (stale, "stale"), (elsewhere.to_json(), "wrong_origin")]
    for submission, code in refusals * 3:  # none spends anything of the steward's allowance
        answer = await served.client.post("/log/statements", json=submission)
        assert answer.json()["error"]["code"] == code
    for _ in range(3):  # a logged statement sent again is answered, and costs nothing
        assert (await served.client.post("/log/statements", json=again)).json()["seq"] == 1
    answers = [await served.admit(f"rate-{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1


async def test_health_and_readiness(served: Served) -> None:
    live = await served.client.get("/livez")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    for path in ("/healthz", "/readyz"):
        answer = await served.client.get(path)
        size = INIT_ENTRIES + MEMBERS
        assert (answer.status_code, answer.json()) == (
            200,
            {"status": "ok", "database": "up", "size": size},
        )
