"""Subscriptions over WebSocket: new checkpoints, and live tallies of open, visible proposals.

A subscription's refusal (no login for a private log, a hidden proposal) is raised before
the first result, with its code, since the error extensions do not see subscription errors.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.graphql.context import Info
from api.graphql.fields import subscription
from api.graphql.limits import coded_errors
from api.graphql.types_governance import Tally, require_visible
from api.graphql.types_log import Checkpoint
from governance.records import OPEN
from governance.scope import count_of, load_proposal


@strawberry.type(description="Live feeds (graphql-transport-ws).")
class Subscription:
    @subscription(description="The latest checkpoint now, then each newer one.")
    async def checkpoints(self, info: Info) -> AsyncGenerator[Checkpoint, None]:
        with coded_errors():
            await info.context.log_reader()
        async for row in info.context.state.feed.updates():
            yield Checkpoint.from_domain(row)

    @subscription(
        description="The tally of an open proposal now, then whenever it changes; the last one "
        "sent is final. Refused for a hidden proposal while it is open."
    )
    async def tally(self, info: Info, proposal: int) -> AsyncGenerator[Tally, None]:
        with coded_errors():
            await info.context.log_reader()
            async with info.context.read() as conn:
                require_visible(await load_proposal(conn, proposal))
        last = None
        async for _ in info.context.state.feed.updates():
            async with info.context.read() as conn:
                record = await load_proposal(conn, proposal)
                count = await count_of(conn, record)
            final = record.status != OPEN
            if count.transcript_sha256 != last or final:
                last = count.transcript_sha256
                yield Tally.from_domain(count, final=final)
            if final:
                return
