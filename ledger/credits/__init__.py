"""Contribution credits: the rule table, claims, registers, awards, corrections and reports.

``handler.CreditsHandler`` checks and projects every ``credit.*`` statement; ``client``
builds their bodies; ``reports``, ``social`` and ``export`` read the projections; ``replay``
recomputes balances from the log alone for the audit. ``rules``, ``bodies``, ``caps``,
``records``, ``distribution`` and ``client`` are pure (no SQLAlchemy), so this package
imports nothing on its own.
"""
