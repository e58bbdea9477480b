"""The browser's RFC 9162 proofs (static/js/merkle.js) against the RFC 6962 known answers and
against proofs made by the server's own code, for every index and pair of sizes up to 33
leaves, with every changed hash refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from ledger.merkle import consistency_path, hash_leaf, inclusion_path, root
from tests.support import VECTORS

RUN = """async (cases) => {
  const m = await import("/static/js/merkle.js");
  const h = (x) => m.fromHex(x);
  const out = [];
  for (const c of cases) {
    if (c.kind === "inclusion") {
      out.push(await m.verifyInclusion(c.index, c.size, h(c.leaf), c.path.map(h), h(c.root)));
    } else {
      out.push(await m.verifyConsistency(c.size1, c.size2, h(c.root1), h(c.root2), c.path.map(h)));
    }
  }
  return out;
}"""


def _flip(text: str) -> str:
    return ("0" if text[0] != "0" else "1") + text[1:]


def _cases() -> tuple[list[dict[str, Any]], list[bool]]:
    cases: list[dict[str, Any]] = []
    for v in VECTORS["inclusion"]:
        cases.append(
            {
                "kind": "inclusion",
                "index": v["leaf_index"],
                "size": v["tree_size"],
                "leaf": v["leaf_hash"],
                "path": v["path"],
                "root": v["root"],
            }
        )
    for v in VECTORS["consistency"]:
        cases.append(
            {
                "kind": "consistency",
                **{k: v[k] for k in ("size1", "size2", "root1", "root2", "path")},
            }
        )
    leaves = [hash_leaf(b"entry %d" % i) for i in range(33)]
    for size in range(1, 34):
        tree = leaves[:size]
        top = root(tree).hex()
        for index in range(size):
            path = [p.hex() for p in inclusion_path(tree, index)]
            cases.append(
                {
                    "kind": "inclusion",
                    "index": index,
                    "size": size,
                    "leaf": tree[index].hex(),
                    "path": path,
                    "root": top,
                }
            )
        for size1 in range(1, size + 1):
            path = [p.hex() for p in consistency_path(tree, size1)]
            cases.append(
                {
                    "kind": "consistency",
                    "size1": size1,
                    "size2": size,
                    "root1": root(tree[:size1]).hex(),
                    "root2": top,
                    "path": path,
                }
            )
    good = [True] * len(cases)
    bad: list[dict[str, Any]] = []
    for case in cases:
        if case["path"]:
            bad.append({**case, "path": [_flip(case["path"][0]), *case["path"][1:]]})
        key = "root" if case["kind"] == "inclusion" else "root2"
        bad.append({**case, key: _flip(case[key])})
    return cases + bad, good + [False] * len(bad)


def test_proofs_verify_in_the_browser_exactly_as_on_the_server(page: Page) -> None:
    page.goto("/")
    cases, expected = _cases()
    assert len(cases) > 1000
    assert page.evaluate(RUN, cases) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("5, 5, leaf, [], leaf", "less than the size"),
        ("0, 1, new Uint8Array(31), [], leaf", "32-byte hashes"),
        ("-1, 3, leaf, [], leaf", "whole number"),
    ],
)
def test_input_that_is_not_a_proof_is_an_error(page: Page, args: str, message: str) -> None:
    page.goto("/")
    thrown = page.evaluate(
        f"""async () => {{
          const m = await import("/static/js/merkle.js");
          const leaf = new Uint8Array(32);
          try {{ await m.verifyInclusion({args}); return null; }} catch (e) {{ return e.message; }}
        }}"""
    )
    assert thrown is not None and message in thrown
