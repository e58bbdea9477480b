"""Alembic migrations for the coopledger schema; run by ``ledger.migrate.upgrade``."""
