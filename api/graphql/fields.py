"""Typed wrappers of Strawberry's field decorators, so resolvers keep their types under mypy."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from datetime import date
from types import NoneType, UnionType
from typing import Any, ClassVar, Self, TypeVar, Union, cast, get_args, get_origin, get_type_hints

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


def copy_fields(cls: type[T], record: object, /, **changed: Any) -> T:
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


def _as_graphql(hint: Any) -> tuple[Any, Callable[[Any], Any] | None]:
    """The GraphQL-side type of a record field's type, and how a value becomes it: a date is
    ISO text, a tuple a list; ``None`` stays ``None``."""
    if hint is date:
        return str, date.isoformat
    if get_origin(hint) is tuple:
        return list[get_args(hint)[0]], list  # type: ignore[misc]
    if get_origin(hint) in (Union, UnionType) and NoneType in get_args(hint):
        (inner,) = [a for a in get_args(hint) if a is not NoneType]
        kind, convert = _as_graphql(inner)
        if convert is None:
            return hint, None
        return kind | None, lambda v: None if v is None else convert(v)
    return hint, None


class RecordType:
    """A GraphQL type made by ``record_type`` from a domain record."""

    _conversions: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    @classmethod
    def from_domain(cls, record: Any) -> Self:
        """The GraphQL value of ``record``: its fields, dates and tuples converted."""
        changed = {
            name: convert(getattr(record, name)) for name, convert in cls._conversions.items()
        }
        return copy_fields(cls, record, **changed)


R = TypeVar("R", bound=RecordType)


def record_type(
    record: type[Any], description: str, notes: Mapping[str, str] | None = None
) -> Callable[[type[R]], type[R]]:
    """Make the decorated class the Strawberry type of the domain dataclass ``record``: one
    field per field of the record, in its order (dates as ISO text, tuples as lists), each
    described by ``notes`` where it says more than its name; the class adds resolvers, and
    declares the fields its resolvers read (for the type checker)."""

    def wrap(cls: type[R]) -> type[R]:
        hints = get_type_hints(record)
        annotations: dict[str, Any] = {}
        conversions: dict[str, Callable[[Any], Any]] = {}
        for item in dataclasses.fields(record):
            kind, convert = _as_graphql(hints[item.name])
            annotations[item.name] = kind
            if convert is not None:
                conversions[item.name] = convert
            if notes and item.name in notes:
                setattr(cls, item.name, strawberry.field(description=notes[item.name]))
        declared = inspect.get_annotations(cls)
        extra = {k: v for k, v in declared.items() if k not in annotations}
        cls.__annotations__ = {**annotations, **extra}
        cls._conversions = conversions
        return strawberry.type(cls, description=description)

    return wrap
