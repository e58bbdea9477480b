"""The ledger's exceptions: one base, leaf names ending in ``Error``.

::

    LedgerError
    ├── VerificationError            a signature, proof or note does not verify
    │   ├── InvalidProofError        an RFC 9162 inclusion or consistency proof is wrong
    │   ├── InvalidSignatureError    an Ed25519 signature does not verify
    │   ├── InvalidCheckpointError   a C2SP checkpoint or signed note is malformed or unsigned
    │   └── MisbehaviourError        a misbehaviour proof is malformed or proves no fork
    │   └── NotWitnessedError        a checkpoint lacks the cosignatures a reader requires
    ├── StatementError               a submitted statement is refused (nothing is appended)
    │   ├── MalformedStatementError  not canonical JSON, wrong fields, wrong types, too large
    │   ├── UnknownKindError         ``kind`` is not in the closed list
    │   ├── WrongOriginError         ``origin`` is not this log's origin
    │   ├── StaleStatementError      ``issued_at`` is outside the accepted window
    │   ├── ReplayedNonceError       ``(key_id, nonce)`` was accepted before
    │   ├── UnknownKeyError          ``key_id`` is not a registered key
    │   ├── RevokedKeyError          the key was revoked or rotated away
    │   └── NotAuthorisedError       the signer may not make this statement
    ├── RuleError                    a domain rule refuses a well-formed statement
    │   ├── NotFoundError            the thing referred to does not exist
    │   └── ConflictError            the statement conflicts with the current state
    ├── KeyFileError                 a key file is missing, malformed or too open
    ├── WitnessError                 a witness refuses a checkpoint (``ledger.witness``)
    │   ├── BadWitnessRequestError   the request is malformed, or its old size is too large
    │   ├── UnknownLogError          no trusted key for the checkpoint's origin
    │   ├── UntrustedCheckpointError no valid signature by a trusted key of that origin
    │   ├── SizeConflictError        the old size is not the size last cosigned (``size``)
    │   ├── InconsistentCheckpointError  the consistency proof or the empty root is wrong
    │   └── WitnessStateError        the state directory is locked, unreadable or corrupt
    ├── StoreError                   the store cannot do what was asked
    │   ├── AppendOnlyError          an UPDATE or DELETE on a log table was refused
    │   ├── OutOfRangeError          an index or size past the end of the log
    │   ├── StoreUnavailableError    the database is down, read-only or busy (an outage)
    │   └── StoreFullError           the database's disk is full
    ├── AuditError                   the offline or online audit found a fault
    ├── TileExportError              a static tile export's folder holds another log
    └── GovernanceError              voting and tallies (``governance.errors``)

Refusals of credit statements (``ledger.credits.errors``) and of governance statements
subclass the statement and rule errors above, so every refusal is a ``LedgerError`` with a
stable ``code``; ``api.errors`` maps the tree to HTTP and GraphQL in one place.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised by ``ledger``."""


class VerificationError(LedgerError):
    """Something that should verify does not."""


class InvalidProofError(VerificationError):
    """An RFC 9162 inclusion or consistency proof does not verify."""


class InvalidSignatureError(VerificationError):
    """An Ed25519 signature does not verify."""


class InvalidCheckpointError(VerificationError):
    """A checkpoint or signed note is malformed or carries no valid known signature."""


class MisbehaviourError(VerificationError):
    """A misbehaviour proof is malformed, or its checkpoints do not show a fork."""


class NotWitnessedError(VerificationError):
    """A checkpoint carries fewer valid cosignatures by the required witnesses than asked."""


class StatementError(LedgerError):
    """A submitted statement is refused; nothing was appended."""

    code = "statement_refused"


class MalformedStatementError(StatementError):
    """The statement is not well-formed canonical JSON of the expected shape."""

    code = "malformed"


class UnknownKindError(StatementError):
    """The statement's ``kind`` is not in the closed list."""

    code = "unknown_kind"


class WrongOriginError(StatementError):
    """The statement names another log's origin."""

    code = "wrong_origin"


class StaleStatementError(StatementError):
    """``issued_at`` lies outside the accepted window."""

    code = "stale"


class ReplayedNonceError(StatementError):
    """The ``(key_id, nonce)`` pair was accepted before."""

    code = "replayed_nonce"


class UnknownKeyError(StatementError):
    """The signing key is not registered."""

    code = "unknown_key"


class RevokedKeyError(StatementError):
    """The signing key was revoked or rotated away."""

    code = "revoked_key"


class NotAuthorisedError(StatementError):
    """The signer is not allowed to make this statement."""

    code = "not_authorised"


class RuleError(LedgerError):
    """A domain rule refuses a well-formed, correctly signed statement."""

    code = "rule"


class NotFoundError(RuleError):
    """The statement refers to something that does not exist."""

    code = "not_found"


class ConflictError(RuleError):
    """The statement conflicts with the current state."""

    code = "conflict"


class KeyFileError(LedgerError):
    """A key file is missing, malformed, or readable by others."""


class WitnessError(LedgerError):
    """A witness refuses to cosign a checkpoint (C2SP tlog-witness); nothing is stored."""


class BadWitnessRequestError(WitnessError):
    """An ``add-checkpoint`` body is malformed, or its old size exceeds the checkpoint's."""


class UnknownLogError(WitnessError):
    """The witness trusts no key for the checkpoint's origin."""


class UntrustedCheckpointError(WitnessError):
    """No signature by a trusted key of the origin verifies, or one by such a key fails."""


class SizeConflictError(WitnessError):
    """The request's old size is not the size of the latest checkpoint cosigned."""

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message)
        self.size = size


class InconsistentCheckpointError(WitnessError):
    """The checkpoint is not shown consistent with the one cosigned before."""


class WitnessStateError(WitnessError):
    """The witness's state directory is held by another process, unreadable or corrupt."""


class StoreError(LedgerError):
    """The store cannot do what was asked."""


class AppendOnlyError(StoreError):
    """An UPDATE or DELETE on an append-only log table was refused."""


class OutOfRangeError(StoreError):
    """An index or tree size lies beyond the end of the log."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached, is read-only or busy just now; nothing was written.

    An outage, not a bug: it passes, and the same request may be sent again.
    """

    code = "unavailable"


class StoreFullError(StoreError):
    """The database's disk is full; nothing was written, and reads go on."""

    code = "storage_full"


class AuditError(LedgerError):
    """An audit found a fault; the message names the first bad entry or checkpoint."""


class TileExportError(LedgerError):
    """A tile export's folder holds something other than an earlier export of this log."""
