"""The command line against the act declarations: every act the API takes has a command (or
is listed here as having none, with why), and each command's options cover its body."""

from __future__ import annotations

import typer.main

from api.cli import app
from api.schemas import ACTS
from ledger.fields import json_schema

COMMANDS: dict[str, tuple[str, dict[str, str]]] = {
    # kind: (command, {body field: what stands for it, when not an option of its name})
    "member.admitted": (
        "admit",
        {"member_kind": "kind", "roles": "none: the board role is given by init only"},
    ),
    "credit.session_recorded": ("register", {"attendees": "attendee"}),
    "credit.claimed": ("claim", {"evidence_sha256": "evidence (a file or --note, hashed)"}),
    "credit.awarded": (
        "confirm",
        {
            "member": "the claim's claimant",
            "credits": "the rule table in force at the claim",
            "activity": "the claim",
            "rule_version": "the rule table in force at the claim",
            "quantity": "the claim",
            "basis": "claim_seq",
        },
    ),
    "credit.declined": ("decline", {"claim": "claim_seq"}),
    "credit.reversed": ("reverse", {}),
    "credit.disputed": ("dispute", {}),
    "governance.group.created": ("create-group", {}),
    "governance.group.join_requested": ("join", {}),
    "governance.group.join_approved": ("approve-join", {}),
    "governance.group.join_declined": ("decline-join", {}),
    "governance.group.left": ("leave", {}),
    "governance.group.role_set": ("set-role", {}),
    "governance.proposal.opened": (
        "propose",
        {
            "body_sha256": "text (stored, then hashed)",
            "options": "option",
            "rules": "method, quorum, threshold (the rest: the method's defaults)",
            "electorate": "the group's members now",
            "electorate_sha256": "the electorate",
            "opens_at": "now",
            "closes_at": "days",
            "seal_key": "hidden (a fresh key pair)",
            "action": "none: actions are proposed through the API",
        },
    ),
    "governance.vote.cast": (
        "vote",
        {"ballot": "choice, option, ranking or ballot", "sealed": "the ballot, if hidden"},
    ),
    "governance.proposal.closed": ("close", {"seal_private_key": "the proposal's stored key"}),
    "governance.decision.recorded": (
        "decide",
        {
            "result": "the count of the closed proposal",
            "transcript_sha256": "the count of the closed proposal",
            "statement_sha256": "statement (stored, then hashed)",
            "review_on": "review_days",
        },
    ),
}
WITHOUT_COMMAND = {
    "credit.rules_adopted": "version 1 is `init --rules`; later versions follow a decision",
    "credit.adjusted": "a board correction, made through the API",
    "credit.dispute_resolved": "a board ruling, made through the API",
    "member.key_rotated": "made through the API",
    "member.key_revoked": "made through the API",
}


def test_every_act_the_api_takes_has_a_command_or_a_reason_not_to() -> None:
    taken = {a.kind for a in ACTS if a.mutation is not None}
    assert taken == set(COMMANDS) | set(WITHOUT_COMMAND)
    assert not set(COMMANDS) & set(WITHOUT_COMMAND)


def test_each_command_covers_its_body() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    bodies = {a.kind: a.body for a in ACTS}
    for kind, (name, instead) in COMMANDS.items():
        options = {p.name for p in commands[name].params}
        fields = set(json_schema(bodies[kind])["properties"])
        assert set(instead) <= fields, kind
        assert fields - set(instead) <= options, (kind, name, fields - set(instead) - options)
