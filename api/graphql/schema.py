"""The schema: Query, Mutation and Subscription assembled once, with the limit extensions."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from api.graphql import query_credits, query_governance, query_log, query_members, query_reports
from api.graphql.limits import extensions, unexpected
from api.graphql.mutations import Mutation
from api.graphql.subscriptions import Subscription
from api.settings import ApiSettings

log = logging.getLogger(__name__)


@strawberry.type(description="Every read: members, credits, governance, the log, reports.")
class Query:
    log_info = strawberry.field(resolver=query_log.log_info)
    checkpoint = strawberry.field(resolver=query_log.checkpoint)
    entry = strawberry.field(resolver=query_log.entry)
    entries = strawberry.field(resolver=query_log.entries)
    inclusion_proof = strawberry.field(resolver=query_log.inclusion_proof)
    consistency_proof = strawberry.field(resolver=query_log.consistency_proof)

    me = strawberry.field(resolver=query_members.me)
    member = strawberry.field(resolver=query_members.member)
    members = strawberry.field(resolver=query_members.members)

    awards = strawberry.field(resolver=query_credits.awards)
    award = strawberry.field(resolver=query_credits.award)
    claims = strawberry.field(resolver=query_credits.claims)
    claim = strawberry.field(resolver=query_credits.claim)
    disputes = strawberry.field(resolver=query_credits.disputes)
    session = strawberry.field(resolver=query_credits.session)
    rule_table = strawberry.field(resolver=query_credits.rule_table)
    rule_tables = strawberry.field(resolver=query_credits.rule_tables)

    groups = strawberry.field(resolver=query_governance.groups)
    group = strawberry.field(resolver=query_governance.group)
    proposals = strawberry.field(resolver=query_governance.proposals)
    proposal = strawberry.field(resolver=query_governance.proposal)
    electorate = strawberry.field(resolver=query_governance.electorate)

    totals = strawberry.field(resolver=query_reports.totals)
    distribution = strawberry.field(resolver=query_reports.distribution)
    social_value = strawberry.field(resolver=query_reports.social_value)


class Schema(strawberry.Schema):
    """A schema that logs only unexpected errors (refusals and limits are not incidents)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if unexpected(error):
                log.error("unexpected error in GraphQL", exc_info=error.original_error)


def _weak(method: Callable[..., Any]) -> Callable[..., Any]:
    ref = weakref.WeakMethod(method)

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = ref()
        if bound is None:
            raise RuntimeError("the GraphQL execution this helper belongs to has ended")
        return bound(*args, **kwargs)

    return call


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


def build_schema(settings: ApiSettings | None = None) -> Schema:
    """The schema with the limits of ``settings`` (defaults from the environment)."""
    resolved = settings or ApiSettings()
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(resolved),
        execution_context_class=Execution,
    )


def sdl(schema: Any) -> str:
    """The schema in GraphQL SDL, as committed in docs/schema.graphql."""
    return str(schema.as_str()) + "\n"
