"""``store_fault``: which driver errors are outages (and which kind), and which are bugs."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from ledger.errors import StoreFullError, StoreUnavailableError
from ledger.sql import store_fault


def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("error", "fault"),
    [
        (sqlite3.OperationalError("database or disk is full"), StoreFullError),
        (_wrapped(sqlite3.OperationalError("database or disk is full")), StoreFullError),
        (OSError(errno.ENOSPC, "No space left on device"), StoreFullError),
        (sqlite3.OperationalError("attempt to write a readonly database"), StoreUnavailableError),
        (_wrapped(sqlite3.OperationalError("database is locked")), StoreUnavailableError),
        (ConnectionRefusedError(111, "Connection refused"), StoreUnavailableError),
        (TimeoutError(), StoreUnavailableError),
        (StoreUnavailableError("down"), StoreUnavailableError),
    ],
)
def test_outages_are_named_for_what_they_are(error: BaseException, fault: type) -> None:
    assert isinstance(store_fault(error), fault)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("this field is read-only"),
        RuntimeError("database or disk is full, said a bug"),
        sqlite3.IntegrityError("UNIQUE constraint failed: entries.key_id, entries.nonce"),
        KeyError("seq"),
    ],
)
def test_bugs_and_other_errors_are_not_outages(error: BaseException) -> None:
    assert store_fault(error) is None


def test_a_cause_is_looked_through() -> None:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as e:
            raise RuntimeError("the batch failed") from e
    except RuntimeError as outer:
        assert isinstance(store_fault(outer), StoreUnavailableError)
