"""The browser's table of mutations (static/js/statement.js) is the acts' registry, written
out for the browser: every act the API takes, with its mutation and its success type."""

from __future__ import annotations

import re

from api.schemas import ACTS
from api.web.pages import STATIC

ENTRY = re.compile(r'^\s*"([a-z_.]+)": \["(\w+)", "(\w+)"\],$', re.MULTILINE)


def test_the_browsers_mutation_table_is_the_registry() -> None:
    text = (STATIC / "js" / "statement.js").read_text(encoding="utf-8")
    table = {kind: (field, accepted) for kind, field, accepted in ENTRY.findall(text)}
    declared = {
        act.kind: (act.mutation, "".join(w.title() for w in act.answer.split("_")) + "Accepted")
        for act in ACTS
        if act.mutation is not None
    }
    assert table == declared
