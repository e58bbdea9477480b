"""Member governance on the log: working groups, terms of reference, proposals, votes, decisions.

``handler.GovernanceHandler`` checks and projects every ``governance.*`` statement;
``gates`` answers the credit hooks (convenors, rule-table decisions); ``client`` and ``acts``
build bodies; ``reports`` and ``export`` read results, reminders and exports; ``recount``
recomputes every decision from the log alone for the audit. ``methods``, ``bodies``,
``opening``, ``count``, ``recount``, ``reminders``, ``export``, ``seal`` and ``client`` are
pure (no SQLAlchemy), so this package imports nothing on its own.
"""
