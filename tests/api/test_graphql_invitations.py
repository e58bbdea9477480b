"""Invitations: the board invites, the invitee's key is made elsewhere and handed over, the
board admits with that key; refusals for everything out of turn; erasure reaches them too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger import directory
from ledger.encoding import format_time, utc_now
from ledger.signing import Keypair
from tests.api.graphql_world import GraphQLWorld, graphql_world
from tests.conftest import SQL_BACKENDS

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

FIELDS = "member handle name memberKind borough roles invitedBy publicKey keyId status"
INVITE = (
    "mutation($i: InvitationInput!) { inviteMember(invitation: $i) { __typename "
    f"... on InvitationMade {{ token invitation {{ {FIELDS} }} }} "
    "... on Refusal { code message } } }"
)
ACCEPT = (
    "mutation($t: String!, $k: String!) { acceptInvitation(token: $t, publicKey: $k) { "
    f"__typename ... on Invitation {{ {FIELDS} }} ... on Refusal {{ code message }} }} }}"
)
SHOW = f"query($t: String!) {{ invitation(token: $t) {{ {FIELDS} }} }}"
LIST = f"{{ invitations {{ {FIELDS} }} }}"
ASHA = {"memberKind": "charity", "borough": "Lambeth", "handle": "asha", "name": "Asha Patel"}


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[GraphQLWorld]:
    async with graphql_world(database_url, tmp_path) as served:
        await served.login("board-b")
        yield served


async def _invite(world: GraphQLWorld, **given: Any) -> dict[str, Any]:
    data = await world.data(INVITE, {"i": {**ASHA, **given}}, who="board-b")
    made: dict[str, Any] = data["inviteMember"]
    return made


async def test_invite_accept_admit_and_sign_in(world: GraphQLWorld) -> None:
    made = await _invite(world, member="asha-p")
    assert made["__typename"] == "InvitationMade", made
    assert made["invitation"]["status"] == "open"
    assert made["invitation"]["invitedBy"] == "board-b"
    token = made["token"]
    shown = (await world.data(SHOW, {"t": token}))["invitation"]
    assert shown["member"] == "asha-p" and shown["publicKey"] is None

    key = Keypair.generate()
    accepted = (await world.data(ACCEPT, {"t": token, "k": key.public_key_b64}))["acceptInvitation"]
    assert accepted["status"] == "accepted"
    assert accepted["keyId"] == key.key_id
    again = await world.data(ACCEPT, {"t": token, "k": key.public_key_b64})
    assert again["acceptInvitation"]["status"] == "accepted"
    other = await world.data(ACCEPT, {"t": token, "k": Keypair.generate().public_key_b64})
    assert other["acceptInvitation"]["code"] == "conflict"

    body = {
        "member": "asha-p",
        "public_key": accepted["publicKey"],
        "member_kind": accepted["memberKind"],
        "borough": accepted["borough"],
        "roles": accepted["roles"],
    }
    await world.submit("board-b", "member.admitted", body)
    world.keys["asha-p"] = key
    await world.login("asha-p")
    me = await world.data("{ me { member { id kind borough } } }", who="asha-p")
    assert me["me"]["member"] == {"id": "asha-p", "kind": "charity", "borough": "Lambeth"}
    listed = (await world.data(LIST, who="board-b"))["invitations"]
    assert [(i["member"], i["status"]) for i in listed] == [("asha-p", "admitted")]


async def test_only_the_board_invites_or_lists(world: GraphQLWorld) -> None:
    await world.login("student-1")
    refused = await world.data(INVITE, {"i": ASHA}, who="student-1")
    assert refused["inviteMember"]["code"] == "forbidden"
    anonymous = await world.data(INVITE, {"i": ASHA})
    assert anonymous["inviteMember"]["code"] == "unauthenticated"
    listed = await world.execute(LIST, who="student-1")
    assert listed.errors is not None and listed.errors[0].extensions is not None
    assert listed.errors[0].extensions["code"] == "forbidden"
    assert await directory.all_invitations(world.state.write_engine) == []


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"handle": "Asha Patel"}, "is not a handle"),
        ({"member": "A B"}, "is not a member id"),
        ({"memberKind": "Big Charity"}, "is not a kind of member"),
        ({"borough": "  "}, "the borough must be given"),
        ({"days": 0}, "1 to 90 days"),
        ({"days": 91}, "1 to 90 days"),
        ({"member": "student-1"}, "is a member already"),
    ],
)
async def test_bad_invitations_are_refused_and_nothing_is_kept(
    world: GraphQLWorld, given: dict[str, Any], words: str
) -> None:
    refused = await _invite(world, **given)
    assert refused["__typename"] == "Denied", refused
    assert words in refused["message"]
    assert await directory.all_invitations(world.state.write_engine) == []


async def test_a_handle_or_member_id_is_invited_once(world: GraphQLWorld) -> None:
    assert (await _invite(world, member="asha-p"))["__typename"] == "InvitationMade"
    twice = await _invite(world, member="asha-p", handle="asha-2")
    assert twice["code"] == "conflict" and "invited already" in twice["message"]
    taken = await _invite(world, member="asha-q")
    assert taken["code"] == "conflict" and "is taken" in taken["message"]
    assert len(await directory.all_invitations(world.state.write_engine)) == 1


async def test_acceptance_refused_for_unknown_expired_or_bad_keys(world: GraphQLWorld) -> None:
    key = Keypair.generate().public_key_b64
    unknown = await world.data(ACCEPT, {"t": "no-such-token", "k": key})
    assert unknown["acceptInvitation"]["code"] == "not_found"
    assert (await world.data(SHOW, {"t": "no-such-token"}))["invitation"] is None

    made = await _invite(world)
    bad = await world.data(ACCEPT, {"t": made["token"], "k": "AAAA"})
    assert bad["acceptInvitation"]["__typename"] == "Denied"
    members_key = world.keys["student-1"].public_key_b64
    reused = await world.data(ACCEPT, {"t": made["token"], "k": members_key})
    assert "belongs to a member" in reused["acceptInvitation"]["message"]

    past = utc_now() - timedelta(days=1)
    await directory.invite(
        world.state.write_engine,
        directory.Invitation(
            token_sha256=directory.token_sha256("old-token"),
            member="late-comer",
            handle=None,
            name=None,
            email=None,
            member_kind="sme",
            borough="Croydon",
            roles=(),
            invited_by="board-b",
            created_at=format_time(past - timedelta(days=30)),
            expires_at=format_time(past),
        ),
    )
    assert (await world.data(SHOW, {"t": "old-token"}))["invitation"]["status"] == "expired"
    expired = await world.data(ACCEPT, {"t": "old-token", "k": key})
    assert "expired" in expired["acceptInvitation"]["message"]
    shown = (await world.data(SHOW, {"t": made["token"]}))["invitation"]
    assert shown["publicKey"] is None and shown["status"] == "open"


async def test_erasure_clears_the_invitation_too(world: GraphQLWorld) -> None:
    made = await _invite(world, member="asha-p")
    erase = 'mutation { erasePersonalData(member: "asha-p") { __typename } }'
    done = await world.data(erase, who="board-b")
    assert done["erasePersonalData"]["__typename"] == "PersonalDataSaved"
    shown = (await world.data(SHOW, {"t": made["token"]}))["invitation"]
    assert (shown["handle"], shown["name"]) == (None, None)
    again = await world.data(
        'mutation { erasePersonalData(member: "asha-p") { __typename ... on Refusal { code } } }',
        who="board-b",
    )
    assert again["erasePersonalData"]["code"] == "not_found"
