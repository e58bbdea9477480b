"""The executor's plain-leaf loop gives exactly the stock executor's results and errors.

``api.graphql.execution.Execution`` completes a selection set of plain leaf fields in one
loop. Every document here runs through a schema with that executor and through the same
schema with Strawberry's stock one, and the two results must be equal: data, and every
error's message, path and locations.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, NewType

import pytest
import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.execution import Execution
from api.graphql.schema import build_schema


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


Hex = NewType("Hex", int)
# A serializer that returns null for 0 (an error for the executor), and one that takes anything.
HEX = strawberry.scalar(
    name="Hex", serialize=lambda v: format(v, "x") if v else None, parse_value=lambda v: int(v, 16)
)
CONFIG = StrawberryConfig(scalar_map={Hex: HEX})


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaves(Named):
    """Implements an interface, so Strawberry gives it an ``is_type_of`` check."""

    count: int
    maybe_count: int | None
    maybe_name: str | None
    ratio: float | None
    flag: bool
    day: date | None
    when: datetime | None
    colour: Colour | None
    code: Hex | None
    ident: strawberry.ID | None
    extra: JSON | None

    @strawberry.field
    def doubled(self) -> int:
        return 2 * self.count

    @strawberry.field
    def shout(self, suffix: str = "!") -> str:
        return self.name.upper() + suffix


@strawberry.type
class Bare:
    """No interface, so no ``is_type_of``: any object with the attributes is taken."""

    count: int
    label: str = "b"


@strawberry.type
class Query:
    items: list[Leaves]
    maybe_items: list[Leaves | None] | None
    bare: list[Bare | None] = strawberry.field(default_factory=list)


def _leaves(**values: Any) -> Leaves:
    fields = {
        "count": 1,
        "maybe_count": None,
        "name": "a",
        "maybe_name": "b",
        "ratio": 0.5,
        "flag": True,
        "day": date(2026, 12, 1),
        "colour": Colour.RED,
        "code": 255,
        "ident": "x1",
        "extra": {"k": [1]},
        "when": datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    }
    fields.update(values)
    return Leaves(**fields)


FAST = strawberry.Schema(query=Query, config=CONFIG, execution_context_class=Execution)
STOCK = strawberry.Schema(
    query=Query, config=CONFIG, execution_context_class=StrawberryGraphQLCoreExecutionContext
)

ALL = """{ items {
  __typename count maybeCount name maybeName ratio flag day when colour code ident extra
} }"""
DOCUMENTS = [
    ALL,
    "{ items { count c2: count name n2: name } }",
    "{ items { ... on Leaves { count name } ...F } } fragment F on Leaves { flag count }",
    "{ items { count name @skip(if: true) flag @include(if: false) } }",
    "{ items { count doubled } }",
    '{ items { name shout(suffix: "?") } }',
    "{ maybeItems { count name } items { __typename } }",
    "{ items @include(if: true) { count name } }",
]


def _outcome(result: Any) -> tuple[Any, list[tuple[str, Any, Any]]]:
    errors = [(e.message, e.path, e.locations) for e in result.errors or ()]
    return result.data, errors


def _both(document: str, make: Any) -> tuple[Any, Any]:
    fast = FAST.execute_sync(document, root_value=make())
    stock = STOCK.execute_sync(document, root_value=make())
    return _outcome(fast), _outcome(stock)


def _query(*items: Leaves | None) -> Query:
    return Query(items=[i for i in items if i is not None], maybe_items=list(items))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_give_the_stock_results(document: str) -> None:
    fast, stock = _both(document, lambda: _query(_leaves(), None, _leaves(count=7, name="z")))
    assert fast == stock
    assert not stock[1]


@dataclass
class LookAlike:
    """Has every attribute of ``Leaves`` but is not one: ``is_type_of`` refuses it."""

    count: int = 1
    name: str = "a"


@pytest.mark.parametrize("odd", [None, LookAlike(), "a string"], ids=repr)
@pytest.mark.parametrize("document", ["{ items { count name } }", "{ maybeItems { count } }"])
def test_an_odd_item_in_a_list_gives_the_stock_result_or_error(document: str, odd: Any) -> None:
    def make() -> Query:
        return Query(items=[_leaves(), odd, _leaves()], maybe_items=[_leaves(), odd])

    fast, stock = _both(document, make)
    assert fast == stock
    assert bool(stock[1]) == (odd is not None or "maybeItems" not in document)


@pytest.mark.parametrize("odd", [None, LookAlike(), "a string"], ids=repr)
def test_an_odd_item_in_a_list_of_a_type_with_no_check(odd: Any) -> None:
    """A look-alike without ``label``: reading it raises, which the stock path reports."""

    def make() -> Query:
        return Query(items=[], maybe_items=[], bare=[Bare(count=1), odd, Bare(count=3)])

    fast, stock = _both("{ bare { count label } }", make)
    assert fast == stock
    assert bool(stock[1]) == (odd is not None)
    fast, stock = _both("{ bare { __typename } }", make)
    assert fast == stock


ODD_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.text(max_size=3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.sampled_from([Colour.GREEN, "red", "GREEN", ValueError("a value that is an error"), [1]]),
)
FIELDS = (
    "count",
    "maybe_count",
    "name",
    "maybe_name",
    "ratio",
    "flag",
    "day",
    "colour",
    "code",
    "extra",
)


ODD = [None, 0, -(2**40), "x", "GREEN", 1.5, float("nan"), True, [1], ValueError("an error value")]


@pytest.mark.parametrize("value", ODD, ids=repr)
@pytest.mark.parametrize("field", FIELDS)
def test_each_odd_value_gives_the_stock_result_or_error(field: str, value: Any) -> None:
    fast, stock = _both(ALL, lambda: _query(_leaves(), _leaves(**{field: value})))
    assert fast == stock


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, ODD_VALUES)), min_size=1))
def test_any_values_give_the_stock_results_and_errors(rows: list[dict[str, Any]]) -> None:
    """Nulls in non-null fields, values the coercers refuse, errors as values: same outcome."""
    for document in (ALL, ALL.replace("items", "maybeItems")):
        fast, stock = _both(document, lambda: _query(*(_leaves(**row) for row in rows)))
        assert fast == stock


async def test_an_awaitable_value_is_awaited_as_the_stock_executor_awaits_it() -> None:
    async def later(value: int) -> int:
        await asyncio.sleep(0)
        return value

    outcomes = []
    for schema in (FAST, STOCK):
        for document, value in (
            ("{ items { count name } }", {"count": later(5)}),
            ("{ items { extra } }", {"extra": later(6)}),
        ):
            result = await schema.execute(document, root_value=_query(_leaves(**value)))
            outcomes.append(_outcome(result))
    assert outcomes[:2] == outcomes[2:]
    assert outcomes[0][0] == {"items": [{"count": 5, "name": "a"}]}
    assert outcomes[1][0] == {"items": [{"extra": 6}]}


class Counting(Execution):
    """Counts the fields that went through the stock path (each builds a resolve info)."""

    stock_fields = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> Any:
        Counting.stock_fields += 1
        return super().build_resolve_info(*args, **kwargs)


def test_plain_leaves_skip_the_stock_path() -> None:
    """Only ``items`` and ``doubled`` (a resolver) go the stock way; 3 x 13 plain leaves do not."""
    schema = strawberry.Schema(query=Query, config=CONFIG, execution_context_class=Counting)
    Counting.stock_fields = 0
    assert not schema.execute_sync(ALL, root_value=_query(_leaves(), _leaves(), _leaves())).errors
    assert Counting.stock_fields == 1
    Counting.stock_fields = 0
    schema.execute_sync("{ items { count doubled } }", root_value=_query(_leaves(), _leaves()))
    assert Counting.stock_fields == 1 + 2 * 2


class Seen(SchemaExtension):
    fields: ClassVar[list[str]] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        Seen.fields.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def test_an_extension_resolve_hook_still_sees_every_field() -> None:
    schema = strawberry.Schema(
        query=Query, config=CONFIG, execution_context_class=Execution, extensions=[Seen]
    )
    Seen.fields = []
    schema.execute_sync("{ items { count name } }", root_value=_query(_leaves(), _leaves()))
    assert Seen.fields == ["items", "count", "name", "count", "name"]


def test_the_app_schema_uses_this_executor() -> None:
    assert build_schema().execution_context_class is Execution
