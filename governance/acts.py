"""The governance statement kinds, each declared once: who signs it, its check, its
projection, and the mutation that submits it (``ledger.acts``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from governance import bodies
from governance import projection as project
from governance.checks import (
    check_cast,
    check_closed,
    check_decided,
    check_group_created,
    check_join_approved,
    check_join_declined,
    check_join_requested,
    check_left,
    check_opened,
    check_role_set,
)
from governance.opening import Opening
from governance.projection import Apply
from governance.scope import Scope
from ledger.acts import Act, by_kind

Check = Callable[[Scope, Mapping[str, Any]], Awaitable[None]]
GovernanceAct = Act[Check, Apply | None]

VOTE = "governance.vote.cast"

GOVERNANCE_ACTS: tuple[GovernanceAct, ...] = (
    Act(
        "governance.group.created",
        signer="a board member",
        mutation="createGroup",
        answer="group",
        subject="group",
        check=check_group_created,
        apply=project.project_group_created,
        body=bodies.GroupBody,
    ),
    Act(
        "governance.group.join_requested",
        signer="the member asking",
        mutation="requestToJoin",
        answer="group",
        subject="group",
        check=check_join_requested,
        apply=project.project_join_requested,
        body=bodies.JoinRequestBody,
    ),
    Act(
        "governance.group.join_approved",
        signer="the group's convenor or a board member, never the requester",
        mutation="approveJoin",
        answer="join_request",
        subject="request",
        check=check_join_approved,
        apply=project.project_join_approved,
        body=bodies.RequestBody,
    ),
    Act(
        "governance.group.join_declined",
        signer="the convenor or a board member; or the requester (withdrawn)",
        mutation="declineJoin",
        answer="join_request",
        subject="request",
        check=check_join_declined,
        apply=project.project_join_declined,
        body=bodies.RequestBody,
    ),
    Act(
        "governance.group.left",
        signer="the member leaving",
        mutation="leaveGroup",
        answer="group",
        subject="group",
        check=check_left,
        apply=project.project_left,
        body=bodies.LeaveBody,
    ),
    Act(
        "governance.group.role_set",
        signer="a board member (any role); the convenor (member ↔ observer)",
        mutation="setRole",
        answer="group",
        subject="group",
        check=check_role_set,
        apply=project.project_role_set,
        body=bodies.RoleBody,
    ),
    Act(
        "governance.proposal.opened",
        signer="the group's convenor or a board member (assembly: a board member)",
        mutation="openProposal",
        answer="proposal",
        subject=None,
        check=check_opened,
        apply=project.project_opened,
        body=Opening,
    ),
    Act(
        VOTE,
        signer="a member of the electorate",
        mutation="castVote",
        answer="proposal",
        subject="proposal",
        check=check_cast,
        apply=None,  # ballots come in bulk: the handler writes a batch's together
        body=bodies.VoteBody,
    ),
    Act(
        "governance.proposal.closed",
        signer="the convenor or a board member",
        mutation="closeProposal",
        answer="proposal",
        subject="proposal",
        check=check_closed,
        apply=project.project_closed,
        body=bodies.CloseBody,
    ),
    Act(
        "governance.decision.recorded",
        signer="the convenor or a board member",
        mutation="recordDecision",
        answer="proposal",
        subject="proposal",
        check=check_decided,
        apply=project.project_decided,
        body=bodies.DecisionBody,
    ),
)
"""Every governance kind, in the order the API lists its mutations."""

GOVERNANCE_ACTS_BY_KIND = by_kind(GOVERNANCE_ACTS)
