"""Drafts of a proposal's acts from the current state: bodies a demo, CLI or API signs.

Each function reads the projections, stores the texts a body names, fetches seal keys, and
returns a body ready to sign (``ledger.statement.sign_statement``) by the acting member. Pass a
connection inside a transaction that is committed before the statement is submitted
(``async with engine.begin() as conn``), so the texts are there when the handler looks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from governance import client, store
from governance.actions import AdoptTerms
from governance.bodies import CloseBody, VoteBody, text_digest
from governance.errors import ResultsHiddenError
from governance.scope import count_of, electorate, load_proposal
from governance.seal import SealKeyStore
from ledger.members import Registry
from ledger.sql import Connection


async def open_body(
    conn: Connection,
    registry: Registry,
    *,
    body_text: str,
    hidden: bool = False,
    seal_keys: SealKeyStore | None = None,
    terms_text: str | None = None,
    **fields: Any,
) -> client.Body:
    """``governance.proposal.opened`` for ``fields["group"]`` with the electorate as it is now.

    ``fields`` are ``client.open_proposal``'s (without ``electorate`` and ``seal_key``). Stores
    ``body_text`` and, for an ``adopt_terms`` action, ``terms_text``. A hidden proposal gets a
    fresh key from ``seal_keys``. Raises ``ValueError`` if ``hidden`` without ``seal_keys``, or
    ``terms_text`` missing or not matching an ``adopt_terms`` action.
    """
    action = fields.get("action")
    if isinstance(action, AdoptTerms):
        if terms_text is None or text_digest(terms_text) != action.sha256:
            raise ValueError("give terms_text, the text the adopt_terms action names")
        await store.store_text(conn, terms_text)
    if hidden and seal_keys is None:
        raise ValueError("a hidden proposal needs a SealKeyStore")
    seal_key = seal_keys.create() if hidden and seal_keys is not None else None
    voters = await electorate(conn, registry, str(fields["group"]))
    body = client.open_proposal(body_text=body_text, electorate=voters, seal_key=seal_key, **fields)
    await store.store_text(conn, body_text)
    return body


async def vote_body(
    conn: Connection, *, proposal: int, member: str, ballot: Mapping[str, Any]
) -> client.Body:
    """``governance.vote.cast`` by ``member``: sealed to the proposal's key if it is hidden."""
    record = await load_proposal(conn, proposal)
    key = record.opening.seal_key
    if key is None:
        return VoteBody(proposal=proposal, ballot=ballot).to_json()
    return client.cast_sealed_vote(proposal=proposal, member=member, ballot=ballot, seal_key=key)


async def close_body(
    conn: Connection, *, proposal: int, reason: str, seal_keys: SealKeyStore | None = None
) -> client.Body:
    """``governance.proposal.closed``; a hidden proposal's private key comes from ``seal_keys``.

    Raises ``ResultsHiddenError`` for a hidden proposal without ``seal_keys``, ``SealKeyError``
    if its key file is missing.
    """
    record = await load_proposal(conn, proposal)
    key = record.opening.seal_key
    if key is None:
        return CloseBody(proposal=proposal, reason=reason).to_json()
    if seal_keys is None:
        raise ResultsHiddenError("closing a hidden proposal needs its SealKeyStore")
    private = seal_keys.private_key(key)
    return CloseBody(proposal=proposal, reason=reason, seal_private_key=private).to_json()


async def decision_body(
    conn: Connection, *, proposal: int, statement_text: str, review_on: date
) -> client.Body:
    """``governance.decision.recorded`` for a closed proposal, counted from its ballots; stores
    the outcome statement. Raises ``ResultsHiddenError`` if a hidden proposal is still open."""
    record = await load_proposal(conn, proposal)
    count = await count_of(conn, record)
    await store.store_text(conn, statement_text)
    return client.record_decision(count=count, statement_text=statement_text, review_on=review_on)
