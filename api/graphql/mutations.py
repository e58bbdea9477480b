"""The Mutation type: one field per signed act, each answering a union of success and refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from api.errors import CREDIT_REFUSALS, GOVERNANCE_REFUSALS, LEDGER_REFUSALS
from api.graphql import mutation_auth, mutation_prepare
from api.graphql.context import Info
from api.graphql.fields import mutation
from api.graphql.inputs import PersonalDataInput, SignedStatementInput
from api.graphql.refusals import result_union
from api.graphql.results import (
    AwardAccepted,
    ClaimAccepted,
    DisputeAccepted,
    GroupAccepted,
    JoinRequestAccepted,
    MemberAccepted,
    ProposalAccepted,
    RuleTableAccepted,
    SessionAccepted,
)
from api.graphql.submit import body_int, body_str, submit
from api.graphql.types_log import Receipt
from ledger import directory
from ledger.statement import SignedStatement

CREDITS = LEDGER_REFUSALS + CREDIT_REFUSALS
GOVERNANCE = LEDGER_REFUSALS + GOVERNANCE_REFUSALS
Success = Callable[[Receipt, SignedStatement], Any]


def _act(
    name: str, kind: str, allowed: tuple[type[Exception], ...], kind_of: type[Any], success: Success
) -> StrawberryField:
    """A mutation taking one signed ``kind`` statement."""

    async def resolve(info: Info, statement: SignedStatementInput) -> object:
        return await submit(info, statement, kind, allowed, success)

    resolve.__name__ = name
    return strawberry.mutation(
        resolve,
        graphql_type=result_union(f"{name}Result", kind_of, allowed),
        description=f"Submit a signed {kind} statement.",
    )


def _claim(field: str | None) -> Success:
    return lambda r, s: ClaimAccepted(receipt=r, claim_seq=body_int(s, field) if field else r.seq)


def _award(field: str | None) -> Success:
    return lambda r, s: AwardAccepted(receipt=r, award_seq=body_int(s, field) if field else r.seq)


def _dispute(field: str | None) -> Success:
    return lambda r, s: DisputeAccepted(
        receipt=r, dispute_seq=body_int(s, field) if field else r.seq
    )


def _proposal(field: str | None) -> Success:
    return lambda r, s: ProposalAccepted(
        receipt=r, proposal_seq=body_int(s, field) if field else r.seq
    )


def _group(r: Receipt, s: SignedStatement) -> GroupAccepted:
    return GroupAccepted(receipt=r, slug=body_str(s, "group"))


def _request(r: Receipt, s: SignedStatement) -> JoinRequestAccepted:
    return JoinRequestAccepted(receipt=r, request_seq=body_int(s, "request"))


def _member(r: Receipt, s: SignedStatement) -> MemberAccepted:
    return MemberAccepted(receipt=r, member_id=body_str(s, "member"))


def _rules(r: Receipt, s: SignedStatement) -> RuleTableAccepted:
    return RuleTableAccepted(receipt=r, version=body_int(s, "version"))


def _session(r: Receipt, s: SignedStatement) -> SessionAccepted:
    return SessionAccepted(receipt=r)


AdmitMemberResult = result_union("AdmitMemberResult", MemberAccepted, LEDGER_REFUSALS)


@mutation(
    graphql_type=AdmitMemberResult,
    description="Submit a signed member.admitted statement (a board member's), and keep the "
    "new member's personal data off the log.",
)
async def admit_member(
    info: Info, statement: SignedStatementInput, personal: PersonalDataInput | None = None
) -> object:
    result = await submit(info, statement, "member.admitted", LEDGER_REFUSALS, _member)
    if isinstance(result, MemberAccepted) and personal is not None:
        await directory.save(
            info.context.state.write_engine,
            result.member_id,
            handle=personal.handle,
            name=personal.name,
            email=personal.email,
        )
    return result


@strawberry.type(description="Every act: signed statements, login, and off-log helpers.")
class Mutation:
    # credits
    adopt_rule_table = _act(
        "AdoptRuleTable", "credit.rules_adopted", CREDITS, RuleTableAccepted, _rules
    )
    record_session = _act(
        "RecordSession", "credit.session_recorded", CREDITS, SessionAccepted, _session
    )
    claim_credit = _act("ClaimCredit", "credit.claimed", CREDITS, ClaimAccepted, _claim(None))
    decline_claim = _act("DeclineClaim", "credit.declined", CREDITS, ClaimAccepted, _claim("claim"))
    award_credit = _act("AwardCredit", "credit.awarded", CREDITS, AwardAccepted, _award(None))
    reverse_award = _act("ReverseAward", "credit.reversed", CREDITS, AwardAccepted, _award("award"))
    adjust_award = _act("AdjustAward", "credit.adjusted", CREDITS, AwardAccepted, _award("award"))
    dispute_award = _act(
        "DisputeAward", "credit.disputed", CREDITS, DisputeAccepted, _dispute(None)
    )
    resolve_dispute = _act(
        "ResolveDispute", "credit.dispute_resolved", CREDITS, DisputeAccepted, _dispute("dispute")
    )
    # members
    admit_member = admit_member
    rotate_key = _act("RotateKey", "member.key_rotated", LEDGER_REFUSALS, MemberAccepted, _member)
    revoke_key = _act("RevokeKey", "member.key_revoked", LEDGER_REFUSALS, MemberAccepted, _member)
    # governance
    create_group = _act(
        "CreateGroup", "governance.group.created", GOVERNANCE, GroupAccepted, _group
    )
    request_to_join = _act(
        "RequestToJoin", "governance.group.join_requested", GOVERNANCE, GroupAccepted, _group
    )
    approve_join = _act(
        "ApproveJoin", "governance.group.join_approved", GOVERNANCE, JoinRequestAccepted, _request
    )
    decline_join = _act(
        "DeclineJoin", "governance.group.join_declined", GOVERNANCE, JoinRequestAccepted, _request
    )
    leave_group = _act("LeaveGroup", "governance.group.left", GOVERNANCE, GroupAccepted, _group)
    set_role = _act("SetRole", "governance.group.role_set", GOVERNANCE, GroupAccepted, _group)
    open_proposal = _act(
        "OpenProposal", "governance.proposal.opened", GOVERNANCE, ProposalAccepted, _proposal(None)
    )
    cast_vote = _act(
        "CastVote", "governance.vote.cast", GOVERNANCE, ProposalAccepted, _proposal("proposal")
    )
    close_proposal = _act(
        "CloseProposal",
        "governance.proposal.closed",
        GOVERNANCE,
        ProposalAccepted,
        _proposal("proposal"),
    )
    record_decision = _act(
        "RecordDecision",
        "governance.decision.recorded",
        GOVERNANCE,
        ProposalAccepted,
        _proposal("proposal"),
    )
    # login and off-log acts
    request_login_challenge = mutation_auth.request_login_challenge
    login = mutation_auth.login
    save_personal_data = mutation_auth.save_personal_data
    erase_personal_data = mutation_auth.erase_personal_data
    store_text = mutation_prepare.store_text
    prepare_proposal = mutation_prepare.prepare_proposal
    prepare_close = mutation_prepare.prepare_close
    prepare_decision = mutation_prepare.prepare_decision
