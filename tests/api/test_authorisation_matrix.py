"""Who may sign what: every role against every signed mutation, one test case per pair.

The expected table (``ROWS``) is the specification, written from the "signed by" column of
docs/formats.md §6 and the rules of docs/credits.md and docs/governance.md, not from the
code. Each case gets a fresh cast in its role's ledger: a board member, a working group with
its convenor, a member and an observer, a plain member outside the group, a claimant and
the counterparty they name, a member whose key was revoked, a member whose personal data was
erased, and a key the ledger never admitted. It then sets up what the act needs (a claim, an
award, a dispute, a join request, an open or closed proposal, ...), has the role sign a
well-formed statement of that kind, submits it through GraphQL, and checks the answer.

Rules that hold for every row (and so are filled in by ``expect``):

- a key never admitted is refused ``unknown_key``, and a key retired by
  ``member.key_revoked`` is refused ``revoked_key``, whatever its member could otherwise do
  (docs/formats.md §2 and §6, "Keys, from the log alone"). Here the revoked key belongs to
  a board member who is also a voting member of the group and holds a replacement key, so
  only the key can be why it is refused;
- erasing a member's personal data is off the log and "the log and its proofs are
  untouched" (docs/api.md): an erased member keeps every right. Here the erased member is a
  voting member of the group, so they are expected to fare exactly as the group's member.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from api.settings import ApiSettings
from governance import bodies as gov
from governance.acts import GOVERNANCE_ACTS
from ledger.acts import MEMBER_ACTS, Act
from ledger.bootstrap import admission
from ledger.credits import bodies
from ledger.credits import client as credits
from ledger.credits.acts import CREDIT_ACTS
from ledger.credits.rules import parse_rule_table
from ledger.encoding import JSONValue
from ledger.migrate import upgrade
from ledger.signing import Keypair
from ledger.sql import make_engine, sqlite_url
from tests.api.graphql_world import (
    PREPARE_DECISION,
    TODAY,
    GraphQLWorld,
    graphql_world,
)

Body = dict[str, JSONValue]

ROLES = (
    "board",
    "convenor",
    "member",
    "observer",
    "outsider",
    "counterparty",
    "claimant",
    "revoked",
    "erased",
    "unknown",
)
"""The roles, each a member of a fresh cast (``Cast``): ``outsider`` is a plain co-op member
in no group; ``claimant`` and ``counterparty`` are the two sides of the case's claim (both
outside the group); ``unknown`` is a key never admitted."""

ACCEPTED = "accepted"

DECLARED: list[Act[Any, Any]] = [*MEMBER_ACTS, *CREDIT_ACTS, *GOVERNANCE_ACTS]
ACTS = {act.kind: act for act in DECLARED if act.mutation is not None}
"""Every declared act the API takes, by kind."""


def success_type(kind: str) -> str:
    """The GraphQL type an accepted act of ``kind`` answers with (``ClaimAccepted``, ...)."""
    answer = ACTS[kind].answer
    return "".join(part.title() for part in answer.split("_")) + "Accepted"


# -- the cast ---------------------------------------------------------------------------


@dataclass
class Cast:
    """The members of one case, by role, in one ledger."""

    world: GraphQLWorld
    n: int
    group: str
    ids: dict[str, str]

    def __getitem__(self, role: str) -> str:
        return self.ids[role]

    async def admit(self, name: str) -> str:
        """Admit a further member of this case (a target, an attendee, a requester)."""
        member = f"{name}-{self.n}"
        await self.world.admit(member, "sme", "Sutton")
        return member


ERASE = (
    "mutation($m: String!) { savePersonalData(member: $m, personal: {handle: $m, "
    'name: "Someone", email: "someone@example.org"}) { __typename } '
    "erasePersonalData(member: $m) { __typename } }"
)


async def new_cast(world: GraphQLWorld, n: int) -> Cast:
    """A fresh cast in ``world``; its statements are sent together where they can be."""
    ids = {role: f"{role}-{n}" for role in ROLES}
    boards = ("board", "revoked")
    await asyncio.gather(
        *(world.admit(ids[r], roles=["board"] if r in boards else []) for r in ROLES[:-1])
    )
    world.keys[ids["unknown"]] = Keypair.generate()
    group = f"wg-{n}"
    body: Body = {"group": group, "name": f"Working Group {n}"}
    await world.submit("steward", "governance.group.created", body)
    roles = {"convenor": "convenor", "observer": "observer"}
    revoked = ids["revoked"]
    revocation: Body = {
        "member": revoked,
        "key_id": world.keys[revoked].key_id,
        "replacement": Keypair.generate().public_key_b64,
    }
    await asyncio.gather(
        *(
            world.submit(
                "steward",
                "governance.group.role_set",
                gov.RoleBody(group=group, member=ids[r], role=roles.get(r, "member")).to_json(),
            )
            for r in ("convenor", "member", "observer", "revoked", "erased")
        )
    )
    await world.submit("steward", "member.key_revoked", revocation)
    erased = await world.data(ERASE, {"m": ids["erased"]}, who="steward")
    assert erased["erasePersonalData"]["__typename"] == "PersonalDataSaved", erased
    return Cast(world, n, group, ids)


# -- what each act needs first ----------------------------------------------------------


async def rule_version(world: GraphQLWorld) -> int:
    data = await world.data("{ ruleTable { version } }")
    return int(data["ruleTable"]["version"])


def award_body(member: str, activity: str, credits_: int, version: int, basis: Body) -> Body:
    return {
        "member": member,
        "credits": credits_,
        "activity": activity,
        "rule_version": version,
        "quantity": 1,
        "basis": basis,
    }


def _claim_body(cast: Cast, activity: str, evidence: str, **fields: Any) -> Body:
    """A claim of one ``activity`` naming the counterparty, its evidence made of ``evidence``."""
    return bodies.ClaimBody(
        activity=activity,
        quantity=1,
        evidence_sha256=credits.evidence_digest(evidence.encode()),
        done_on=TODAY,
        counterparty=cast["counterparty"],
        **fields,
    ).to_json()


async def _claim(cast: Cast, activity: str, evidence: str, **fields: Any) -> tuple[int, int]:
    """The claimant's open claim of one ``activity`` naming the counterparty: (seq, version)."""
    version = await rule_version(cast.world)
    body = _claim_body(cast, activity, f"{evidence} {cast.n}", **fields)
    return await cast.world.submit(cast["claimant"], "credit.claimed", body), version


async def mentoring_claim(cast: Cast) -> tuple[int, int]:
    """The claimant's open claim for an hour of mentoring the counterparty: (seq, version)."""
    return await _claim(cast, "mentoring.hour", "mentoring")


async def group_claim(cast: Cast) -> tuple[int, int]:
    """The claimant's open claim for facilitating a workshop of the group (convenor
    approval), naming the counterparty too: (seq, version)."""
    return await _claim(cast, "workshop.facilitated", "workshop", group=cast.group)


async def mentoring_award(cast: Cast) -> int:
    """The counterparty's award of 2 credits on the claimant's mentoring claim."""
    claim, version = await mentoring_claim(cast)
    body = award_body(cast["claimant"], "mentoring.hour", 2, version, {"claim": claim})
    return await cast.world.submit(cast["counterparty"], "credit.awarded", body)


async def join_request(cast: Cast) -> int:
    requester = await cast.admit("requester")
    body = gov.JoinRequestBody(group=cast.group, role="member").to_json()
    return await cast.world.submit(requester, "governance.group.join_requested", body)


async def prepared_opening(world: GraphQLWorld, group: str, **fields: Any) -> Body:
    """The steward's prepared opening of a motion in ``group`` (its text stored)."""
    return await world.opening("steward", group, title="Next workshop", **fields)


async def open_proposal(cast: Cast, group: str | None = None) -> int:
    body = await prepared_opening(cast.world, group or cast.group)
    return await cast.world.submit("steward", "governance.proposal.opened", body)


# -- the body each row signs ------------------------------------------------------------

Build = Callable[[Cast, str], Awaitable[Body]]


async def rules_adopted(cast: Cast, signer: str) -> Body:
    """The next rule table version (the same rules), after the assembly passed a decision
    adopting exactly it."""
    world = cast.world
    data = await world.data("{ ruleTable { body } }")
    current: Body = dict(data["ruleTable"]["body"])
    version = int(str(current["version"])) + 1
    digest = parse_rule_table({**current, "version": version, "decision": 0}).digest()
    action = {"type": "adopt_rule_table", "version": version, "digest": digest}
    proposal = await world.propose("steward", "assembly", action=action)
    voted = await world.vote("steward", proposal, {"choice": "agree"})
    assert voted["__typename"] == "ProposalAccepted", voted
    await world.close("steward", proposal)
    decision = await world.decide("steward", proposal)
    return {**current, "version": version, "decision": decision}


async def session_recorded(cast: Cast, signer: str) -> Body:
    return bodies.SessionBody(
        activity="workshop.attended",
        held_on=TODAY,
        attendees=[await cast.admit("attendee")],
        title="Supply Chain Readiness",
        group=cast.group,
    ).to_json()


async def claimed(cast: Cast, signer: str) -> Body:
    return _claim_body(cast, "mentoring.hour", f"claim by {signer}")


async def declined(cast: Cast, signer: str) -> Body:
    claim, _ = await mentoring_claim(cast)
    return bodies.DeclineBody(claim=claim, reason="not_recognised").to_json()


async def withdrawn(cast: Cast, signer: str) -> Body:
    claim, _ = await mentoring_claim(cast)
    return bodies.DeclineBody(claim=claim, reason="withdrawn").to_json()


async def awarded(cast: Cast, signer: str) -> Body:
    claim, version = await mentoring_claim(cast)
    return award_body(cast["claimant"], "mentoring.hour", 2, version, {"claim": claim})


async def awarded_by_convenor(cast: Cast, signer: str) -> Body:
    claim, version = await group_claim(cast)
    return award_body(cast["claimant"], "workshop.facilitated", 6, version, {"claim": claim})


async def awarded_from_register(cast: Cast, signer: str) -> Body:
    """An award to the claimant, an attendee of a register the convenor recorded."""
    version = await rule_version(cast.world)
    register = bodies.SessionBody(
        activity="workshop.attended",
        held_on=TODAY,
        attendees=[cast["claimant"]],
        title="Fit to Bid",
        group=cast.group,
    ).to_json()
    session = await cast.world.submit(cast["convenor"], "credit.session_recorded", register)
    return award_body(cast["claimant"], "workshop.attended", 2, version, {"session": session})


async def reversed_(cast: Cast, signer: str) -> Body:
    return bodies.ReversalBody(
        award=await mentoring_award(cast), credits=2, reason="error"
    ).to_json()


async def reversed_own_approval(cast: Cast, signer: str) -> Body:
    """The reversal of an award the board role's member approved themself."""
    claim, version = await group_claim(cast)
    body = award_body(cast["claimant"], "workshop.facilitated", 6, version, {"claim": claim})
    award = await cast.world.submit(cast["board"], "credit.awarded", body)
    return bodies.ReversalBody(award=award, credits=6, reason="error").to_json()


async def adjusted(cast: Cast, signer: str) -> Body:
    award = await mentoring_award(cast)
    return bodies.AdjustmentBody(award=award, credits=-1, reason="wrong_quantity").to_json()


async def disputed(cast: Cast, signer: str) -> Body:
    return bodies.DisputeBody(award=await mentoring_award(cast), reason="not_delivered").to_json()


async def dispute_resolved(cast: Cast, signer: str) -> Body:
    award = await mentoring_award(cast)
    body = bodies.DisputeBody(award=award, reason="wrong_quantity").to_json()
    dispute = await cast.world.submit(cast["claimant"], "credit.disputed", body)
    return bodies.ResolutionBody(dispute=dispute, outcome="dismissed", note="As agreed.").to_json()


async def admitted(cast: Cast, signer: str) -> Body:
    key = Keypair.generate().public_key_b64
    return admission(f"newcomer-{cast.n}", key, member_kind="sme", borough="Merton")


async def key_rotated(cast: Cast, signer: str) -> Body:
    return {"member": signer, "public_key": Keypair.generate().public_key_b64}


async def key_revoked(cast: Cast, signer: str) -> Body:
    target = await cast.admit("target")
    return {"member": target, "key_id": cast.world.keys[target].key_id}


async def group_created(cast: Cast, signer: str) -> Body:
    return gov.GroupBody(group=f"new-{cast.n}", name="New Group").to_json()


async def join_requested(cast: Cast, signer: str) -> Body:
    """A request to join a second working group, which nobody of the cast is in."""
    other = f"other-{cast.n}"
    body = gov.GroupBody(group=other, name="Other").to_json()
    await cast.world.submit("steward", "governance.group.created", body)
    return gov.JoinRequestBody(group=other, role="member").to_json()


async def join_approved(cast: Cast, signer: str) -> Body:
    return gov.RequestBody(request=await join_request(cast)).to_json()


async def join_declined(cast: Cast, signer: str) -> Body:
    return gov.RequestBody(request=await join_request(cast)).to_json()


async def left(cast: Cast, signer: str) -> Body:
    return gov.LeaveBody(group=cast.group).to_json()


async def target_in_group(cast: Cast, role: str) -> str:
    target = await cast.admit("target")
    body = gov.RoleBody(group=cast.group, member=target, role=role).to_json()
    await cast.world.submit("steward", "governance.group.role_set", body)
    return target


async def role_set(cast: Cast, signer: str) -> Body:
    """An observer of the group made a member."""
    target = await target_in_group(cast, "observer")
    return gov.RoleBody(group=cast.group, member=target, role="member").to_json()


async def convenor_set(cast: Cast, signer: str) -> Body:
    """A member of the group made its convenor."""
    target = await target_in_group(cast, "member")
    return gov.RoleBody(group=cast.group, member=target, role="convenor").to_json()


async def opened(cast: Cast, signer: str) -> Body:
    return await prepared_opening(cast.world, cast.group)


async def opened_in_assembly(cast: Cast, signer: str) -> Body:
    return await prepared_opening(cast.world, "assembly")


async def vote_cast(cast: Cast, signer: str) -> Body:
    return gov.VoteBody(proposal=await open_proposal(cast), ballot={"choice": "agree"}).to_json()


async def vote_cast_in_assembly(cast: Cast, signer: str) -> Body:
    proposal = await open_proposal(cast, "assembly")
    return gov.VoteBody(proposal=proposal, ballot={"choice": "agree"}).to_json()


async def closed(cast: Cast, signer: str) -> Body:
    return gov.CloseBody(proposal=await open_proposal(cast), reason="early").to_json()


async def decision_recorded(cast: Cast, signer: str) -> Body:
    proposal = await open_proposal(cast)
    await cast.world.close("steward", proposal)
    variables = {"p": proposal, "t": "Noted.", "r": (TODAY + timedelta(days=90)).isoformat()}
    prepared = await cast.world.draft("steward", PREPARE_DECISION, variables)
    assert prepared["__typename"] == "Draft", prepared
    body: Body = prepared["body"]
    return body


# -- the expected table -----------------------------------------------------------------


def expect(default: str, **overrides: str) -> dict[str, str]:
    """``default`` for every role but those overridden; always ``unknown_key`` for the
    unknown key and ``revoked_key`` for the revoked one; the erased member as the member."""
    outcome = dict.fromkeys(ROLES, default)
    outcome.update(overrides)
    outcome.update(unknown="unknown_key", revoked="revoked_key", erased=outcome["member"])
    return outcome


@dataclass(frozen=True)
class Row:
    """One act (a kind, and for some kinds a variant of its precondition) and who may sign it."""

    kind: str
    build: Build
    expected: dict[str, str]
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.kind}+{self.variant}" if self.variant else self.kind


BOARD_ONLY = expect("not_authorised", board=ACCEPTED)
CONVENOR_OR_BOARD = expect("not_convenor", board=ACCEPTED, convenor=ACCEPTED)

ROWS = (
    # docs/formats.md §6, Credits; docs/credits.md
    Row("credit.rules_adopted", rules_adopted, BOARD_ONLY),
    Row(
        "credit.session_recorded",
        session_recorded,
        expect("not_authorised", board=ACCEPTED, convenor=ACCEPTED),
    ),
    # any member claims; no one is their own counterparty
    Row("credit.claimed", claimed, expect(ACCEPTED, counterparty="self_approval")),
    # a mentoring claim: its approver is the counterparty (not the board), and the
    # claimant can only withdraw
    Row("credit.declined", declined, expect("not_authorised", counterparty=ACCEPTED)),
    Row(
        "credit.declined",
        withdrawn,
        expect("not_authorised", claimant=ACCEPTED),
        variant="withdrawn",
    ),
    Row(
        "credit.awarded",
        awarded,
        expect("not_authorised", counterparty=ACCEPTED, claimant="self_approval"),
    ),
    # a claim naming the group: its convenor or a board member approves, not the
    # counterparty it also names
    Row(
        "credit.awarded",
        awarded_by_convenor,
        expect("not_authorised", board=ACCEPTED, convenor=ACCEPTED, claimant="self_approval"),
        variant="group-claim",
    ),
    # a register: only the organiser who recorded it awards it, a board member included
    Row(
        "credit.awarded",
        awarded_from_register,
        expect("not_authorised", convenor=ACCEPTED, claimant="self_approval"),
        variant="register",
    ),
    Row("credit.reversed", reversed_, BOARD_ONLY),
    # the board member approved the award: a correction needs a second signer
    Row(
        "credit.reversed",
        reversed_own_approval,
        expect("not_authorised", board="second_signer"),
        variant="own-approval",
    ),
    Row("credit.adjusted", adjusted, BOARD_ONLY),
    Row(
        "credit.disputed",
        disputed,
        expect("not_authorised", claimant=ACCEPTED, counterparty=ACCEPTED),
    ),
    # the board member is no party to the dispute; the counterparty is, and is off the board
    Row("credit.dispute_resolved", dispute_resolved, BOARD_ONLY),
    # docs/formats.md §6, Log and members
    Row("member.admitted", admitted, BOARD_ONLY),
    Row("member.key_rotated", key_rotated, expect(ACCEPTED)),
    Row("member.key_revoked", key_revoked, BOARD_ONLY),
    # docs/formats.md §6, Governance; docs/governance.md
    Row("governance.group.created", group_created, BOARD_ONLY),
    Row("governance.group.join_requested", join_requested, expect(ACCEPTED)),
    Row("governance.group.join_approved", join_approved, CONVENOR_OR_BOARD),
    Row("governance.group.join_declined", join_declined, CONVENOR_OR_BOARD),
    # only someone in the group leaves it
    Row(
        "governance.group.left",
        left,
        expect("not_found", convenor=ACCEPTED, member=ACCEPTED, observer=ACCEPTED),
    ),
    Row(
        "governance.group.role_set",
        role_set,
        expect("not_authorised", board=ACCEPTED, convenor=ACCEPTED),
    ),
    # the board appoints convenors; a convenor cannot
    Row("governance.group.role_set", convenor_set, BOARD_ONLY, variant="convenor"),
    Row("governance.proposal.opened", opened, CONVENOR_OR_BOARD),
    Row(
        "governance.proposal.opened",
        opened_in_assembly,
        expect("not_convenor", board=ACCEPTED),
        variant="assembly",
    ),
    # the electorate is the group's convenor and members: not observers, not the board
    Row(
        "governance.vote.cast",
        vote_cast,
        expect("not_eligible", convenor=ACCEPTED, member=ACCEPTED, observer="observer"),
    ),
    # the assembly's electorate is every member who can sign
    Row("governance.vote.cast", vote_cast_in_assembly, expect(ACCEPTED), variant="assembly"),
    Row("governance.proposal.closed", closed, CONVENOR_OR_BOARD),
    Row("governance.decision.recorded", decision_recorded, CONVENOR_OR_BOARD),
)


# -- the ledgers ------------------------------------------------------------------------


class Ledgers:
    """One served ledger per role (each row of the matrix in its own), with the steward
    logged in, and a counter naming each case's cast."""

    def __init__(self, worlds: dict[str, GraphQLWorld]) -> None:
        self.worlds = worlds
        self.cases = 0

    async def cast(self, role: str) -> Cast:
        self.cases += 1
        return await new_cast(self.worlds[role], self.cases)


async def _serve(root: Path, ready: asyncio.Future[Ledgers], stop: asyncio.Event) -> None:
    """Open every role's ledger, hand them over, and close them all when told: opening and
    closing happen in this one task."""
    settings = ApiSettings(mutation_rate=10_000, mutation_burst=10_000)
    try:
        async with AsyncExitStack() as stack:
            worlds: dict[str, GraphQLWorld] = {}
            for role in ROLES:
                folder = root / role
                folder.mkdir()
                url = sqlite_url(folder / "ledger.db")
                engine = make_engine(url)
                await upgrade(engine)
                await engine.dispose()
                world = await stack.enter_async_context(
                    graphql_world(url, folder, settings=settings)
                )
                await world.login("steward")
                worlds[role] = world
            ready.set_result(Ledgers(worlds))
            await stop.wait()
    except BaseException as e:
        if not ready.done():
            ready.set_exception(e)
        raise


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ledgers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Ledgers]:
    ready: asyncio.Future[Ledgers] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    server = asyncio.create_task(_serve(tmp_path_factory.mktemp("matrix"), ready, stop))
    try:
        yield await ready
    finally:
        stop.set()
        await server


# -- the tests --------------------------------------------------------------------------


def test_the_matrix_covers_every_signed_act() -> None:
    assert {row.kind for row in ROWS} == set(ACTS)
    assert all(set(row.expected) == set(ROLES) for row in ROWS)
    names = [row.name for row in ROWS]
    assert len(names) == len(set(names))


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("row", "role"),
    [pytest.param(row, role, id=f"{row.name}-{role}") for row in ROWS for role in ROLES],
)
async def test_role_signs_act(ledgers: Ledgers, row: Row, role: str) -> None:
    cast = await ledgers.cast(role)
    world = cast.world
    signer = cast[role]
    body = await row.build(cast, signer)
    before = await log_size(world)
    success = success_type(row.kind)
    answer = await world.act(signer, str(ACTS[row.kind].mutation), success, row.kind, body)
    outcome = ACCEPTED if answer["__typename"] == success else answer["code"]
    assert outcome == row.expected[role], answer
    after = await log_size(world)
    assert after == (before + 1 if outcome == ACCEPTED else before)


async def log_size(world: GraphQLWorld) -> int:
    data = await world.data("{ checkpoint { size } }")
    return int(data["checkpoint"]["size"])
