"""Which of our modules one credit claim runs through, from the GraphQL mutation to its row.

``python -m bench.claim_path [--all]``

Builds a ledger on SQLite in a temporary folder with two members, serves it in process
(the app with its request guard, through ``httpx.ASGITransport``), sends one warm-up claim,
then traces a second ``claimCredit`` request with ``sys.setprofile`` (on the event loop's
thread and the signature-checking threads). Two figures:

* **the path**: the modules on the call stack when the mutation hands the statement to the
  ledger, when the claim's check runs and when its rows are written (the claim's projection
  row and the log's entry), and the modules the check calls (the rules it applies): what a
  reader walks from the mutation to the row. Helpers that any statement passes through on
  the way (encoding, signatures, hashing) are left out unless they are on those stacks;
* **everything run**: every module of ours that ran code for the request, the HTTP and
  GraphQL plumbing and the shaping of the answer included (``--all`` lists them).

Run it at another commit (``PYTHONPATH=<checkout> python -m bench.claim_path``) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from api.app import create_app
from api.client_core import act_document, graphql_input
from api.runtime import init_ledger
from api.settings import ApiSettings
from ledger.authoring import StatementFactory
from ledger.config import Settings
from ledger.signing import Keypair

ORIGIN = "bench.coopledger.example/log"
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "governance", "ledger")
ADMIT = ("member.admitted", "admitMember", "MemberAccepted")
CLAIM = ("credit.claimed", "claimCredit", "ClaimAccepted")
CHECK = "check_claim"
"""The claim's check: the path runs through everything it calls."""
SINKS = frozenset({("ledger/service.py", "submit"), ("ledger/sql.py", "append")})
"""With the check and the claim's row write (``WRITE``), the calls whose call stacks make
the path: the mutation's hand-over to the ledger, and the write of the log's entry."""
WRITE = "insert_claim"


def _module(frame: FrameType) -> str | None:
    """Our module of ``frame`` as a path from the repository root, or ``None``."""
    name = frame.f_code.co_filename
    if not name.startswith(str(ROOT)):
        return None
    relative = Path(name).relative_to(ROOT)
    return str(relative) if relative.parts[0] in PACKAGES else None


class Tracer:
    """Collects the modules that run, and the path through the check and the writes."""

    def __init__(self) -> None:
        self.ran: set[str] = set()
        self.path: set[str] = set()
        self._depth: dict[int, int] = {}

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = _module(frame)
        if module is None:
            return
        self.ran.add(module)
        name = frame.f_code.co_name
        if name in (CHECK, WRITE) or (module, name) in SINKS:
            self.path.update(self._stack(frame))
        elif self._beneath_check(frame):
            self.path.add(module)

    @staticmethod
    def _beneath_check(frame: FrameType) -> bool:
        caller = frame.f_back
        while caller is not None:
            if caller.f_code.co_name == CHECK and _module(caller):
                return True
            caller = caller.f_back
        return False

    @staticmethod
    def _stack(frame: FrameType) -> Iterator[str]:
        caller: FrameType | None = frame
        while caller is not None:
            module = _module(caller)
            if module is not None:
                yield module
            caller = caller.f_back

    @contextmanager
    def tracing(self) -> Iterator[None]:
        sys.setprofile(self)
        threading.setprofile(self)
        try:
            yield
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]


def _evidence(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _request(
    factory: StatementFactory, key: Keypair, act: tuple[str, str, str], body: dict[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """The field, success type and JSON request of ``key`` signing ``body``."""
    kind, field, success = act
    variables = {"s": graphql_input(factory.sign(key, kind, body))}
    return field, success, {"query": act_document(field, success), "variables": variables}


async def _send(client: httpx.AsyncClient, request: tuple[str, str, dict[str, Any]]) -> None:
    field, success, body = request
    payload = (await client.post("/graphql", json=body)).json()["data"][field]
    if payload["__typename"] != success:
        raise SystemExit(f"{field} refused: {payload}")


async def measure() -> Tracer:
    """Trace one claim on a fresh ledger; the tracer holds what ran."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data=Path(folder) / "data", database_url=None)
        config = await init_ledger(settings, origin=ORIGIN, steward_id="steward")
        app = create_app(config=config, api_settings=ApiSettings())
        factory = StatementFactory(ORIGIN)
        keys = {name: Keypair.generate() for name in ("m-claimant", "m-mentee")}
        tracer = Tracer()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for member, key in keys.items():
                    admission = {
                        "member": member,
                        "public_key": key.public_key_b64,
                        "member_kind": "sme",
                        "borough": "Croydon",
                        "roles": [],
                    }
                    await _send(client, _request(factory, config.steward(), ADMIT, admission))
                for n in range(2):
                    claim = {
                        "activity": "mentoring.hour",
                        "quantity": 1,
                        "evidence_sha256": _evidence(f"mentoring {n}"),
                        "done_on": date.today().isoformat(),
                        "counterparty": "m-mentee",
                    }
                    request = _request(factory, keys["m-claimant"], CLAIM, claim)
                    if n == 0:
                        await _send(client, request)
                        continue
                    with tracer.tracing():
                        await _send(client, request)
        return tracer


def _by_package(modules: set[str]) -> str:
    counts: dict[str, int] = {}
    for module in modules:
        package = "/".join(Path(module).parts[:-1])
        counts[package] = counts.get(package, 0) + 1
    return ", ".join(f"{package}/ {n}" for package, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every module that ran")
    args = parser.parse_args()
    tracer = asyncio.run(measure())
    print(f"the path: {len(tracer.path)} modules ({_by_package(tracer.path)})")
    for module in sorted(tracer.path):
        print(f"  {module}")
    print(f"everything run: {len(tracer.ran)} modules ({_by_package(tracer.ran)})")
    if args.all:
        for module in sorted(tracer.ran - tracer.path):
            print(f"  {module}")


if __name__ == "__main__":
    main()
