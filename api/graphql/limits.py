"""Schema extensions: depth, token and alias limits, parser and validation caches, error codes.

Expected errors get ``extensions.code`` (``api.errors``); every other error raised while
resolving is masked as "Unexpected error." and logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document

from api.errors import expected_code
from api.settings import ApiSettings

log = logging.getLogger(__name__)

CACHE_SIZE = 512


class ErrorCodes(SchemaExtension):
    """Give each expected error its code; leave the rest for ``MaskErrors`` to hide."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            code = _code(error)
            if code is not None:
                error.extensions = {**(error.extensions or {}), "code": code}


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


class _Validations:
    """Validation errors by parsed document, for the documents of the parser cache.

    ``ParserCache`` hands out one document object per query text, so the document's
    identity is the key; Strawberry's ``ValidationCache`` hashes the whole syntax tree on
    every request instead. Each entry holds its document (so the identity is not reused
    while it is cached) and the rules it was validated with; the oldest entry goes first.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._found: dict[int, tuple[DocumentNode, tuple[Any, ...], list[GraphQLError]]] = {}

    def errors(
        self, schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        found = self._found.get(id(document))
        if found is not None and found[0] is document and found[1] == rules:
            return found[2]
        errors = validate_document(schema, document, rules)
        if found is None and len(self._found) >= self._size:
            del self._found[next(iter(self._found))]
        self._found[id(document)] = (document, rules, errors)
        return errors


class DocumentValidationCache(SchemaExtension):
    """Validation run once per parsed document and set of rules (``_Validations``)."""

    def __init__(self, validations: _Validations) -> None:
        self.validations = validations

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:  # else Strawberry validates, or reports the parse error
            context.pre_execution_errors = self.validations.errors(
                context.schema._schema, document, tuple(context.validation_rules)
            )
        yield


def extensions(settings: ApiSettings) -> list[Any]:
    """Factories of the schema extensions, outermost first (``MaskErrors`` exits last).

    The depth and alias rules are made once, here: the validation cache is keyed by the
    rule classes, so a class made per request (what ``QueryDepthLimiter`` and
    ``MaxAliasesLimiter`` do) would miss the cache every time.
    """
    rules: list[type[ASTValidationRule]] = [
        depth_limit(settings.max_depth, should_ignore=None),
        alias_limit(settings.max_aliases),
    ]
    validations = _Validations(CACHE_SIZE)
    return [
        lambda: MaskErrors(should_mask_error=unexpected),
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: DocumentValidationCache(validations),
    ]
