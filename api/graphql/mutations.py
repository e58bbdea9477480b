"""The Mutation type: one field per declared act (``ledger.acts``), each answering a union of
its success type and its refusals, then the off-log acts.

A signed act's mutation parses the statement, checks its kind and hands it to the ledger
(``Ledger.submit``: envelope, signature, rate limit, then the domain's check). Authorisation
is the domain's: the sequencer's handlers refuse a statement its signer may not make. A
refusal comes back as a member of the mutation's result union; anything else propagates and
is masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from api.errors import CREDIT_REFUSALS, GOVERNANCE_REFUSALS, LEDGER_REFUSALS
from api.graphql import invitations, mutation_auth, mutation_prepare
from api.graphql.context import Info
from api.graphql.fields import mutation
from api.graphql.inputs import PersonalDataInput, SignedStatementInput
from api.graphql.refusals import Refusal, refusal, result_union
from api.graphql.results import ANSWERS, TYPES
from api.graphql.types_log import Receipt
from governance.acts import GOVERNANCE_ACTS
from ledger import directory
from ledger.acts import MEMBER_ACTS, MEMBER_ACTS_BY_KIND, Act
from ledger.credits.acts import CREDIT_ACTS
from ledger.errors import LedgerError, MalformedStatementError
from ledger.statement import SignedStatement

CREDITS = LEDGER_REFUSALS + CREDIT_REFUSALS
GOVERNANCE = LEDGER_REFUSALS + GOVERNANCE_REFUSALS
Success = Callable[[Receipt, SignedStatement], Any]
AnyAct = Act[Any, Any]

SIGNED_ACTS: tuple[tuple[AnyAct, tuple[type[Exception], ...]], ...] = (
    *((act, CREDITS) for act in CREDIT_ACTS),
    *((act, LEDGER_REFUSALS) for act in MEMBER_ACTS),
    *((act, GOVERNANCE) for act in GOVERNANCE_ACTS),
)
"""Every declared act with the refusals its mutation can answer, in the schema's order."""


async def submit(
    info: Info,
    statement: SignedStatementInput,
    kind: str,
    allowed: tuple[type[Exception], ...],
    success: Success,
) -> Any:
    """Submit ``statement`` (which must be of ``kind``); ``success`` builds the answer, or the
    refusal in ``allowed`` is returned."""
    try:
        signed = statement.to_domain()
        if signed.statement.kind != kind:
            raise MalformedStatementError(
                f"this mutation takes {kind} statements, not {signed.statement.kind}"
            )
        receipt = await info.context.state.ledger.submit(signed)
    except LedgerError as e:
        try:
            answer: Refusal = refusal(e, allowed)
        except LookupError:
            raise e from None
        return answer
    return success(Receipt.from_domain(receipt), signed)


def _success(act: AnyAct) -> tuple[type[Any], Success]:
    """The success type of ``act``'s mutation, and how an accepted statement becomes one."""
    answer, kind_of = ANSWERS[act.answer], TYPES[act.answer]
    private, convert = answer.subject, answer.subject_type

    def accepted(receipt: Receipt, signed: SignedStatement) -> Any:
        if private is None:
            return kind_of(receipt=receipt)
        subject = receipt.seq if act.subject is None else signed.statement.body[act.subject]
        return kind_of(receipt=receipt, **{private: convert(subject)})

    return kind_of, accepted


def _signed_act(
    act: AnyAct, mutation: str, allowed: tuple[type[Exception], ...]
) -> StrawberryField:
    """The mutation ``mutation`` taking one signed ``act.kind`` statement."""
    name = mutation[0].upper() + mutation[1:]
    kind_of, success = _success(act)

    async def resolve(info: Info, statement: SignedStatementInput) -> object:
        return await submit(info, statement, act.kind, allowed, success)

    resolve.__name__ = name
    return strawberry.mutation(
        resolve,
        graphql_type=result_union(f"{name}Result", kind_of, allowed),
        description=f"Submit a signed {act.kind} statement.",
    )


MemberAccepted = TYPES["member"]
AdmitMemberResult = result_union("AdmitMemberResult", MemberAccepted, LEDGER_REFUSALS)
_admitted = _success(MEMBER_ACTS_BY_KIND["member.admitted"])[1]


@mutation(
    graphql_type=AdmitMemberResult,
    description="Submit a signed member.admitted statement (a board member's), and keep the "
    "new member's personal data off the log.",
)
async def admit_member(
    info: Info, statement: SignedStatementInput, personal: PersonalDataInput | None = None
) -> object:
    result = await submit(info, statement, "member.admitted", LEDGER_REFUSALS, _admitted)
    if isinstance(result, MemberAccepted) and personal is not None:
        await directory.save(
            info.context.state.write_engine,
            result.member_id,
            handle=personal.handle,
            name=personal.name,
            email=personal.email,
        )
    return result


_CUSTOM: dict[str, Any] = {"member.admitted": admit_member}
"""Mutations that take more than the signed statement (personal data kept off the log)."""

_OFF_LOG: dict[str, Any] = {
    "request_login_challenge": mutation_auth.request_login_challenge,
    "login": mutation_auth.login,
    "save_personal_data": mutation_auth.save_personal_data,
    "erase_personal_data": mutation_auth.erase_personal_data,
    "invite_member": invitations.invite_member,
    "accept_invitation": invitations.accept_invitation,
    "store_text": mutation_prepare.store_text,
    "prepare_proposal": mutation_prepare.prepare_proposal,
    "prepare_close": mutation_prepare.prepare_close,
    "prepare_decision": mutation_prepare.prepare_decision,
}


def _python_name(mutation: str) -> str:
    return re.sub("([A-Z])", r"_\1", mutation).lower()


def _mutation_type() -> type[Any]:
    """The Mutation type: a field per declared act (``ledger.acts``), then the off-log acts."""
    fields: dict[str, Any] = {
        _python_name(name): _CUSTOM.get(act.kind) or _signed_act(act, name, allowed)
        for act, allowed in SIGNED_ACTS
        if (name := act.mutation) is not None
    }
    made = type("Mutation", (), {**fields, **_OFF_LOG})
    return strawberry.type(
        made, description="Every act: signed statements, login, and off-log helpers."
    )


Mutation = _mutation_type()
