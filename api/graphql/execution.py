"""graphql-core's executor, with two changes that leave every response exactly as it was.

1. No reference cycle per request (``async_helpers`` bound weakly).
2. Plain leaf fields read straight off their object. A selection set made only of fields that
   merely read an attribute of the object (a Strawberry field with no resolver, no arguments
   and no field extensions) whose type is a scalar or an enum, and ``__typename``, is completed
   in one loop: read the attribute, coerce it for output with the type's own coercer (a str
   for String or ID, a bool for Boolean and a 32-bit int for Int are what those coercers
   return unchanged, so they are taken as they are), and put it in the result. A list of
   objects with such a selection is completed in one loop over its items, each checked with
   its type's ``is_type_of`` as the stock path checks it. The stock path does the same per
   field through some fifteen calls (resolve info, path, awaitable checks, non-null, list and
   leaf dispatch). Anything the loop cannot finish as the stock path would (a null for a
   non-null field or item, a value the coercer refuses, a reader that raises, an awaitable or
   an exception as a value, an item of another type) sends the whole selection set or list
   back to the stock path, which gives the error its usual place and message; reading an
   attribute twice has no effect. A middleware (a schema extension with a ``resolve`` hook)
   turns the loops off.

``tests/api/test_graphql_execution.py`` runs the same documents through this executor and the
stock one and compares the results, errors included.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Values of these exact types are never awaitable nor exceptions: they go straight to the coercer.
_PLAIN = frozenset({str, int, float, bool, date, datetime})

# One plain leaf: response key, reader, attribute (or constant), output coercer, non-null,
# and the Python type whose values the coercer returns unchanged (None: always call it).
Leaf = tuple[str, Callable[[Any, str], Any], str, Callable[[Any], Any], bool, type | None]

# graphql-core's String, Boolean and ID coercers return a str (a bool) as it is, and Int
# an int within 32 bits; so do these loops, without the call.
_EXACT: dict[GraphQLLeafType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
    GraphQLInt: int,
}


def _complete_plain(
    plan: list[Leaf], source: Any, is_awaitable: Callable[[Any], bool]
) -> dict[str, Any] | None:
    """The completed fields of ``source``, or None where the stock path must take over."""
    results: dict[str, Any] = {}
    try:
        for key, read, attribute, coerce, non_null, exact in plan:
            value = read(source, attribute)
            kind = type(value)
            if kind is exact and (kind is not int or GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT):
                results[key] = value
                continue
            if value is None or value is Undefined:
                if non_null:
                    return None
                results[key] = None
                continue
            if kind not in _PLAIN and (isinstance(value, Exception) or is_awaitable(value)):
                return None
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                return None
            results[key] = coerced
    except Exception:  # from a reader or a coercer: the stock path raises it again, in place
        return None
    return results


def _weak(method: Callable[..., Any]) -> Callable[..., Any]:
    ref = weakref.WeakMethod(method)

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = ref()
        if bound is None:
            raise RuntimeError("the GraphQL execution this helper belongs to has ended")
        return bound(*args, **kwargs)

    return call


def _constant(_source: Any, value: str) -> str:
    return value


class Execution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, without the reference cycle it makes of itself, and with
    plain leaves completed in one loop (see the module docstring).

    The executor keeps ``async_helpers``, a tuple of its own bound methods, so every request
    left a cycle (executor, helpers, methods) holding the request's context, DataLoaders and
    results until the cyclic collector ran: under load, a full collection of some 30,000
    such objects every half second, pausing every request in flight. With the helpers bound
    weakly, a finished request is freed by reference counting alone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=_weak(self.gather_async_work), track=_weak(self.track_async_work)
        )
        # Selection sets are collected once per execution and kept alive by the executor's
        # own memo, so their identity keys their plans; each plan holds its set too.
        self._plans: dict[int, tuple[GroupedFieldSet, list[Leaf] | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        *rest: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan_of(parent_type, grouped_field_set)
        if plan is not None:
            results = _complete_plain(plan, source_value, self.is_awaitable)
            if results is not None:
                return results
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, *rest)

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        *rest: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """A list of objects whose selection is all plain leaves, in one loop too.

        Each item is checked with its type's ``is_type_of`` (as the stock path does) and
        completed by the plain loop; the first item that loop cannot finish (or a null, an
        awaitable, an item of another type) sends the whole list back to the stock path.
        """
        object_type = get_nullable_type(item_type)
        if (
            is_object_type(object_type)
            and isinstance(items, list | tuple)
            and not any(details.node.directives for details in field_details_list)
        ):
            collected = self.collect_subfields(object_type, field_details_list)
            plan = (
                None
                if collected.new_defer_usages
                else self._plan_of(object_type, collected.grouped_field_set)
            )
            if plan is not None:
                completed = []
                is_type_of = object_type.is_type_of
                is_awaitable = self.is_awaitable
                for item in items:
                    if item is None or (
                        is_type_of is not None and is_type_of(item, info) is not True
                    ):
                        break
                    row = _complete_plain(plan, item, is_awaitable)
                    if row is None:
                        break
                    completed.append(row)
                else:
                    return completed
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, *rest
        )

    def _plan_of(self, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> list[Leaf] | None:
        memo = self._plans.get(id(grouped))
        if memo is None:
            memo = (grouped, self._plan(parent, grouped))
            self._plans[id(grouped)] = memo
        return memo[1]

    def _plan(self, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> list[Leaf] | None:
        """The loop's plan for ``grouped``, or None when any field needs the stock path."""
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        plan: list[Leaf] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            field = self.schema.get_field(parent, name)
            if field is None or node.arguments or field.args:
                return None
            leaf = get_nullable_type(field.type)
            if not is_leaf_type(leaf):
                return None
            coerce = leaf.coerce_output_value
            non_null = is_non_null_type(field.type)
            if name == "__typename":
                plan.append((key, _constant, parent.name, coerce, non_null, _EXACT.get(leaf)))
                continue
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and field.resolve is not None
                and is_default_resolver(field.resolve)
                and definition.python_name
            ):
                return None
            read = definition.default_resolver
            plan.append((key, read, definition.python_name, coerce, non_null, _EXACT.get(leaf)))
        return plan


__all__ = ["Execution"]
