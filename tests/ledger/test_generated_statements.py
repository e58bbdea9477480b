"""Generated submissions that must be refused: every one answers 4xx with the JSON error body
and appends nothing.

Each example goes through the real intake, ``POST /log/statements`` of the app in process,
on a ledger whose steward could otherwise append it: a statement is signed properly and then
one thing is wrong with it (its signature, origin, nonce, time, kind, fields, size, numbers,
depth, encoding or keys).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.runtime import init_ledger
from api.settings import ApiSettings
from ledger.authoring import StatementFactory
from ledger.config import Settings
from ledger.encoding import (
    MAX_JSON_DEPTH,
    MAX_SAFE_INTEGER,
    b64encode,
    canonical_json,
    format_time,
    utc_now,
)
from ledger.service import DEFAULT_WINDOW, Ledger
from ledger.signing import STATEMENT_DOMAIN, Keypair
from ledger.statement import KINDS, MAX_STATEMENT_BYTES, SignedStatement

T = TypeVar("T")
ORIGIN = "generated.coopledger.example/log"
LOGGED_NONCE = "logged-nonce-0000000001"
"""The nonce of a statement the fixture appends: any other statement reusing it is a replay."""
EXAMPLES = settings(max_examples=100, deadline=None, database=None)

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
"""Text that encodes as UTF-8 (a lone surrogate cannot be signed at all)."""
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)


@dataclass
class Intake:
    """The app in process, run on an event loop of its own thread, and the steward's key."""

    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    ledger: Ledger
    steward: Keypair

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def size(self) -> int:
        return self.run(self.ledger.store.size())

    def post(self, data: bytes) -> httpx.Response:
        headers = {"content-type": "application/json"}
        return self.run(self.client.post("/log/statements", content=data, headers=headers))

    def sign(self, body: dict[str, Any], **kwargs: Any) -> SignedStatement:
        """``member.admitted`` (or ``kind``) signed by the steward, for ``origin``."""
        kind = kwargs.pop("kind", "member.admitted")
        origin = kwargs.pop("origin", ORIGIN)
        return StatementFactory(origin).sign(self.steward, kind, body, **kwargs)

    def refused(self, data: bytes, *codes: str) -> None:
        """``data`` is answered 4xx with ``{"error": {"code", "message"}}`` (the code one
        of ``codes``) and the log is as long as before."""
        before = self.size()
        answer = self.post(data)
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
        document = answer.json()
        assert set(document) == {"error"}, document
        assert set(document["error"]) == {"code", "message"}, document
        code, message = document["error"]["code"], document["error"]["message"]
        assert isinstance(code, str) and isinstance(message, str) and message, document
        assert code in codes, (code, message)
        assert self.size() == before


def admission(member: str = "m-generated", **extra: Any) -> dict[str, Any]:
    """A body the steward may sign: admitting ``member`` with a fresh key."""
    return {
        "member": member,
        "public_key": Keypair.generate().public_key_b64,
        "member_kind": "sme",
        "borough": "Sutton",
        "roles": [],
        **extra,
    }


def submission(signed: SignedStatement) -> dict[str, Any]:
    return json.loads(json.dumps(signed.to_json()))  # type: ignore[no-any-return]


def encode(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """An initialised ledger served in process, one statement logged with ``LOGGED_NONCE``."""
    root: Path = tmp_path_factory.mktemp("generated")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    unlimited = ApiSettings(mutation_burst=10**6, mutation_rate=10**6)

    async def start() -> tuple[Any, httpx.AsyncClient, Keypair]:
        config = await init_ledger(
            Settings(data=root / "data"), origin=ORIGIN, steward_id="steward"
        )
        app = create_app(config=config, api_settings=unlimited)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")
        return (app, lifespan), client, config.steward()

    (app, lifespan), client, steward = asyncio.run_coroutine_threadsafe(start(), loop).result()
    world = Intake(loop, client, app.state.ledger, steward)
    before = world.size()
    logged = world.sign(admission("m-logged"), nonce=LOGGED_NONCE)
    answer = world.post(encode(logged.to_json()))
    assert answer.status_code == 201, answer.text  # the steward can append: refusals mean it
    assert world.size() == before + 1
    try:
        yield world
    finally:

        async def stop() -> None:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)

        world.run(stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@EXAMPLES
@given(at=st.integers(0, 63), flip=st.integers(1, 255))
def test_a_signature_with_a_byte_flipped(intake: Intake, at: int, flip: int) -> None:
    signed = intake.sign(admission())
    signature = bytearray(signed.signature)
    signature[at] ^= flip
    forged = SignedStatement.create(signed.statement, bytes(signature))
    intake.refused(encode(forged.to_json()), "bad_signature")


@EXAMPLES
@given(borough=texts.filter(lambda b: b != "Sutton"))
def test_a_statement_changed_after_it_was_signed(intake: Intake, borough: str) -> None:
    document = submission(intake.sign(admission()))
    document["statement"]["body"]["borough"] = borough
    intake.refused(encode(document), "bad_signature", "malformed")


@EXAMPLES
@given(origin=texts.filter(lambda o: o != ORIGIN))
def test_a_statement_for_another_origin(intake: Intake, origin: str) -> None:
    signed = intake.sign(admission(), origin=origin)
    intake.refused(encode(signed.to_json()), "wrong_origin")


@EXAMPLES
@given(member=texts.filter(lambda m: m != "m-logged"), issued=st.integers(-300, 300))
def test_another_statement_reusing_a_logged_nonce(intake: Intake, member: str, issued: int) -> None:
    at = utc_now() + timedelta(seconds=issued)
    signed = intake.sign(admission(member or "m-x"), nonce=LOGGED_NONCE, issued_at=at)
    intake.refused(encode(signed.to_json()), "replayed_nonce")


outside_window = st.integers(
    int((DEFAULT_WINDOW + timedelta(minutes=1)).total_seconds()), 200 * 365 * 24 * 3600
)


@EXAMPLES
@given(seconds=outside_window, future=st.booleans())
def test_a_statement_issued_outside_the_window(intake: Intake, seconds: int, future: bool) -> None:
    at = utc_now() + timedelta(seconds=seconds if future else -seconds)
    signed = intake.sign(admission(), issued_at=at)
    intake.refused(encode(signed.to_json()), "stale")


@EXAMPLES
@given(
    at=st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_a_statement_issued_at_any_far_time(intake: Intake, at: datetime) -> None:
    if abs(at - utc_now()) <= DEFAULT_WINDOW + timedelta(minutes=1):
        at -= timedelta(days=1)
    document = submission(intake.sign(admission()))
    document["statement"]["issued_at"] = format_time(at)
    intake.refused(encode(document), "stale", "bad_signature", "malformed")  # year < 1000


@EXAMPLES
@given(kind=texts.filter(lambda k: k not in KINDS))
def test_a_statement_of_an_unknown_kind(intake: Intake, kind: str) -> None:
    statement = {**intake.sign(admission()).statement.to_json(), "kind": kind}
    signature = intake.steward.sign(STATEMENT_DOMAIN + canonical_json(statement))
    document = {"statement": statement, "signature": b64encode(signature)}  # signed as it is
    intake.refused(encode(document), "unknown_kind")


STATEMENT_FIELDS = ("origin", "kind", "body", "nonce", "issued_at", "key_id")


@EXAMPLES
@given(
    missing=st.sets(st.sampled_from(STATEMENT_FIELDS)),
    extra=st.dictionaries(texts.filter(lambda k: k not in STATEMENT_FIELDS), json_values),
    envelope=st.dictionaries(texts.filter(lambda k: k != "statement"), json_values, max_size=2),
)
def test_fields_missing_from_or_added_to_a_statement(
    intake: Intake, missing: set[str], extra: dict[str, Any], envelope: dict[str, Any]
) -> None:
    document = submission(intake.sign(admission()))
    statement = {k: v for k, v in document["statement"].items() if k not in missing}
    document = {**document, **envelope, "statement": {**statement, **extra}}
    if not (missing or extra or envelope.keys() - {"signature"}):
        document.pop("signature")  # at least one thing is wrong
    intake.refused(encode(document), "malformed")


BODY_FIELDS = ("member", "public_key", "member_kind", "borough", "roles")


@EXAMPLES
@given(
    missing=st.sets(st.sampled_from(BODY_FIELDS)),
    extra=st.dictionaries(texts.filter(lambda k: k not in BODY_FIELDS), json_values),
)
def test_fields_missing_from_or_added_to_a_body(
    intake: Intake, missing: set[str], extra: dict[str, Any]
) -> None:
    body = {k: v for k, v in admission().items() if k not in missing} | extra
    if not (missing or extra):
        body.pop("roles")
    intake.refused(encode(intake.sign(body).to_json()), "malformed")


@EXAMPLES
@given(
    size=st.integers(MAX_STATEMENT_BYTES, 3 * MAX_STATEMENT_BYTES),
    field=st.sampled_from(["borough", "member", "nonce", "origin"]),
    char=st.sampled_from(["a", "é", "€", "😀"]),  # 1 to 4 bytes
)
def test_a_huge_string(intake: Intake, size: int, field: str, char: str) -> None:
    document = submission(intake.sign(admission()))
    huge = char * (size // len(char.encode()))
    if field in ("borough", "member"):
        document["statement"]["body"][field] = huge
    else:
        document["statement"][field] = huge
    intake.refused(encode(document), "malformed")


huge_numbers = st.one_of(
    st.integers(MAX_SAFE_INTEGER + 1, 10**60),
    st.integers(-(10**60), -MAX_SAFE_INTEGER - 1),
).map(str) | st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1.5", "1e3"])


@EXAMPLES
@given(number=huge_numbers, where=st.sampled_from(["roles", "extra", "nested"]))
def test_a_huge_number(intake: Intake, number: str, where: str) -> None:
    document = submission(intake.sign(admission()))
    marker = "__number__"
    body = document["statement"]["body"]
    if where == "roles":
        body["roles"] = [marker]
    elif where == "extra":
        body["extra"] = marker
    else:
        body["borough"] = {"nested": [marker]}
    data = encode(document).replace(f'"{marker}"'.encode(), number.encode())
    intake.refused(data, "malformed")


@EXAMPLES
@given(depth=st.integers(MAX_JSON_DEPTH, 4000), brackets=st.sampled_from(["[]", "{}"]))
def test_deep_json(intake: Intake, depth: int, brackets: str) -> None:
    document = submission(intake.sign(admission()))
    document["statement"]["body"]["roles"] = "__deep__"
    opening, closing = ('{"a":', "}") if brackets == "{}" else ("[", "]")
    deep = opening * depth + "0" + closing * depth
    intake.refused(encode(document).replace(b'"__deep__"', deep.encode()), "malformed")


invalid_utf8 = st.sampled_from(
    [b"\xff", b"\xfe", b"\x80", b"\xc0\xaf", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf5\x80"]
)


@EXAMPLES
@given(bad=invalid_utf8, at=st.floats(0, 1))
def test_invalid_utf8_anywhere(intake: Intake, bad: bytes, at: float) -> None:
    data = encode(submission(intake.sign(admission())))
    cut = int(at * len(data))
    intake.refused(data[:cut] + bad + data[cut:], "malformed")


@EXAMPLES
@given(
    surrogate=st.integers(0xD800, 0xDFFF),
    field=st.sampled_from(["borough", "member", "a key", "kind", "origin", "nonce"]),
)
def test_a_lone_surrogate_escaped(intake: Intake, surrogate: int, field: str) -> None:
    """Valid JSON, valid UTF-8, but not Unicode text: ``\ud800`` stands for no character."""
    document = submission(intake.sign(admission()))
    if field == "a key":
        document["statement"]["body"]["__lone__"] = 1
    elif field in ("borough", "member"):
        document["statement"]["body"][field] = "__lone__"
    else:
        document["statement"][field] = "__lone__"
    data = encode(document).replace(b"__lone__", f"\\u{surrogate:04x}".encode())
    intake.refused(data, "unknown_kind" if field == "kind" else "malformed")


@EXAMPLES
@given(
    level=st.sampled_from(["envelope", "statement", "body"]),
    key=st.sampled_from(["signature", "statement", "kind", "nonce", "borough", "member"]),
    same=st.booleans(),
)
def test_a_key_given_twice(intake: Intake, level: str, key: str, same: bool) -> None:
    document = submission(intake.sign(admission()))
    target = {
        "envelope": document,
        "statement": document["statement"],
        "body": document["statement"]["body"],
    }[level]
    key = key if key in target else next(iter(target))
    target["__twice__"] = "__value__"
    text = encode(document).decode()
    value = json.dumps(target[key], ensure_ascii=False) if same else '"other"'
    text = text.replace('"__twice__": "__value__"', f"{json.dumps(key)}: {value}")
    intake.refused(text.encode(), "malformed")
