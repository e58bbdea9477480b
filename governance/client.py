"""The governance bodies a client computes rather than copies (an opening with its frozen
rules, a sealed vote, a decision from its count), the actions and the ballots. Every other body
is its body type (``governance.bodies``) written with ``to_json``.

Pure functions; sign the result with ``ledger.statement.sign_statement`` and submit it. Texts
named by hash (proposal bodies, terms of reference, outcome statements) must be stored with
``governance.store.store_text`` before the statement naming them is submitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from governance.actions import Action, AdoptRuleTable, AdoptTerms, NoAction
from governance.bodies import DecisionBody, VoteBody, text_digest
from governance.opening import (
    Opening,
    RuleSpec,
    electorate_digest,
    parse_opening,
)
from governance.seal import seal_ballot
from governance.tally import ALGORITHM_VERSIONS, TieRule
from governance.tally.proposal_count import Count
from ledger.credits.rules import RuleTable
from ledger.encoding import JSONValue

Body = dict[str, JSONValue]
Ballot = dict[str, Any]


# -- actions a passed decision carries out --------------------------------------------------


def adopt_rule_table(table: RuleTable) -> AdoptRuleTable:
    """The action adopting exactly ``table`` (by its version and digest)."""
    return AdoptRuleTable(table.version, table.digest())


def adopt_terms(*, group: str, version: int, text: str) -> AdoptTerms:
    """The action adopting ``text`` as version ``version`` of ``group``'s terms of reference."""
    return AdoptTerms(group, version, text_digest(text))


# -- proposals ------------------------------------------------------------------------------


def open_proposal(
    *,
    group: str,
    title: str,
    body_text: str,
    method: str,
    electorate: Iterable[str],
    opens_at: datetime,
    closes_at: datetime,
    options: Sequence[str] = (),
    quorum: Fraction = Fraction(0),
    threshold: Fraction = Fraction(1, 2),
    tie_rule: TieRule = "seeded",
    consent: bool | None = None,
    min_choices: int = 1,
    max_choices: int | None = None,
    dots: int = 0,
    max_score: int = 5,
    seal_key: bytes | None = None,
    action: Action | None = None,
) -> Body:
    """``governance.proposal.opened`` with every rule frozen; hidden when ``seal_key`` is given.

    ``electorate`` is ``governance.reports.electorate_now`` for the group; the algorithm is
    the version this code runs. Raises what ``parse_opening`` raises for rules that do not fit.
    """
    members = sorted(electorate)
    opening = Opening(
        group=group,
        title=title,
        body_sha256=text_digest(body_text),
        method=method,
        options=tuple(options),
        rules=RuleSpec(
            algorithm=ALGORITHM_VERSIONS.get(method, "unknown"),
            quorum=quorum,
            threshold=threshold,
            tie_rule=tie_rule,
            consent=method == "consent" if consent is None else consent,
            min_choices=min_choices,
            max_choices=max_choices,
            dots=dots,
            max_score=max_score,
        ),
        electorate=tuple(members),
        electorate_sha256=electorate_digest(members),
        opens_at=opens_at,
        closes_at=closes_at,
        hidden=seal_key is not None,
        seal_key=seal_key,
        action=action or NoAction(),
    )
    body = opening.to_json()
    parse_opening(body)
    return body


def cast_sealed_vote(
    *, proposal: int, member: str, ballot: Mapping[str, Any], seal_key: bytes
) -> Body:
    """``governance.vote.cast`` with ``ballot`` sealed to the proposal's key, bound to
    ``member`` (the signer) and the proposal."""
    sealed = seal_ballot(public_key=seal_key, proposal=proposal, member=member, ballot=ballot)
    return VoteBody(proposal, sealed=sealed).to_json()


def record_decision(*, count: Count, statement_text: str, review_on: date) -> Body:
    """``governance.decision.recorded`` from a ``Count`` of the closed proposal, the convenor's
    outcome statement (store its text first) and the date to review the decision."""
    digest = text_digest(statement_text)
    return DecisionBody(
        count.proposal, count.result, count.transcript_sha256, digest, review_on
    ).to_json()


# -- ballots, one builder per method --------------------------------------------------------


def motion_ballot(choice: str, reason: str | None = None) -> Ballot:
    """A proposal or consent ballot: agree, abstain, disagree or block (a block needs a reason)."""
    return {"choice": choice} if reason is None else {"choice": choice, "reason": reason}


def single_ballot(option: int) -> Ballot:
    """A single-choice ballot naming option index ``option``."""
    return {"choice": option}


def approval_ballot(options: Iterable[int]) -> Ballot:
    """An approval ballot approving the given option indices."""
    return {"approve": list(options)}


def ranked_ballot(ranking: Iterable[int]) -> Ballot:
    """A ranked ballot (instant runoff or Schulze), most preferred option first."""
    return {"ranking": list(ranking)}


def score_ballot(scores: Mapping[int, int]) -> Ballot:
    """A score ballot: ``{option index: score}``."""
    return {"scores": {str(option): score for option, score in scores.items()}}


def dot_ballot(dots: Mapping[int, int]) -> Ballot:
    """A dot-vote ballot: ``{option index: dots}``."""
    return {"dots": {str(option): number for option, number in dots.items()}}
