"""Proposal and consent votes: agree / abstain / disagree / block on a single motion.

Ballot: ``{"choice": "agree" | "abstain" | "disagree" | "block", "reason": str}``, where
``reason`` is optional except for a block, which needs a reason that is not blank.

Counting rule, in order:

1. Quorum: every ballot participates, whatever its choice. The quorum is met when
   ballots / electorate >= quorum.  If not, the motion fails (outcome ``quorum_not_met``).
2. Block: in a consent vote, or a proposal vote whose rules set ``consent``, one block makes
   the motion fail (outcome ``blocked``).
3. Consent vote: with no block, the motion passes.
4. Proposal vote: outside consent mode a block counts as a disagree (a member who blocks
   certainly does not agree). The motion passes when agree / (agree + disagree + block) is
   strictly greater than the threshold; when that denominator is 0 it fails. Abstentions count
   towards the quorum only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

from governance.errors import InvalidBallotError
from governance.tally._ballots import read_fields
from governance.tally._quorum import check_ballot_count, fraction_json, quorum_met, quorum_record
from governance.tally.base import Json, Outcome, Rules, Tally

Choice = Literal["agree", "abstain", "disagree", "block"]
PROPOSAL_CHOICES: Final[tuple[Choice, ...]] = ("agree", "abstain", "disagree", "block")
"""The ballot choices, in the order of ``Tally.counts``."""

PROPOSAL_ALGORITHM: Final = "proposal/2"
CONSENT_ALGORITHM: Final = "consent/2"


def read_choice(ballot: Mapping[str, object]) -> Choice:
    """Return the ballot's choice; raise ``InvalidBallotError`` if the ballot is malformed."""
    fields = read_fields(ballot, {"choice"}, {"reason"})
    reason = fields.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidBallotError(f"reason must be a string, not {type(reason).__name__}")
    choice = next((c for c in PROPOSAL_CHOICES if c == fields["choice"]), None)
    if choice is None or type(fields["choice"]) is not str:
        raise InvalidBallotError(
            f"choice must be one of {', '.join(PROPOSAL_CHOICES)}, not {fields['choice']!r}"
        )
    if choice == "block" and not reason.strip():
        raise InvalidBallotError("a block needs a reason that is not blank")
    return choice


class ProposalMethod:
    """A proposal vote, or with ``consent=True`` a consent vote; see module docstring."""

    def __init__(self, *, consent: bool) -> None:
        self.consent: Final = consent
        self.name: Final = "consent" if consent else "proposal"
        self.algorithm: Final = CONSENT_ALGORITHM if consent else PROPOSAL_ALGORITHM

    def validate_ballot(self, ballot: Mapping[str, object], rules: Rules) -> None:
        """Raise ``InvalidBallotError`` unless ``ballot`` is a valid proposal ballot."""
        read_choice(ballot)

    def tally(self, ballots: Sequence[Mapping[str, object]], rules: Rules) -> Tally:
        """Count ``ballots`` by the rule in the module docstring."""
        check_ballot_count(len(ballots), rules)
        choices = [read_choice(ballot) for ballot in ballots]
        counts = tuple(choices.count(choice) for choice in PROPOSAL_CHOICES)
        met = quorum_met(len(ballots), rules)
        rounds: list[Mapping[str, Json]] = [quorum_record(len(ballots), rules)]
        outcome: Outcome = "quorum_not_met"
        if met:
            outcome, record = self._decide(counts, rules)
            rounds.append(record)
        return Tally(
            method=self.name,
            algorithm=self.algorithm,
            outcome=outcome,
            winner=None,
            passed=outcome == "passed",
            ballots=len(ballots),
            electorate_size=rules.electorate_size,
            quorum_met=met,
            counts=counts,
            rounds=tuple(rounds),
        )

    def _decide(self, counts: tuple[int, ...], rules: Rules) -> tuple[Outcome, dict[str, Json]]:
        agree, _, disagree, block = counts
        consent = self.consent or rules.consent
        record: dict[str, Json] = {
            "step": "decision",
            "counts": dict(zip(PROPOSAL_CHOICES, counts, strict=True)),
            "consent": consent,
        }
        if consent and block:
            return "blocked", record
        if self.consent:
            return "passed", record
        threshold = rules.threshold
        decided = agree + disagree + block
        above = decided > 0 and agree * threshold.denominator > threshold.numerator * decided
        record.update(support=[agree, decided], threshold=fraction_json(threshold), above=above)
        return ("passed" if above else "failed"), record
