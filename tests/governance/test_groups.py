"""Working groups through the service layer: creation, join requests, leaving, roles, and the
convenor gate credits uses."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from governance import store
from governance.bodies import GroupBody, JoinRequestBody, LeaveBody, RequestBody, RoleBody
from governance.errors import NotConvenorError
from ledger.credits import client as credit_client
from ledger.credits.bodies import ClaimBody, SessionBody
from ledger.credits.rules import rule_table_from_community
from ledger.errors import ConflictError, MalformedStatementError, NotAuthorisedError, NotFoundError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import GROUP, TODAY, governance_world
from tests.ledger.credits.helpers import RULES_V1

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

CREATED = "governance.group.created"
REQUESTED = "governance.group.join_requested"
APPROVED = "governance.group.join_approved"
DECLINED = "governance.group.join_declined"
LEFT = "governance.group.left"
ROLE = "governance.group.role_set"


async def test_create_join_leave(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        body = GroupBody(group=GROUP, name="Markets, Data, Trust and Participation").to_json()
        await g.refused("ana", CREATED, body, NotAuthorisedError, "only a board member")
        await g.refused(
            "steward", CREATED, {**body, "group": "assembly"}, MalformedStatementError, "reserved"
        )
        await g.submit("steward", CREATED, body)
        await g.refused("board-b", CREATED, body, ConflictError, "exists already")
        await g.submit(
            "steward", ROLE, RoleBody(group=GROUP, member="ana", role="convenor").to_json()
        )

        ask = JoinRequestBody(group=GROUP, role="member").to_json()
        await g.refused(
            "ben", REQUESTED, {**ask, "group": "nowhere"}, NotFoundError, "no working group"
        )
        await g.refused(
            "ben", REQUESTED, {**ask, "group": "assembly"}, ConflictError, "every member"
        )
        await g.refused("ana", REQUESTED, ask, ConflictError, "ana is in markets-data-trust")
        request = await g.submit("ben", REQUESTED, ask)
        await g.refused("ben", REQUESTED, ask, ConflictError, f"at entry {request}")
        approve = RequestBody(request=request).to_json()
        await g.refused("ben", APPROVED, approve, NotAuthorisedError, "their own join request")
        await g.refused("cat", APPROVED, approve, NotConvenorError, "only the convenor")
        await g.submit("ana", APPROVED, approve)
        await g.refused("ana", APPROVED, approve, ConflictError, "approved already")
        assert await g.role(GROUP, "ben") == "member"

        observer = await g.submit(
            "cat", REQUESTED, JoinRequestBody(group=GROUP, role="observer").to_json()
        )
        await g.submit("board-b", APPROVED, RequestBody(request=observer).to_json())
        assert await g.role(GROUP, "cat") == "observer"

        declined = await g.submit("dan", REQUESTED, ask)
        await g.refused(
            "eve", DECLINED, RequestBody(request=declined).to_json(), NotConvenorError, "declines"
        )
        await g.submit("ana", DECLINED, RequestBody(request=declined).to_json())
        withdrawn = await g.submit("dan", REQUESTED, ask)
        await g.submit("dan", DECLINED, RequestBody(request=withdrawn).to_json())
        async with g.read() as conn:
            statuses = [(await store.request(conn, s)) for s in (declined, withdrawn)]
            assert [r.status for r in statuses if r] == ["declined", "withdrawn"]
            assert await store.open_requests(conn, GROUP) == []

        await g.refused("dan", LEFT, LeaveBody(group=GROUP).to_json(), NotFoundError, "not in")
        await g.submit("ben", LEFT, LeaveBody(group=GROUP).to_json())
        assert await g.role(GROUP, "ben") is None


async def test_roles_and_convenors(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        refusals = [
            ("ana", GROUP, "ben", "convenor", NotAuthorisedError, "the board appoints convenors"),
            ("ben", GROUP, "cat", "observer", NotAuthorisedError, "only the convenor"),
            ("ana", GROUP, "cat", "observer", ConflictError, "already"),
            ("ana", GROUP, "dan", "member", NotAuthorisedError, "between member and observer"),
            ("steward", "assembly", "dan", "member", ConflictError, "every member"),
        ]
        for at, (signer, group, member, role, error, match) in enumerate(refusals):
            body = RoleBody(group=group, member=member, role=role).to_json()
            await g.refused(signer, ROLE, body, error, match)
            if at == 1:  # the convenor may move a member to observer, once
                await g.submit("ana", ROLE, body)
        # the board appoints a new convenor; the old one becomes an ordinary member
        await g.submit(
            "steward", ROLE, RoleBody(group=GROUP, member="dan", role="convenor").to_json()
        )
        assert [await g.role(GROUP, m) for m in ("ana", "cat", "dan")] == [
            "member",
            "observer",
            "convenor",
        ]
        await g.submit("ana", LEFT, LeaveBody(group=GROUP).to_json())


async def test_credits_use_group_convenors(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        table = rule_table_from_community(RULES_V1)
        await g.submit("steward", "credit.rules_adopted", table.to_json())
        register = SessionBody(
            activity="workshop.attended",
            held_on=TODAY - timedelta(days=1),
            attendees=["cat", "dan"],
            title="Supply Chain Readiness",
            group=GROUP,
        ).to_json()
        await g.refused(
            "ben", "credit.session_recorded", register, NotAuthorisedError, "only a convenor"
        )
        await g.submit("ana", "credit.session_recorded", register)
        other = {**register, "group": "business-services", "title": "Growth Planning"}
        await g.refused("board-b", "credit.session_recorded", other, NotFoundError, "no working")
        created = {"group": "business-services", "name": "Business Services"}
        await g.submit("steward", "governance.group.created", created)
        await g.refused("ana", "credit.session_recorded", other, NotAuthorisedError, "convenor")
        await g.submit("board-b", "credit.session_recorded", other)
        claim = ClaimBody(
            activity="mentoring.hour",
            quantity=1,
            done_on=TODAY,
            counterparty="ana",
            evidence_sha256=credit_client.evidence_digest(b"notes"),
            group="no-such-group",
        ).to_json()
        await g.refused("ben", "credit.claimed", claim, NotFoundError, "no working group")
        in_assembly = {**claim, "group": "assembly"}
        await g.refused("ben", "credit.claimed", in_assembly, NotFoundError, "not a working group")
