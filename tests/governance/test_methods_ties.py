"""The seeded tie rule: SHA-256(seed || decimal index), smallest digest first."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from governance.tally import seeded_order
from governance.tally._ties import first_in_order, last_in_order, tie_order, tie_record
from tests.governance.helpers import make_rules


def test_known_answer() -> None:
    # Pinned: a change here changes every method's algorithm version.
    assert seeded_order(b"seed", 10) == (4, 0, 9, 2, 6, 3, 5, 8, 7, 1)
    assert seeded_order(b"opening-entry-hash", 4) == (0, 3, 2, 1)


def test_order_follows_the_digests() -> None:
    digests = {i: hashlib.sha256(b"seed" + str(i).encode()).digest() for i in range(10)}
    order = seeded_order(b"seed", 10)
    assert [digests[i] for i in order] == sorted(digests.values())
    # b"seed" + b"1" + ... is not confused with a two-digit index: 1 and 10 differ.
    assert hashlib.sha256(b"seed1").digest() == digests[1]


@given(seed=st.binary(max_size=40), n=st.integers(0, 40))
def test_order_is_a_permutation(seed: bytes, n: int) -> None:
    order = seeded_order(seed, n)
    assert sorted(order) == list(range(n))
    assert seeded_order(seed, n) == order


def test_different_seeds_give_different_orders() -> None:
    orders = {seeded_order(bytes([b]), 6) for b in range(50)}
    assert len(orders) > 40


def test_first_and_last_in_order() -> None:
    order = (4, 0, 9, 2, 6)
    assert first_in_order({2, 9}, order) == 9
    assert last_in_order({2, 9}, order) == 2
    assert first_in_order([6], order) == 6


def test_tie_order_is_empty_under_none() -> None:
    assert tie_order(make_rules(tie_rule="none")) == ()
    assert tie_order(make_rules()) == (0, 3, 2, 1)


def test_tie_record() -> None:
    record = tie_record(tied={3, 1}, chosen=3, rules=make_rules(), purpose="win")
    assert record == {"step": "tie", "for": "win", "tied": [1, 3], "rule": "seeded", "chosen": 3}
