"""A served ledger with credits and governance, and helpers to run GraphQL against it.

Most tests call ``world.execute(...)``: ``schema.execute`` with a real context (the app's
state, a bearer token or none), no HTTP in between.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from strawberry.types import ExecutionResult

from api.app import create_app
from api.client import act_document, graphql_input
from api.graphql.context import Context
from api.graphql.results import ANSWERS
from api.graphql.schema import Schema, build_schema
from api.runtime import init_ledger
from api.schemas import ACTS
from api.settings import ApiSettings
from api.state import ApiState
from governance import client as governance
from governance.bodies import VoteBody
from ledger.authoring import StatementFactory
from ledger.config import LedgerConfig, Settings
from ledger.credits import client as credits
from ledger.credits.bodies import ClaimBody
from ledger.credits.rules import rule_table_from_community
from ledger.encoding import JSONValue, format_time, utc_now
from ledger.signing import Keypair
from tests.ledger.credits.helpers import MEMBERS as CREDIT_MEMBERS
from tests.ledger.credits.helpers import RULES_V1 as RULES

ORIGIN = "graphql.coopledger.example/log"
TODAY = date.today()

ACTS_BY_KIND = {act.kind: act for act in ACTS}
MEMBERS = {handle: row for handle, row in CREDIT_MEMBERS.items() if handle != "anchor-uni"}


@dataclass
class GraphQLWorld:
    """An initialised, running ledger served by the app, with named members' keys."""

    app: FastAPI
    config: LedgerConfig
    schema: Schema
    keys: dict[str, Keypair] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> ApiState:
        state: ApiState = self.app.state.api
        return state

    @property
    def factory(self) -> StatementFactory:
        return StatementFactory(ORIGIN)

    def context(self, who: str | None = None) -> Context:
        token = self.tokens.get(who) if who else None
        return Context(self.state, f"Bearer {token}" if token else None)

    async def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, *, who: str | None = None
    ) -> ExecutionResult:
        return await self.schema.execute(
            query, variable_values=dict(variables or {}), context_value=self.context(who)
        )

    async def data(
        self, query: str, variables: Mapping[str, Any] | None = None, *, who: str | None = None
    ) -> Any:
        """The data of a query that must not fail."""
        result = await self.execute(query, variables, who=who)
        assert result.errors is None, result.errors
        return result.data

    async def act(
        self, who: str, field_name: str, success: str, kind: str, body: Mapping[str, JSONValue]
    ) -> dict[str, Any]:
        """``who`` signs and submits ``body``; the mutation's payload (success or refusal)."""
        signed = self.factory.sign(self.keys[who], kind, body)
        data = await self.data(
            act_document(field_name, success), {"s": graphql_input(signed)}, who=who
        )
        payload: dict[str, Any] = data[field_name]
        return payload

    async def accepted(
        self, who: str, field_name: str, success: str, kind: str, body: Mapping[str, JSONValue]
    ) -> int:
        """Like ``act``, but the act must be accepted; returns its entry seq."""
        payload = await self.act(who, field_name, success, kind, body)
        assert payload["__typename"] == success, payload
        return int(payload["receipt"]["seq"])

    async def submit(self, who: str, kind: str, body: Mapping[str, JSONValue]) -> int:
        """``who`` signs ``body`` as ``kind`` and submits it with the mutation declared for
        that kind; it must be accepted. Its entry seq."""
        act = ACTS_BY_KIND[kind]
        return await self.accepted(who, str(act.mutation), ANSWERS[act.answer].name, kind, body)

    async def admit(
        self, member: str, kind: str = "sme", borough: str = "Croydon", roles: Sequence[str] = ()
    ) -> Keypair:
        keypair = Keypair.generate()
        body: dict[str, JSONValue] = {
            "member": member,
            "public_key": keypair.public_key_b64,
            "member_kind": kind,
            "borough": borough,
            "roles": list(roles),
        }
        await self.submit("steward", "member.admitted", body)
        self.keys[member] = keypair
        return keypair

    async def login(self, who: str) -> str:
        """Log ``who`` in through the challenge and login mutations; keep the token."""
        key = self.keys[who]
        data = await self.data(
            "mutation($k: String!) { requestLoginChallenge(keyId: $k) { challenge message } }",
            {"k": key.key_id},
        )
        challenge = data["requestLoginChallenge"]
        signature = base64.b64encode(key.sign(base64.b64decode(challenge["message"]))).decode()
        data = await self.data(
            "mutation($k: String!, $c: String!, $s: String!) { login(keyId: $k, challenge: $c, "
            "signature: $s) { __typename ... on LoginSession { token } "
            "... on Refusal { code message } } }",
            {"k": key.key_id, "c": challenge["challenge"], "s": signature},
        )
        assert data["login"]["__typename"] == "LoginSession", data
        self.tokens[who] = data["login"]["token"]
        return self.tokens[who]

    def claim_body(
        self, who: str, *, counterparty: str, quantity: int = 1, note: str = ""
    ) -> dict[str, Any]:
        """A mentoring claim's body, its evidence made from who, counterparty and ``note``."""
        return ClaimBody(
            activity="mentoring.hour",
            quantity=quantity,
            evidence_sha256=credits.evidence_digest(f"{who}{counterparty}{note}".encode()),
            done_on=TODAY,
            counterparty=counterparty,
        ).to_json()

    async def claim(self, who: str, *, counterparty: str, quantity: int = 1, note: str = "") -> int:
        body = self.claim_body(who, counterparty=counterparty, quantity=quantity, note=note)
        return await self.submit(who, "credit.claimed", body)

    async def confirm(self, who: str, claim: int, member: str, quantity: int = 1) -> int:
        body: dict[str, JSONValue] = {
            "member": member,
            "credits": 2 * quantity,
            "activity": "mentoring.hour",
            "rule_version": 1,
            "quantity": quantity,
            "basis": {"claim": claim},
        }
        return await self.submit(who, "credit.awarded", body)

    async def group(
        self,
        slug: str,
        *,
        convenor: str,
        members: Sequence[str] = (),
        observers: Sequence[str] = (),
    ) -> None:
        """The board creates ``slug`` and sets every role directly."""
        body: dict[str, JSONValue] = {"group": slug, "name": slug.title()}
        await self.submit("steward", "governance.group.created", body)
        roles = [(convenor, "convenor")] + [(m, "member") for m in members]
        roles += [(m, "observer") for m in observers]
        for member, role in roles:
            body = {"group": slug, "member": member, "role": role}
            await self.submit("steward", "governance.group.role_set", body)

    async def draft(self, who: str, mutation: str, variables: Mapping[str, Any]) -> Any:
        """Run a prepare mutation as ``who`` (logging in first); the body or the refusal."""
        if who not in self.tokens:
            await self.login(who)
        data = await self.data(mutation, variables, who=who)
        return next(iter(data.values()))

    async def opening(self, who: str, group: str, **fields: Any) -> dict[str, Any]:
        """The opening ``who`` prepares of a motion in ``group`` closing in a week (its text
        stored), to sign; ``fields`` are further or other ``ProposalDraftInput`` fields."""
        draft = {
            "group": group,
            "title": "Priorities",
            "bodyText": "What should we work on next?",
            "method": "proposal",
            "closesAt": format_time(utc_now() + timedelta(days=7)),
            **fields,
        }
        prepared = await self.draft(who, PREPARE_PROPOSAL, {"d": draft})
        assert prepared["__typename"] == "Draft", prepared
        body: dict[str, Any] = prepared["body"]
        return body

    async def propose(self, who: str, group: str, **fields: Any) -> int:
        """``who`` prepares and opens a proposal; returns its seq."""
        body = await self.opening(who, group, **fields)
        return await self.submit(who, "governance.proposal.opened", body)

    async def vote(self, who: str, proposal: int, ballot: Mapping[str, Any]) -> dict[str, Any]:
        """``who`` votes (sealing the ballot when the proposal is hidden); the payload."""
        data = await self.data("query($p: Int!) { proposal(seq: $p) { sealKey } }", {"p": proposal})
        key = data["proposal"]["sealKey"]
        if key is None:
            body = VoteBody(proposal=proposal, ballot=ballot).to_json()
        else:
            body = governance.cast_sealed_vote(
                proposal=proposal, member=who, ballot=ballot, seal_key=base64.b64decode(key)
            )
        return await self.act(who, "castVote", "ProposalAccepted", "governance.vote.cast", body)

    async def close(self, who: str, proposal: int, reason: str = "early") -> int:
        prepared = await self.draft(who, PREPARE_CLOSE, {"p": proposal, "r": reason})
        assert prepared["__typename"] == "Draft", prepared
        return await self.submit(who, prepared["kind"], prepared["body"])

    async def decide(self, who: str, proposal: int, statement: str = "Agreed.") -> int:
        variables = {"p": proposal, "t": statement, "r": (TODAY + timedelta(days=180)).isoformat()}
        prepared = await self.draft(who, PREPARE_DECISION, variables)
        assert prepared["__typename"] == "Draft", prepared
        return await self.submit(who, prepared["kind"], prepared["body"])


DRAFT = "{ __typename ... on Draft { kind body } ... on Refusal { code message } }"
PREPARE_PROPOSAL = f"mutation($d: ProposalDraftInput!) {{ prepareProposal(draft: $d) {DRAFT} }}"
PREPARE_CLOSE = (
    f"mutation($p: Int!, $r: String!) {{ prepareClose(proposal: $p, reason: $r) {DRAFT} }}"
)
PREPARE_DECISION = (
    "mutation($p: Int!, $t: String!, $r: Date!) { prepareDecision(proposal: $p, "
    f"statementText: $t, reviewOn: $r) {DRAFT} }}"
)


@asynccontextmanager
async def graphql_world(
    database_url: str, tmp_path: Path, *, settings: ApiSettings | None = None
) -> AsyncIterator[GraphQLWorld]:
    """A ledger on ``database_url`` with the v1 rule table and ``MEMBERS`` admitted.

    The mutation rate limit is raised out of the way unless ``settings`` say otherwise: the
    tests that set members acting in quick bursts are not about it (its own tests are).
    """
    options = settings or ApiSettings(mutation_rate=1000, mutation_burst=1000)
    config = await init_ledger(
        Settings(data=tmp_path / "data", database_url=database_url),
        origin=ORIGIN,
        steward_id="steward",
        rules=rule_table_from_community(RULES),
    )
    app = create_app(config=config, api_settings=options)
    async with app.router.lifespan_context(app):
        world = GraphQLWorld(app, config, build_schema(options), {"steward": config.steward()})
        for member, (kind, borough, roles) in MEMBERS.items():
            await world.admit(member, kind, borough, roles)
        yield world


@asynccontextmanager
async def http_client(world: GraphQLWorld) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the world's app in process (``httpx.ASGITransport``)."""
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
