"""Schema extensions: depth, token and alias limits, parser and validation caches, error codes.

Expected errors get ``extensions.code`` (``api.errors``); every other error raised while
resolving is masked as "Unexpected error." and logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit

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
    return [
        lambda: MaskErrors(should_mask_error=unexpected),
        ErrorCodes,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
