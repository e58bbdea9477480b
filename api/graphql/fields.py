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


T = TypeVar("T")
_PLAIN: dict[type[Any], tuple[str, ...]] = {}


def copy_fields(cls: type[T], record: object, **changed: Any) -> T:
    """An instance of the Strawberry type ``cls``: each of its plain fields (no resolver, not
    private) read from ``record``'s attribute of the same name, except those in ``changed``.

    What a ``from_domain`` converter does when the domain value and the GraphQL type share
    their field names; a rename on either side fails loudly here instead of copying wrong.
    """
    names = _PLAIN.get(cls)
    if names is None:
        fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        names = _PLAIN[cls] = tuple(f.python_name for f in fields if f.base_resolver is None)
    values = {name: getattr(record, name) for name in names if name not in changed}
    return cls(**values, **changed)
