"""graphql-core's executor, with two changes that leave every response exactly as it was.

1. No reference cycle per request (``async_helpers`` bound weakly).
2. Plain leaf fields read straight off their object. A selection set made only of fields that
   merely read an attribute of the object (a Strawberry field with no resolver, no arguments
   and no field extensions) whose type is a scalar or an enum, and ``__typename``, is completed
   in one loop: read the attribute, coerce it for output with the type's own coercer, and put
   it in the result. The stock path does the same per field through some fifteen calls
   (resolve info, path, awaitable checks, non-null, list and leaf dispatch). Anything the loop
   cannot finish as the stock path would (a null for a non-null field, a value the coercer
   refuses, an awaitable or an exception as a value) sends the whole selection set back to the
   stock path, which gives the error its usual place and message; reading an attribute twice
   has no effect. A middleware (a schema extension with a ``resolve`` hook) turns the loop off.

``tests/api/test_graphql_execution.py`` runs the same documents through this executor and the
stock one and compares the results, errors included.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from graphql import GraphQLObjectType, Undefined, get_nullable_type, is_leaf_type, is_non_null_type
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Values of these exact types are never awaitable nor exceptions: they go straight to the coercer.
_PLAIN = frozenset({str, int, float, bool, date, datetime})

# One plain leaf: response key, reader, attribute (or constant), output coercer, non-null.
Leaf = tuple[str, Callable[[Any, str], Any], str, Callable[[Any], Any], bool]


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
    """graphql-core's executor, without the reference cycle it makes of itself.

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
        memo = self._plans.get(id(grouped_field_set))
        if memo is None:
            memo = (grouped_field_set, self._plan(parent_type, grouped_field_set))
            self._plans[id(grouped_field_set)] = memo
        plan = memo[1]
        if plan is not None:
            results: dict[str, Any] = {}
            for key, read, attribute, coerce, non_null in plan:
                value = read(source_value, attribute)
                if value is None or value is Undefined:
                    if non_null:
                        break
                    results[key] = None
                    continue
                if type(value) not in _PLAIN and (
                    isinstance(value, Exception) or self.is_awaitable(value)
                ):
                    break
                try:
                    coerced = coerce(value)
                except Exception:  # the stock path raises it again, in its place
                    break
                if coerced is None or coerced is Undefined:
                    break
                results[key] = coerced
            else:
                return results
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, *rest)

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
                plan.append((key, _constant, parent.name, coerce, non_null))
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
            plan.append((key, read, definition.python_name, coerce, non_null))
        return plan


__all__ = ["Execution"]
