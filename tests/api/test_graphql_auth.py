"""Login by challenge-response, who may read personal data, erasure, and a private log."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.auth import Tokens
from api.settings import ApiSettings
from ledger.audit import audit_store
from ledger.signing import Keypair
from tests.api.graphql_world import GraphQLWorld, graphql_world, http_client
from tests.conftest import SQL_BACKENDS

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

PERSONAL = "query($m: String!) { member(id: $m) { id handle erased personal { name email } } }"


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(database_url, tmp_path) as served:
        yield served


def codes(result: object) -> list[str]:
    errors = getattr(result, "errors", None) or []
    return [str((error.extensions or {}).get("code")) for error in errors]


async def test_login_gives_a_token_that_names_the_member_and_roles(world: GraphQLWorld) -> None:
    await world.login("board-b")
    data = await world.data("{ me { keyId roles member { id roles } } }", who="board-b")
    assert data["me"]["member"]["id"] == "board-b"
    assert data["me"]["roles"] == ["board", "member"]
    assert (await world.data("{ me { keyId } }"))["me"] is None


async def test_logins_refused_for_a_bad_signature_or_someone_elses_challenge(
    world: GraphQLWorld,
) -> None:
    key = world.keys["student-1"]
    data = await world.data(
        "mutation($k: String!) { requestLoginChallenge(keyId: $k) { challenge message } }",
        {"k": world.keys["croydon-print"].key_id},
    )
    challenge = data["requestLoginChallenge"]
    signature = base64.b64encode(key.sign(base64.b64decode(challenge["message"]))).decode()
    login = (
        "mutation($k: String!, $c: String!, $s: String!) { login(keyId: $k, challenge: $c, "
        "signature: $s) { __typename ... on Refusal { code message } } }"
    )
    refused = await world.data(
        login, {"k": key.key_id, "c": challenge["challenge"], "s": signature}
    )
    assert refused["login"]["code"] == "login_refused"
    assert "another key" in refused["login"]["message"]
    other = world.keys["croydon-print"].key_id
    refused = await world.data(login, {"k": other, "c": challenge["challenge"], "s": signature})
    assert refused["login"]["code"] == "login_refused"


async def test_tokens_from_another_secret_or_expired_count_for_nothing(world: GraphQLWorld) -> None:
    now = int(time.time())
    forged, _ = Tokens(b"x" * 32, token_ttl=60, challenge_ttl=60).issue(
        subject="board-b", key_id=world.keys["board-b"].key_id, auditor=False, now=now
    )
    expired, _ = world.state.tokens.issue(
        subject="board-b", key_id=world.keys["board-b"].key_id, auditor=False, now=now - 3600
    )
    for token, reason in ((forged, "not issued by this server"), (expired, "expired")):
        world.tokens["board-b"] = token
        result = await world.execute(PERSONAL, {"m": "student-1"}, who="board-b")
        assert codes(result) == ["unauthenticated"]
        assert result.errors is not None and reason in result.errors[0].message


async def test_personal_data_is_for_the_member_and_the_board(world: GraphQLWorld) -> None:
    saved = await world.data(
        'mutation { savePersonalData(member: "student-1", personal: {handle: "stu", '
        'name: "Sam Student"}) { __typename ... on Refusal { code } } }'
    )
    assert saved["savePersonalData"] == {"__typename": "Denied", "code": "unauthenticated"}
    await world.login("student-1")
    saved = await world.data(
        'mutation { savePersonalData(member: "student-1", personal: {handle: "stu", '
        'name: "Sam Student", email: "sam@example.org"}) { __typename } }',
        who="student-1",
    )
    assert saved["savePersonalData"]["__typename"] == "PersonalDataSaved"
    anonymous = await world.execute(PERSONAL, {"m": "student-1"})
    assert codes(anonymous) == ["unauthenticated"]
    assert anonymous.data is not None and anonymous.data["member"]["personal"] is None
    await world.login("croydon-print")
    other = await world.execute(PERSONAL, {"m": "student-1"}, who="croydon-print")
    assert codes(other) == ["forbidden"]
    own = await world.data(PERSONAL, {"m": "student-1"}, who="student-1")
    assert own["member"]["personal"] == {"name": "Sam Student", "email": "sam@example.org"}
    await world.login("board-b")
    board = await world.data(PERSONAL, {"m": "student-1"}, who="board-b")
    assert board["member"]["handle"] == "stu"
    public = await world.data('{ member(handle: "stu") { id handle } }')
    assert public["member"] == {"id": "student-1", "handle": "stu"}


async def test_the_board_erases_personal_data_and_the_log_still_verifies(
    world: GraphQLWorld,
) -> None:
    await world.login("student-1")
    await world.data(
        'mutation { savePersonalData(member: "student-1", personal: {handle: "stu", '
        'name: "Sam"}) { __typename } }',
        who="student-1",
    )
    erase = (
        'mutation { erasePersonalData(member: "student-1") { __typename ... on Refusal { code } } }'
    )
    refused = await world.data(erase, who="student-1")
    assert refused["erasePersonalData"] == {"__typename": "Denied", "code": "forbidden"}
    await world.login("board-b")
    done = await world.data(erase, who="board-b")
    assert done["erasePersonalData"]["__typename"] == "PersonalDataSaved"
    shown = await world.data(PERSONAL, {"m": "student-1"}, who="board-b")
    assert shown["member"] == {"id": "student-1", "handle": None, "erased": True, "personal": None}
    report = await audit_store(
        world.state.store, origin=world.config.origin, log_verifier=world.config.log_verifier
    )
    assert report.size == await world.state.store.size()


async def test_a_private_log_is_for_members_and_registered_auditors(
    database_url: str, tmp_path: Path
) -> None:
    auditor = Keypair.generate()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "auditors.json").write_text(
        json.dumps({"auditors": [{"name": "Anchor Audit", "public_key": auditor.public_key_b64}]})
    )
    async with graphql_world(
        database_url, tmp_path, settings=ApiSettings(private_log=True)
    ) as world:
        anonymous = await world.execute("{ checkpoint { size } }")
        assert codes(anonymous) == ["unauthenticated"]
        assert (await world.data("{ logInfo { private } }"))["logInfo"]["private"] is True
        world.keys["auditor"] = auditor
        await world.login("auditor")
        data = await world.data("{ checkpoint { size } me { roles auditor } }", who="auditor")
        assert data["me"] == {"roles": ["auditor"], "auditor": "Anchor Audit"}
        await world.login("student-1")
        assert (await world.data("{ checkpoint { size } }", who="student-1"))["checkpoint"]
        async with http_client(world) as http:
            assert (await http.get("/log/checkpoint")).status_code == 401
            bearer = {"Authorization": f"Bearer {world.tokens['auditor']}"}
            assert (await http.get("/log/checkpoint", headers=bearer)).status_code == 200
            body = world.claim_body("student-1", counterparty="croydon-print")
            signed = world.factory.sign(world.keys["student-1"], "credit.claimed", body)
            submitted = await http.post("/log/statements", json=signed.to_json())
            assert submitted.status_code == 201, submitted.text  # no token: signed
            assert (await http.get("/log/entries?start=0&end=1")).status_code == 401
