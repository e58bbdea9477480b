"""The schema: Query, Mutation and Subscription assembled once, with the limit extensions."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from api.graphql import (
    invitations,
    query_credits,
    query_governance,
    query_log,
    query_members,
    query_reports,
)
from api.graphql.execution import Execution
from api.graphql.limits import extensions, unexpected
from api.graphql.mutations import Mutation
from api.graphql.subscriptions import Subscription
from api.settings import ApiSettings

log = logging.getLogger(__name__)


@strawberry.type(description="Every read: members, credits, governance, the log, reports.")
class Query:
    log_info = strawberry.field(resolver=query_log.log_info)
    checkpoint = strawberry.field(resolver=query_log.checkpoint)
    witnessed_checkpoint = strawberry.field(resolver=query_log.witnessed_checkpoint)
    entry = strawberry.field(resolver=query_log.entry)
    entries = strawberry.field(resolver=query_log.entries)
    inclusion_proof = strawberry.field(resolver=query_log.inclusion_proof)
    consistency_proof = strawberry.field(resolver=query_log.consistency_proof)

    me = strawberry.field(resolver=query_members.me)
    member = strawberry.field(resolver=query_members.member)
    members = strawberry.field(resolver=query_members.members)
    invitation = strawberry.field(resolver=invitations.invitation)
    invitations = strawberry.field(resolver=invitations.invitations)

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
