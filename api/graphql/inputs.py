"""GraphQL input types: a signed statement, personal data, a proposal draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

from ledger.statement import SignedStatement


@strawberry.input(description="A statement: the six fields whose canonical JSON is signed.")
class StatementInput:
    origin: str
    kind: str
    body: JSON
    nonce: str
    issued_at: str = strawberry.field(description="RFC 3339 UTC, as signed.")
    key_id: str


@strawberry.input(description="A statement and the signer's Ed25519 signature over it.")
class SignedStatementInput:
    statement: StatementInput
    signature: str = strawberry.field(
        description="Base64 signature of b'coopledger/statement/v1\\n' + canonical JSON."
    )

    def to_domain(self) -> SignedStatement:
        """Parse into a ``SignedStatement``; raises ``MalformedStatementError``."""
        s = self.statement
        return SignedStatement.from_json(
            {
                "statement": {
                    "origin": s.origin,
                    "kind": s.kind,
                    "body": s.body,
                    "nonce": s.nonce,
                    "issued_at": s.issued_at,
                    "key_id": s.key_id,
                },
                "signature": self.signature,
            }
        )


def _signed_statement(
    cls: type[SignedStatementInput], value: Mapping[str, Any], _context: InputContext
) -> SignedStatementInput:
    """Every mutation's argument, built at once from its input value.

    Its fields are all required scalars that graphql-core has already checked and coerced,
    so there is nothing to convert; Strawberry's own conversion of each field (through the
    field's type annotation) cost about a seventh of a signed ballot's time in the event
    loop. Strawberry calls this hook of the type's definition instead.
    """
    s = value["statement"]
    statement = StatementInput(
        origin=s["origin"],
        kind=s["kind"],
        body=s["body"],
        nonce=s["nonce"],
        issued_at=s["issuedAt"],
        key_id=s["keyId"],
    )
    return cls(statement=statement, signature=value["signature"])


get_object_definition(SignedStatementInput, strict=True).from_input = _signed_statement


@strawberry.input(description="A member's personal data, kept off the log and erasable.")
class PersonalDataInput:
    handle: str | None = None
    name: str | None = None
    email: str | None = None


@strawberry.input(description="What a proposal will freeze when it opens (see docs/governance.md).")
class ProposalDraftInput:
    group: str = strawberry.field(description="A working group's slug, or assembly.")
    title: str
    body_text: str = strawberry.field(description="The proposal's text (stored off the log).")
    method: str = strawberry.field(
        description="proposal, consent, single, approval, irv, schulze, score or dot."
    )
    closes_at: str = strawberry.field(description="RFC 3339 UTC.")
    opens_at: str | None = strawberry.field(default=None, description="Default: now.")
    options: list[str] = strawberry.field(default_factory=list)
    quorum: str = strawberry.field(default="0/1", description="A fraction 'n/d'.")
    threshold: str = strawberry.field(default="1/2", description="A fraction 'n/d'.")
    tie_rule: str = "seeded"
    consent: bool | None = None
    min_choices: int = 1
    max_choices: int | None = None
    dots: int = 0
    max_score: int = 5
    hidden: bool = strawberry.field(default=False, description="Seal ballots until close.")
    action: JSON | None = strawberry.field(
        default=None, description='What a pass does, e.g. {"type": "none"}.'
    )
    terms_text: str | None = strawberry.field(
        default=None, description="The text an adopt_terms action names."
    )
