"""Off-log helpers a member calls before signing a governance act: texts and drafts.

The log names texts by SHA-256, and a hidden proposal needs a seal key from the server; these
mutations store the texts, make the key, and return the exact body to sign. They need a
login; they append nothing, so the act itself is still authorised by the domain on submit.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from api.auth import AccessError
from api.errors import BadRequestError, expected_code
from api.graphql.context import Info
from api.graphql.fields import mutation
from api.graphql.inputs import ProposalDraftInput
from api.graphql.refusals import Denied
from governance import drafts
from governance.actions import parse_action
from governance.errors import GovernanceError
from governance.scope import is_convenor, load_proposal
from governance.store import store_text as keep_text
from governance.tally import TieRule
from ledger.encoding import parse_time, utc_now
from ledger.errors import LedgerError


@strawberry.type(description="A body ready to sign as a statement of `kind`.")
class Draft:
    kind: str
    body: JSON


@strawberry.type(description="A text kept off the log, named on the log by its SHA-256.")
class StoredText:
    sha256: str


DraftResult = Annotated[Draft | Denied, strawberry.union("DraftResult")]
TextResult = Annotated[StoredText | Denied, strawberry.union("StoredTextResult")]
_EXPECTED = (AccessError, BadRequestError, LedgerError, GovernanceError, ValueError)


def _denied(exc: Exception) -> Denied:
    return Denied(code=expected_code(exc) or "bad_request", message=str(exc))


def _fraction(text: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError) as e:
        raise BadRequestError(f"{text!r} is not a fraction 'n/d'") from e


@mutation(description="Keep a text (terms of reference, a statement) off the log.")
async def store_text(info: Info, text: str) -> TextResult:
    try:
        (await info.context.viewer()).require_member()
        async with info.context.state.write_engine.begin() as conn:
            return StoredText(sha256=await keep_text(conn, text))
    except _EXPECTED as e:
        return _denied(e)


@mutation(
    description="Store a proposal's texts, freeze the electorate as it is now, make a seal "
    "key if it is hidden, and return the governance.proposal.opened body to sign."
)
async def prepare_proposal(info: Info, draft: ProposalDraftInput) -> DraftResult:
    try:
        (await info.context.viewer()).require_member()
        fields = _opening_fields(draft)
        registry = await info.context.state.registry.current(fresh=True)
        async with info.context.state.write_engine.begin() as conn:
            body = await drafts.open_body(
                conn,
                registry,
                body_text=draft.body_text,
                hidden=draft.hidden,
                seal_keys=info.context.state.seal_keys,
                terms_text=draft.terms_text,
                **fields,
            )
    except _EXPECTED as e:
        return _denied(e)
    return Draft(kind="governance.proposal.opened", body=JSON(body))


def _opening_fields(draft: ProposalDraftInput) -> dict[str, Any]:
    action = parse_action(cast(dict[str, Any], draft.action)) if draft.action else None
    return {
        "group": draft.group,
        "title": draft.title,
        "method": draft.method,
        "options": tuple(draft.options),
        "opens_at": parse_time(draft.opens_at) if draft.opens_at else utc_now(),
        "closes_at": parse_time(draft.closes_at, what="closes_at"),
        "quorum": _fraction(draft.quorum),
        "threshold": _fraction(draft.threshold),
        "tie_rule": cast(TieRule, draft.tie_rule),
        "consent": draft.consent,
        "min_choices": draft.min_choices,
        "max_choices": draft.max_choices,
        "dots": draft.dots,
        "max_score": draft.max_score,
        "action": action,
    }


@mutation(
    description="The governance.proposal.closed body; for a hidden proposal it carries the "
    "private seal key, so only the group's convenor or the board may ask for it."
)
async def prepare_close(info: Info, proposal: int, reason: str) -> DraftResult:
    try:
        viewer = (await info.context.viewer()).require_member()
        registry = await info.context.registry()
        async with info.context.read() as conn:
            record = await load_proposal(conn, proposal)
            if record.opening.hidden and not await is_convenor(
                conn, registry, viewer.member, record.group
            ):
                raise AccessError("only the convenor or the board closes a hidden proposal")
            body = await drafts.close_body(
                conn, proposal=proposal, reason=reason, seal_keys=info.context.state.seal_keys
            )
    except _EXPECTED as e:
        return _denied(e)
    return Draft(kind="governance.proposal.closed", body=JSON(body))


@mutation(
    description="Count a closed proposal, store the outcome statement, and return the "
    "governance.decision.recorded body to sign."
)
async def prepare_decision(
    info: Info, proposal: int, statement_text: str, review_on: date
) -> DraftResult:
    try:
        (await info.context.viewer()).require_member()
        async with info.context.state.write_engine.begin() as conn:
            body = await drafts.decision_body(
                conn, proposal=proposal, statement_text=statement_text, review_on=review_on
            )
    except _EXPECTED as e:
        return _denied(e)
    return Draft(kind="governance.decision.recorded", body=JSON(body))
