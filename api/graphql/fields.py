"""Typed wrappers of Strawberry's field decorators, so resolvers keep their types under mypy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str, **kwargs: Any) -> Callable[[F], F]:
    """``@strawberry.field(description=...)`` for a resolver method."""
    return cast(Callable[[F], F], strawberry.field(description=description, **kwargs))


def mutation(description: str, **kwargs: Any) -> Callable[[F], F]:
    """``@strawberry.mutation(description=...)`` for a resolver function."""
    return cast(Callable[[F], F], strawberry.mutation(description=description, **kwargs))


def subscription(description: str) -> Callable[[F], F]:
    """``@strawberry.subscription(description=...)`` for an async generator method."""
    return cast(Callable[[F], F], strawberry.subscription(description=description))
