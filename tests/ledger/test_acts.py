"""The act declarations (``ledger.acts``) agree with the kind list, the handlers, the GraphQL
mutations and docs/formats.md: a kind is declared once and everything else follows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.graphql.schema import build_schema
from governance.acts import GOVERNANCE_ACTS
from governance.handler import GovernanceHandler
from ledger.acts import ANSWERS, MEMBER_ACTS, Act, by_kind
from ledger.credits.acts import CREDIT_ACTS
from ledger.credits.handler import CreditsHandler
from ledger.fields import json_schema
from ledger.service import MembersHandler
from ledger.statement import CREDIT_KINDS, GOVERNANCE_KINDS, KINDS, LEDGER_KINDS

FORMATS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"
ALL = (*MEMBER_ACTS, *CREDIT_ACTS, *GOVERNANCE_ACTS)


def test_each_domain_declares_exactly_its_kinds() -> None:
    assert {a.kind for a in MEMBER_ACTS} == LEDGER_KINDS
    assert {a.kind for a in CREDIT_ACTS} == CREDIT_KINDS
    assert {a.kind for a in GOVERNANCE_ACTS} == GOVERNANCE_KINDS
    assert len(ALL) == len(KINDS) == len(by_kind(ALL))


def test_the_handlers_take_the_declared_kinds() -> None:
    assert MembersHandler.kinds == LEDGER_KINDS
    assert CreditsHandler.kinds == CREDIT_KINDS
    assert GovernanceHandler.kinds == GOVERNANCE_KINDS


def test_a_kind_or_a_mutation_declared_twice_is_refused() -> None:
    act = CREDIT_ACTS[0]
    with pytest.raises(ValueError, match="declared twice"):
        by_kind([act, act])
    with pytest.raises(ValueError, match="unknown answer"):
        Act(
            "x.y",
            signer="",
            mutation=None,
            answer="nothing",
            subject=None,
            check=0,
            apply=0,
            body=object,
        )
    assert {a.answer for a in ALL} <= ANSWERS


def test_every_declared_mutation_takes_its_signed_statement() -> None:
    mutations = build_schema()._schema.mutation_type
    assert mutations is not None
    declared = [a for a in ALL if a.mutation is not None]
    assert {a.mutation for a in declared} <= set(mutations.fields)
    for act in declared:
        assert act.mutation is not None
        field = mutations.fields[act.mutation]
        assert str(field.args["statement"].type) == "SignedStatementInput!"
        assert str(field.type) == f"{act.mutation[0].upper()}{act.mutation[1:]}Result!"
        assert act.kind in (field.description or "")


def test_docs_list_every_kind_with_who_signs_it() -> None:
    rows = re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", FORMATS.read_text(), re.MULTILINE)
    documented = {kind: signer.strip() for kind, signer in rows if kind in KINDS}
    assert documented == {a.kind: a.signer for a in ALL}


def test_each_act_names_its_subject_among_its_body_fields() -> None:
    for act in ALL:
        fields = json_schema(act.body)["properties"]
        assert act.subject is None or act.subject in fields, act.kind
