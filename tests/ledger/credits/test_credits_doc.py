"""docs/credits.md's worked examples are what the code gives: the rule table's digest, the
totals of the tests' small month (on every backend) and its Gini coefficient."""

from __future__ import annotations

import hashlib
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from ledger.credits import reports
from ledger.credits.community import default_rule_table
from ledger.credits.distribution import decimal_string, gini, per_mille
from ledger.credits.rules import parse_rule_table
from ledger.encoding import canonical_json
from tests.conftest import SQL_BACKENDS
from tests.ledger.credits.test_reports import scenario

DOC = Path(__file__).resolve().parents[3] / "docs" / "credits.md"


def _json_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"^```json\n(.*?)\n```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_rule_table_digest_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    body = json.loads(_json_blocks()[0])
    table = parse_rule_table(body)
    hashed = canonical_json({k: v for k, v in body.items() if k != "decision"})
    assert f"```\n{hashed.decode()}\n```" in text
    assert table.digest() == hashlib.sha256(hashed).hexdigest()
    assert f"so its digest is `{table.digest()}`" in text
    reordered = parse_rule_table({**body, "decision": None})
    assert reordered.digest() == table.digest()  # the decision is not hashed
    assert f"has the digest `{default_rule_table().digest()}`" in text


def test_the_gini_example() -> None:
    text = DOC.read_text(encoding="utf-8")
    balances = [0, 0, 0, 0, 8, 8, 12]
    value = gini(balances)
    n, total = len(balances), sum(balances)
    weighted = sum(i * x for i, x in enumerate(balances, start=1))
    assert value == Fraction(2 * weighted, n * total) - Fraction(n + 1, n) == Fraction(30, 49)
    assert f"= {value.numerator}/{value.denominator}, shown as `{decimal_string(value)}`" in text
    assert f"({per_mille(value)} per mille)" in text
    assert gini([0, 0, 0]) == gini([]) == 0
    assert gini([5, 5]) == 0 and gini([0, 10]) == Fraction(1, 2)  # zeros count


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_the_totals_example(database_url: str) -> None:
    documented = json.loads(_json_blocks()[1])
    async with scenario(database_url) as (c, _):
        registry = c.world.ledger.registry
        async with c.read() as conn:
            found = {
                d: [(t.key, t.credits) for t in await reports.totals(conn, registry, d)]
                for d in reports.DIMENSIONS
            }
            spread = await reports.distribution(conn, registry)
    assert found == {d: list(keys.items()) for d, keys in documented.items()}
    assert spread.gini == Fraction(30, 49) and spread.members == 7
