"""Open a configured ledger: engine, migrations, store, handlers and the running service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from governance.gates import GovernanceDecisions, GroupConvenors
from governance.handler import GovernanceHandler
from governance.seal import SealKeyStore
from ledger import directory as personal
from ledger.authoring import StatementFactory
from ledger.bootstrap import initialise
from ledger.config import (
    ConfigError,
    LedgerConfig,
    Settings,
    data_dir,
    database_url,
    load_config,
    write_config_file,
    write_data_dir,
)
from ledger.credits.community import default_rule_table
from ledger.credits.handler import CreditsHandler
from ledger.credits.rules import RuleTable
from ledger.errors import KeyFileError
from ledger.migrate import upgrade
from ledger.rebuild import Projector
from ledger.sequencer import Handler, Receipt
from ledger.service import Ledger
from ledger.signing import decode_public_key
from ledger.sql import SqlLogStore, is_postgres, make_engine
from ledger.statement import Entry

SEAL_KEYS_DIR = "seal-keys"


def projectors() -> list[Projector]:
    """The handlers of every domain beyond members: governance, and credits wired to
    governance's decisions (rule tables) and group convenors."""
    return [
        GovernanceHandler(),
        CreditsHandler(decisions=GovernanceDecisions(), convenors=GroupConvenors()),
    ]


def seal_key_store(config: LedgerConfig) -> SealKeyStore:
    """The per-proposal sealing keys of hidden votes, kept in the data directory (0600)."""
    return SealKeyStore(config.data.root / SEAL_KEYS_DIR)


def domain_handlers() -> list[Handler]:
    """The handlers the sequencer runs: every projector."""
    return list(projectors())


async def open_store(url: str, *, migrate: bool = True) -> SqlLogStore:
    """A store on ``url``; with ``migrate``, the schema is brought up to date first.

    Without ``migrate`` (audits and reads) an SQLite file must exist already.
    """
    if not migrate and not is_postgres(url):
        path = Path(url.partition(":///")[2])
        if not path.is_file():
            raise ConfigError(f"no database at {path}")
    engine = make_engine(url)
    if migrate:
        try:
            await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
    return SqlLogStore(engine)


@asynccontextmanager
async def running_ledger(
    config: LedgerConfig, *, handlers: Sequence[Handler] | None = None
) -> AsyncIterator[Ledger]:
    """Open the ledger of ``config`` with the domain handlers; close everything on exit.

    Raises ``KeyFileError`` if the log key is not the one written into entry 0.
    """
    store = await open_store(config.database_url)
    try:
        await _check_log_key(store, config)
        async with Ledger(
            store,
            origin=config.origin,
            log_signer=config.log_signer,
            handlers=domain_handlers() if handlers is None else handlers,
            window=config.window,
        ) as ledger:
            yield ledger
    finally:
        await store.close()


async def check_ready(config: LedgerConfig) -> None:
    """Check, before serving, that the database opens and entry 0 names the log key."""
    store = await open_store(config.database_url)
    try:
        await _check_log_key(store, config)
    finally:
        await store.close()


async def _check_log_key(store: SqlLogStore, config: LedgerConfig) -> None:
    rows = await store.entries(0, 1)
    if not rows:
        return
    logged = Entry.parse(rows[0].data).statement.body.get("log_key")
    if logged != config.log_verifier.vkey():
        raise KeyFileError("the configured log key is not the one named in entry 0")


async def init_ledger(
    settings: Settings, *, origin: str, steward_id: str, rules: RuleTable | None = None
) -> LedgerConfig:
    """Create a data directory's keys and database; append entry 0 and rule table version 1.

    ``rules`` defaults to the packaged community's table. Refuses (``ConfigError``) a
    directory that holds a ledger already or a database that holds entries.
    ``coopledger.json`` is written last, once the first entries are durable.
    """
    data = data_dir(settings)
    if data.exists():
        raise ConfigError(f"{data.root} holds a ledger already; not overwriting it")
    data.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = await open_store(database_url(data, settings))
    try:
        if await store.size() > 0:
            raise ConfigError("the database holds a log already; not overwriting it")
        log_signer, steward = write_data_dir(data, origin=origin, steward_id=steward_id)
        async with Ledger(
            store, origin=origin, log_signer=log_signer, handlers=domain_handlers()
        ) as ledger:
            await initialise(ledger, steward=steward, steward_id=steward_id, log_signer=log_signer)
            factory = StatementFactory(origin, ledger.clock)
            table = rules or default_rule_table()
            await ledger.submit(factory.sign(steward, "credit.rules_adopted", table.to_json()))
    finally:
        await store.close()
    write_config_file(data, origin=origin)
    return load_config(settings)


async def admit(
    ledger: Ledger,
    config: LedgerConfig,
    *,
    member: str,
    public_key: str,
    member_kind: str,
    borough: str,
    roles: Sequence[str] = (),
) -> Receipt:
    """Have the configured steward sign and submit ``member.admitted`` for a public key."""
    decode_public_key(public_key)
    factory = StatementFactory(ledger.origin, ledger.clock)
    body = {
        "member": member,
        "public_key": public_key,
        "member_kind": member_kind,
        "borough": borough,
        "roles": list(roles),
    }
    return await ledger.submit(factory.sign(config.steward(), "member.admitted", body))


async def save_directory(
    ledger: Ledger, member: str, *, handle: str | None, name: str | None, email: str | None
) -> None:
    """Record a member's personal data in the erasable directory (never the log)."""
    store = ledger.store
    if not isinstance(store, SqlLogStore):
        raise ConfigError("the directory needs an SQL store")
    await personal.save(store.engine, member, handle=handle, name=name, email=email)
