"""The client's transport, signing, login and reads (``api.client.CoopClient`` adds the acts)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import httpx

from api.auth import login_message
from ledger.authoring import StatementFactory
from ledger.checkpoint import verify_checkpoint
from ledger.cosignature import CosignerVerifier
from ledger.credits.rules import RuleTable, parse_rule_table
from ledger.encoding import JSONValue
from ledger.errors import NotWitnessedError
from ledger.keys import read_member_key
from ledger.merkle import hash_leaf, verify_inclusion
from ledger.note import NoteVerifier
from ledger.signing import Keypair
from ledger.statement import SignedStatement
from ledger.witnessing import require_cosignatures

RECEIPT = "receipt { seq leafHash loggedAt checkpoint { size root } }"


class ApiError(Exception):
    """The API answered with an error (``code`` as in docs/api.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Refused(ApiError):
    """The ledger refused a statement; nothing was appended."""


def graphql_input(signed: SignedStatement) -> dict[str, Any]:
    """A signed statement as the ``SignedStatementInput`` of a mutation."""
    s = signed.statement
    return {
        "statement": {
            "origin": s.origin,
            "kind": s.kind,
            "body": dict(s.body),
            "nonce": s.nonce,
            "issuedAt": s.issued_at,
            "keyId": s.key_id,
        },
        "signature": base64.b64encode(signed.signature).decode("ascii"),
    }


def act_document(field: str, success: str) -> str:
    """The mutation document of one signed act, asking for the receipt and any refusal."""
    return (
        f"mutation Act($s: SignedStatementInput!) {{ {field}(statement: $s) {{ __typename "
        f"... on Refusal {{ code message }} ... on {success} {{ {RECEIPT} }} }} }}"
    )


def _error_of(error: Any) -> tuple[str, str]:
    """The code and message of the first error of an answer.

    An error with no code is either one the server masked while resolving (it has a
    ``path``: ``internal``) or a document the server would not run at all, as a bad
    argument (``bad_request``).
    """
    if not isinstance(error, dict):
        return "http", str(error)
    code = (error.get("extensions") or {}).get("code") or error.get("code")
    if not code:
        code = "internal" if error.get("path") else "bad_request"
    return str(code), str(error.get("message"))


class ClientCore:
    """A member's (or an auditor's) session with one server."""

    def __init__(
        self,
        url: str,
        *,
        keypair: Keypair | None = None,
        member: str | None = None,
        token: str | None = None,
        http: httpx.AsyncClient | None = None,
        log_key: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.keypair = keypair
        self.member = member
        self.token = token
        self._http = http
        self._owns_http = http is None
        self._log_key = log_key
        self._info: dict[str, Any] | None = None
        self._login_lock = asyncio.Lock()

    @classmethod
    def from_key_file(cls, url: str, path: Path, **kwargs: Any) -> Self:
        """A client signing with the key file at ``path`` (mode 0600)."""
        keypair, member = read_member_key(path)
        return cls(url, keypair=keypair, member=member, **kwargs)

    async def __aenter__(self) -> Self:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=30)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    # -- transport ----------------------------------------------------------------------

    async def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run ``query``; return its ``data``, or raise ``ApiError`` for any error.

        A client holding a key logs in when the server asks for a login (``unauthenticated``:
        a private log, or a token that expired) and sends the request once more.
        """
        sent = self.token
        try:
            return await self._graphql(query, variables)
        except ApiError as e:
            if e.code != "unauthenticated" or self.keypair is None:
                raise
        await self.login_again(sent)
        return await self._graphql(query, variables)

    async def _graphql(self, query: str, variables: Mapping[str, Any] | None) -> Any:
        if self._http is None:
            raise RuntimeError("use the client as 'async with CoopClient(...) as client'")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        answer = await self._http.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        try:
            document = answer.json()
        except ValueError as e:
            raise ApiError("http", f"HTTP {answer.status_code}: {answer.text[:200]}") from e
        if not isinstance(document, dict):
            raise ApiError("http", f"HTTP {answer.status_code}: not a GraphQL answer")
        errors = document.get("errors") or ([document["error"]] if "error" in document else [])
        if errors:
            raise ApiError(*_error_of(errors[0]))
        if not isinstance(document.get("data"), dict):
            raise ApiError("http", f"HTTP {answer.status_code}: a GraphQL answer with no data")
        return document["data"]

    async def info(self) -> dict[str, Any]:
        """The log's origin, verifier key and window (fetched once)."""
        if self._info is None:  # always public: asked without a login
            data = await self._graphql(
                "{ logInfo { origin verifierKey windowSeconds private } }", None
            )
            self._info = dict(data["logInfo"])
        return self._info

    async def sign(self, kind: str, body: Mapping[str, JSONValue]) -> SignedStatement:
        """Sign a statement of ``kind`` for this log with the client's key."""
        if self.keypair is None:
            raise ApiError("no_key", "this client holds no key to sign with")
        origin = str((await self.info())["origin"])
        return StatementFactory(origin).sign(self.keypair, kind, body)

    async def act(self, field: str, success: str, kind: str, body: Mapping[str, JSONValue]) -> int:
        """Sign ``body`` as ``kind``, submit it with mutation ``field``; the entry it landed at.

        Raises ``Refused`` when the ledger refuses it.
        """
        signed = await self.sign(kind, body)
        data = await self.graphql(act_document(field, success), {"s": graphql_input(signed)})
        result: dict[str, Any] = data[field]
        if result["__typename"] != success:
            raise Refused(str(result.get("code")), str(result.get("message")))
        return int(result["receipt"]["seq"])

    # -- login --------------------------------------------------------------------------

    async def login(self) -> str:
        """Log in by signing a challenge; keep and return the bearer token."""
        if self.keypair is None:
            raise ApiError("no_key", "this client holds no key to log in with")
        key_id = self.keypair.key_id
        data = await self._graphql(
            "mutation($k: String!) { requestLoginChallenge(keyId: $k) { challenge message } }",
            {"k": key_id},
        )
        challenge = data["requestLoginChallenge"]
        try:
            message = login_message(await self._origin(), str(challenge["challenge"]))
            asked = base64.b64decode(str(challenge["message"]), validate=True)
        except (ValueError, UnicodeError) as e:
            raise ApiError("login_refused", f"the server's challenge is malformed: {e}") from e
        if asked != message:  # never sign what a server says: only a login for this log
            raise ApiError("login_refused", "the server asked to sign something not a login")
        signature = self.keypair.sign(message)
        data = await self._graphql(
            "mutation($k: String!, $c: String!, $s: String!) { login(keyId: $k, challenge: $c, "
            "signature: $s) { __typename ... on Refusal { code message } "
            "... on LoginSession { token member { id } } } }",
            {"k": key_id, "c": challenge["challenge"], "s": base64.b64encode(signature).decode()},
        )
        result = data["login"]
        if result["__typename"] != "LoginSession":
            raise ApiError(str(result["code"]), str(result["message"]))
        self.token = str(result["token"])
        if result["member"] is not None:
            self.member = str(result["member"]["id"])
        return self.token

    async def _origin(self) -> str:
        """The log's origin; with a pinned log key, the server must name that key's log (so
        a server cannot pass on another log's login challenge to be signed)."""
        origin = str((await self.info())["origin"])
        if self._log_key is not None and NoteVerifier.from_vkey(self._log_key).name != origin:
            raise ApiError("login_refused", f"this server serves {origin}, not the pinned log")
        return origin

    async def login_again(self, sent: str | None) -> None:
        """Log in unless another task has done so since ``sent`` was the token: one login
        for any number of requests refused together."""
        async with self._login_lock:
            if self.token == sent:
                await self.login()

    async def me(self, member: str | None = None) -> str:
        """``member`` if given, else this client's member: the key file's, or, for a key
        file that names none, the one the server names at login."""
        if member is None and self.member is None and self.keypair is not None:
            await self.login()
        chosen = member or self.member
        if chosen is None:
            raise ApiError(
                "no_member", "name the member (--member ID or HANDLE), or give your key (--key)"
            )
        return chosen

    # -- reads --------------------------------------------------------------------------

    async def member_id(self, who: str) -> str | None:
        """The id of the member ``who`` names: the member whose id it is, else the member
        whose handle (in the erasable directory) it is; ``None`` if there is neither."""
        data = await self.graphql(
            "query($w: String!) { byId: member(id: $w) { id } "
            "byHandle: member(handle: $w) { id } }",
            {"w": who},
        )
        found = data["byId"] or data["byHandle"]
        return None if found is None else str(found["id"])

    async def member_ids(self, names: Iterable[str]) -> dict[str, str | None]:
        """``member_id`` of each of ``names`` (asked together)."""
        unique = list(dict.fromkeys(names))
        found = await asyncio.gather(*(self.member_id(name) for name in unique))
        return dict(zip(unique, found, strict=True))

    async def balance(self, member: str | None = None) -> int:
        """A member's lifetime balance (default: this client's member)."""
        who = await self.me(member)
        data = await self.graphql("query($m: String!) { member(id: $m) { balance } }", {"m": who})
        if data["member"] is None:
            raise ApiError("not_found", f"{who} is not a member")
        return int(data["member"]["balance"])

    async def statement(self, member: str | None = None, last: int = 20) -> dict[str, Any]:
        """Balance, standing and the last ``last`` statement lines of a member."""
        who = await self.me(member)
        data = await self.graphql(
            "query($m: String!, $n: Int!) { member(id: $m) { id balance standing "
            "statement(last: $n) { nodes { seq kind award activityOn activity quantity "
            "approver credits reason balance } } } }",
            {"m": who, "n": last},
        )
        if data["member"] is None:
            raise ApiError("not_found", f"{who} is not a member")
        return dict(data["member"])

    async def checkpoint(
        self, witnesses: Sequence[CosignerVerifier] = (), quorum: int = 0
    ) -> dict[str, Any]:
        """The latest checkpoint, its signature checked against the log's key; with a
        ``quorum``, the latest witnessed one, refused (``NotWitnessedError``) unless it
        carries valid cosignatures by ``quorum`` of ``witnesses``. Its size and root are
        the ones its signed note states."""
        field = "witnessedCheckpoint" if quorum else "checkpoint"
        data = await self.graphql(f"{{ {field} {{ note }} }}")
        if data[field] is None:
            raise NotWitnessedError("the server holds no checkpoint cosigned by its witnesses")
        note = str(data[field]["note"])
        info = await self.info()
        verifier = NoteVerifier.from_vkey(self._log_key or str(info["verifierKey"]))
        checked = verify_checkpoint(note, verifier, origin=str(info["origin"]))
        if quorum:
            require_cosignatures(note, witnesses, quorum)
        return {"size": checked.size, "root": checked.root.hex(), "note": note}

    async def prove(
        self, index: int, *, witnesses: Sequence[CosignerVerifier] = (), quorum: int = 0
    ) -> dict[str, Any]:
        """An inclusion proof of entry ``index`` in the latest checkpoint, checked here.

        The entry's bytes are hashed locally and the path is checked against the root of a
        checkpoint whose signature was checked (with a ``quorum``, the latest witnessed
        checkpoint, and its cosignatures too: see ``checkpoint``); raises
        ``VerificationError`` if anything does not verify. The answer carries the
        checkpoint's note and the entry's bytes (base64, ``entry``) beside the proof.
        """
        checkpoint = await self.checkpoint(witnesses, quorum)
        data = await self.graphql(
            "query($i: Int!, $n: Int!) { entry(seq: $i) { data } "
            "inclusionProof(index: $i, size: $n) { index size leafHash path root } }",
            {"i": index, "n": checkpoint["size"]},
        )
        if data["entry"] is None:
            raise ApiError("out_of_range", f"there is no entry {index}")
        proof = data["inclusionProof"]
        leaf = hash_leaf(base64.b64decode(data["entry"]["data"]))
        verify_inclusion(
            leaf_hash=leaf,
            index=index,
            size=int(checkpoint["size"]),
            path=[bytes.fromhex(node) for node in proof["path"]],
            root=bytes.fromhex(str(checkpoint["root"])),
        )
        entry = str(data["entry"]["data"])
        return {**proof, "leafHash": leaf.hex(), "checkpoint": checkpoint["note"], "entry": entry}

    async def rule_table(self, version: int | None = None) -> RuleTable:
        """The rule table ``version`` (default: in force), as the domain value."""
        data = await self.graphql(
            "query($v: Int) { ruleTable(version: $v) { body } }", {"v": version}
        )
        if data["ruleTable"] is None:
            raise ApiError("no_rule_table", "no rule table has been adopted")
        return parse_rule_table(data["ruleTable"]["body"])


class KeyLogin(httpx.Auth):
    """httpx authentication by a key: a request the server answers 401 (a private log, or an
    expired token) is sent again with a bearer token from logging in as ``core``'s key.

    For the log's HTTP endpoints (``/log/*``), which ``ledger`` reads with plain httpx; the
    token is then sent with every later request.
    """

    def __init__(self, core: ClientCore) -> None:
        self.core = core

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        sent = self.core.token
        if sent is not None:
            request.headers["Authorization"] = f"Bearer {sent}"
        response = yield request
        if response.status_code == 401:
            await self.core.login_again(sent)
            request.headers["Authorization"] = f"Bearer {self.core.token}"
            yield request
