"""Schema extensions: cost, depth, token and alias limits, parse and validation caches, codes.

Expected errors get ``extensions.code`` (``api.errors``); every other error raised while
resolving is masked as "Unexpected error." and logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import MaskErrors
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from api.errors import expected_code, known_error
from api.graphql.cost import document_cost
from api.settings import ApiSettings

log = logging.getLogger(__name__)

CACHE_SIZE = 512
_SUBSCRIPTION = OperationType.SUBSCRIPTION


class Requests(MaskErrors):
    """What every request goes through, in one extension (each extension costs every request
    a hook lookup per phase): the token limit and the depth and alias rules, the parser and
    validation caches, the code of each expected error, and then Strawberry's ``MaskErrors``
    (this class's base) masking every ``unexpected`` one.
    """

    def __init__(self, documents: _Documents) -> None:
        super().__init__(should_mask_error=unexpected)
        self.documents = documents

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        allowed = set(context.allowed_operations)
        if allowed != {_SUBSCRIPTION} and not getattr(context.context, "over_websocket", False):
            # over HTTP a subscription's resolver would run as a plain field: refused (400)
            context.allowed_operations = allowed - {_SUBSCRIPTION}
        context.parse_options["max_tokens"] = self.documents.max_tokens
        context.validation_rules = (*context.validation_rules, *self.documents.rules)
        masking = super().on_operation()
        next(masking)
        yield
        errors = getattr(context.result, "errors", None)
        if not errors and getattr(context.result, "initial_result", None) is None:
            return  # nothing to code or mask: the base's pass (a Protocol check) is dropped
        for error in errors or ():
            code = _code(error)
            if code is not None:
                error.extensions = {**(error.extensions or {}), "code": code}
                if error.original_error is not None:  # a driver's words become ours
                    error.message = str(known_error(error.original_error))
        next(masking, None)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = self.documents.parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:  # else Strawberry validates, or reports the parse error
            context.pre_execution_errors = self.documents.errors(
                context.schema._schema, document, tuple(context.validation_rules)
            )
        yield


def _code(error: GraphQLError) -> str | None:
    original = error.original_error
    if original is None:
        return None
    return expected_code(original)


@contextmanager
def coded_errors() -> Iterator[None]:
    """Re-raise an expected error as a ``GraphQLError`` carrying its code."""
    try:
        yield
    except Exception as e:
        code = expected_code(e)
        if code is None:
            raise
        raise GraphQLError(str(e), original_error=e, extensions={"code": code}) from e


def unexpected(error: GraphQLError) -> bool:
    """Whether ``error`` came from a bug or an outage (to be masked and logged)."""
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, GraphQLError)
        and (expected_code(original) is None)
    )


def _too_costly(limit: int) -> GraphQLError:
    message = (
        f"the query would resolve more than {limit} fields (each field counted once per item"
        " of every page it sits in, fragments expanded); ask for fewer fields or smaller pages"
    )
    return GraphQLError(message, extensions={"code": "query_too_costly"})


class _Documents:
    """Parsed documents by query text (LRU), and validation errors by parsed document.

    A document is first costed (``api.graphql.cost``); one that costs too much is refused
    without running the validation rules, some of which take time in the expanded size.
    The parse cache hands out one document object per query text, so the document's
    identity keys its validation (Strawberry's ``ValidationCache`` hashes the whole syntax
    tree on every request instead). Each validation entry holds its document (so the
    identity is not reused while it is cached) and the rules it was validated with; the
    oldest entry goes first.
    """

    def __init__(
        self, size: int, *, max_tokens: int, max_cost: int, rules: tuple[Any, ...]
    ) -> None:
        self._size = size
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.rules = rules
        self.parse = lru_cache(maxsize=size)(parse)
        self._found: dict[int, tuple[DocumentNode, tuple[Any, ...], list[GraphQLError]]] = {}

    def errors(
        self, schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        found = self._found.get(id(document))
        if found is not None and found[0] is document and found[1] == rules:
            return found[2]
        cost = document_cost(schema, document, self.max_cost)
        if cost > self.max_cost:
            errors = [_too_costly(self.max_cost)]
        else:
            errors = validate_document(schema, document, rules)
        if found is None and len(self._found) >= self._size:
            del self._found[next(iter(self._found))]
        self._found[id(document)] = (document, rules, errors)
        return errors


def extensions(settings: ApiSettings) -> list[Any]:
    """The factory of the schema's one extension, ``Requests``.

    The depth and alias rules are made once, here: the validation cache is keyed by the
    rule classes, so a class made per request (what ``QueryDepthLimiter`` and
    ``MaxAliasesLimiter`` do) would miss the cache every time.
    """
    rules: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_depth, should_ignore=None),
        alias_limit(settings.max_aliases),
    ]
    documents = _Documents(
        CACHE_SIZE, max_tokens=settings.max_tokens, max_cost=settings.max_cost, rules=tuple(rules)
    )
    return [lambda: Requests(documents)]
