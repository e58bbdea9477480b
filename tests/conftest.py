"""Shared fixtures: stores on every backend, PostgreSQL databases made and dropped per test."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ledger.migrate import upgrade
from ledger.sql import make_engine, sqlite_url

POSTGRES_ENV = "COOPLEDGER_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "COOPLEDGER_REQUIRE_POSTGRES"


def _admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get(REQUIRE_POSTGRES_ENV):
            pytest.fail(f"{REQUIRE_POSTGRES_ENV} is set but {POSTGRES_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _run(coro_factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to completion on a fresh loop in a worker thread.

    Fixtures may be set up while pytest-asyncio's loop is running, where ``asyncio.run``
    is not allowed.
    """
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(coro_factory())).result()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, str]]:
    """A migrated template database for this test run; dropped at the end."""
    admin = _admin_url()
    assert admin is not None
    name = f"coopledger_tmpl_{secrets.token_hex(4)}"
    try:
        _run(lambda: _admin(admin, f'CREATE DATABASE "{name}"'))
    except OSError as e:
        pytest.fail(f"cannot reach PostgreSQL at {admin}: {e}")
    _run(lambda: _migrate(_with_database(admin, name)))
    yield admin, name
    _run(lambda: _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_url(postgres_template: tuple[str, str]) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test's own, dropped afterwards."""
    admin, template = postgres_template
    name = f"coopledger_t_{secrets.token_hex(6)}"
    _run(lambda: _admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _with_database(admin, name)
    _run(lambda: _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def sqlite_url_migrated(tmp_path: Path) -> AsyncIterator[str]:
    """A migrated SQLite file in the test's temporary folder."""
    url = sqlite_url(tmp_path / "ledger.db")
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    yield url


SQL_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database URL for the backend named by the test's parameter (``sqlite`` or
    ``postgres``; use it with ``indirect=True``)."""
    backend = request.param
    if backend == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    url = sqlite_url(tmp_path / "ledger.db")
    _run(lambda: _migrate(url))
    return url


_postgres_outcomes: dict[str, int] = {"passed": 0, "skipped": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count how the PostgreSQL tests ended, for the check below."""
    if "postgres" in report.keywords and (report.when == "call" or report.skipped):
        if report.skipped:
            _postgres_outcomes["skipped"] += 1
        elif report.passed:
            _postgres_outcomes["passed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With COOPLEDGER_REQUIRE_POSTGRES set, fail the run if PostgreSQL tests were skipped."""
    if not os.environ.get(REQUIRE_POSTGRES_ENV) or session.config.option.collectonly:
        return
    if _postgres_outcomes["skipped"] or (
        session.testscollected and not _postgres_outcomes["passed"] and exitstatus == 0
    ):
        print(
            f"\nPostgreSQL tests: {_postgres_outcomes['passed']} passed, "
            f"{_postgres_outcomes['skipped']} skipped; {REQUIRE_POSTGRES_ENV} requires them to run"
        )
        session.exitstatus = 1
