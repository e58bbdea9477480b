"""The log core (statements, entries, the RFC 9162 tree, checkpoints, stores, the sequencer,
members and keys, the audit) and the credits domain (``ledger.credits``)."""
