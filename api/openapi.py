"""The published OpenAPI document, made true: the answers every route really gives.

FastAPI lists a 422 for every route with parameters; this API never answers 422 (a bad
parameter is 400 with the JSON error body, ``api.errors``). Every route may also answer 413
(a body over the limit), 503 (the database unavailable, or the time budget spent) and 500;
a route with a name in its path 404;
routes that write may answer 507 (a full disk), 429 (the rate limit), 403 and 409.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

_EVERY_ROUTE = {
    "400": "a parameter or the body is missing or malformed",
    "413": "the request body is over the limit",
    "500": "a bug: the message is withheld and the server logs it",
    "503": "the database is unavailable, or the request ran out of time (see Retry-After)",
}
_WRITES = {
    "403": "the signer may not make this statement (bad signature, unknown or revoked key)",
    "409": "the nonce was used by another statement, or the state conflicts",
    "429": "the signing key's rate limit (see Retry-After)",
    "507": "the database's disk is full; nothing was written",
}

SUBMISSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["statement", "signature"],
    "additionalProperties": False,
    "properties": {
        "statement": {
            "type": "object",
            "required": ["origin", "kind", "body", "nonce", "issued_at", "key_id"],
            "additionalProperties": False,
            "properties": {
                "origin": {"type": "string"},
                "kind": {"type": "string"},
                "body": {"type": "object"},
                "nonce": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
                "issued_at": {"type": "string", "format": "date-time"},
                "key_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            },
        },
        "signature": {"type": "string", "format": "byte"},
    },
}
"""``POST /log/statements``: docs/formats.md §2 (the patterns match the whole string)."""


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` list the error answers routes give, and none they do not."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            for path, operations in document.get("paths", {}).items():
                for method, operation in operations.items():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    errors = {**_EVERY_ROUTE, **(_WRITES if method == "post" else {})}
                    if "{" in path:
                        errors["404"] = "nothing of that name"
                    for status, description in errors.items():
                        responses.setdefault(status, _error(description))
                    if path == "/log/statements" and method == "post":
                        operation["requestBody"] = {
                            "required": True,
                            "content": {"application/json": {"schema": SUBMISSION_SCHEMA}},
                        }
            document.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
            document.get("components", {}).get("schemas", {}).pop("ValidationError", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
