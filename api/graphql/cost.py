"""The cost of a GraphQL document, its fragments expanded, counted before it is validated.

A document's size says little of its work: fragments that each spread the next one twice
select 2**n fields in n short lines, and a page of members each with a page of awards
resolves ``first * first`` nodes. graphql-core's validation walks expanded fragments (its
overlapping-fields rule, pair by pair), so such a document could hold the event loop for
minutes before any limit that runs inside validation was reached.

The cost is the number of fields the document would resolve at most: each field counts
once for each item of every connection (a field with ``first`` or ``last``) it sits in, the
page size being the literal argument, the largest page for a variable, or the default page
when the argument is left out. Each fragment is costed once and reused, so counting takes
time proportional to the document's length, never to its expansion.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)

from api.graphql.pagination import PAGE_DEFAULT, PAGE_LIMIT

_ROOTS = {
    OperationType.QUERY: "query_type",
    OperationType.MUTATION: "mutation_type",
    OperationType.SUBSCRIPTION: "subscription_type",
}


class CycleError(Exception):
    """A fragment spreads itself, directly or through others."""


def document_cost(schema: GraphQLSchema, document: DocumentNode, limit: int) -> int:
    """The cost of the costliest operation in ``document``, or ``limit + 1`` once past it.

    A fragment that spreads itself costs ``limit + 1`` (validation names the cycle when the
    cost allows it to run; here it must not recurse for ever).
    """
    counter = _Counter(schema, document, limit)
    costs = [0]
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            root = getattr(schema, _ROOTS[definition.operation])
            try:
                costs.append(counter.selections(definition.selection_set, root))
            except (CycleError, RecursionError):
                return limit + 1
    return max(costs)


class _Counter:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limit: int) -> None:
        self.schema = schema
        self.limit = limit
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.costs: dict[str, int] = {}
        self.open: set[str] = set()

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
            if total > self.limit:
                return self.limit + 1
        return total

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.selection_set is None:
            return 1
        fields = getattr(parent, "fields", None) if _has_fields(parent) else None
        definition = fields.get(node.name.value) if fields else None
        inner = get_named_type(definition.type) if definition is not None else None
        pages = _page(node) if definition is not None and _paged(definition.args) else 1
        return min(self.limit + 1, 1 + pages * self.selections(node.selection_set, inner))

    def fragment(self, name: str) -> int:
        cost = self.costs.get(name)
        if cost is not None:
            return cost
        definition = self.fragments.get(name)
        if definition is None:
            return 0  # an unknown fragment: validation names it
        if name in self.open:
            raise CycleError(name)
        self.open.add(name)
        inner = self.schema.get_type(definition.type_condition.name.value)
        cost = self.costs[name] = self.selections(definition.selection_set, inner)
        self.open.discard(name)
        return cost


def _has_fields(parent: GraphQLNamedType | None) -> bool:
    return isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)


def _paged(args: object) -> bool:
    return isinstance(args, dict) and ("first" in args or "last" in args)


def _page(node: FieldNode) -> int:
    """The most items a connection field may return: its ``first`` or ``last`` argument."""
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, IntValueNode):
                return min(PAGE_LIMIT, max(0, _small_int(value.value)))
            return PAGE_LIMIT  # a variable (or a value validation will refuse)
    return PAGE_DEFAULT


def _small_int(text: str) -> int:
    return int(text) if len(text) <= 10 else PAGE_LIMIT
