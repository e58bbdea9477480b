"""The web pages' speed in Chromium on the 10^6-entry log, against the same pages on the demo's
log, in the same run.

``python -m bench.pages [--size 1000000] [--lines 1000] [--runs 5]``

Two servers, each ``create_app`` on uvicorn in a process of its own on loopback: one on a copy
of the ``bench.biglog`` log, one on the demo's ledger (about 130 entries), the baseline. On
the copy, before it is served, the steward adopts a rule table (the big log has none) and one
member claims ``--lines`` times and has every claim awarded by the other member it names, so
that member's statement has that many lines. Headless Chromium (Debian's) signs in on each
server (the steward's key, the key page's import) and opens every page ``--runs`` times,
reporting the medians of:

- first contentful paint (``performance`` paint timing), from the navigation's start;
- "shown": when the page's last data request ended (the latest ``responseEnd`` of its
  fetches once the network is idle), from the navigation's start;
- on the member page of the member with ``--lines`` lines, when the statement is drawn
  (``performance.mark("statement-shown")``); the baseline is the demo member croydon-print's;
- on the auditor page, the time to verify an inclusion proof of a random entry in the browser
  (SHA-256 and the RFC 9162 path by WebCrypto), as the page reports it.

Each figure is printed beside its baseline with the ratio. Goals (shared issue "web pages"):
first paint <= 300 ms, a 1,000-line statement <= 500 ms, a proof verified <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, ViewportSize, sync_playwright

from bench import biglog
from bench.common import machine, submit
from ledger.credits.bodies import AwardBody, ClaimBody
from ledger.encoding import utc_now
from ledger.keys import write_member_key
from ledger.signing import Keypair

PASSPHRASE = "a passphrase long enough"  # noqa: S105 (locks a throwaway backup)
PAGES = (
    "/",
    "/join",
    "/member",
    "/claim",
    "/groups",
    "/reports",
    "/auditor",
    "/convene",
    "/board",
)
ACTIVITY = "bench.task"
TABLE: dict[str, Any] = {
    "version": 1,
    "monthly_cap_per_member": 100_000,
    "rules": [
        {
            "activity": ACTIVITY,
            "label": "A task for the benchmark",
            "credits": 1,
            "evidence": "a note",
            "approver": "counterparty",
            "cap": {},
        }
    ],
    "decision": None,
}
CLAIMANT, CONFIRMER = 0, 1
"""The big log's members whose statement gets the lines, and who confirms them."""

TIMING = """() => {
  const resources = performance.getEntriesByType("resource");
  return {
    paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
    shown: Math.max(0, ...resources.map((r) => r.responseEnd)),
    statement: performance.getEntriesByName("statement-shown")[0]?.startTime ?? null,
  };
}"""


def _key(size: int, j: int) -> Keypair:
    """Big-log member ``j``'s key at the end of the log."""
    return biglog.member_key(j, biglog.generation(j, size))


async def _add_statement_lines(path: Path, size: int, lines: int) -> None:
    """On the copy at ``path``: rule table v1, then ``lines`` claims by member 0, each
    awarded by member 1."""
    from api.runtime import running_ledger

    claimant, confirmer = _key(size, CLAIMANT), _key(size, CONFIRMER)
    with _config(path) as config:
        async with running_ledger(config) as ledger:
            await submit(ledger, biglog.steward(), "credit.rules_adopted", TABLE)
            today = utc_now().date()
            for start in range(0, lines, 100):
                batch = range(start, min(lines, start + 100))
                claims = [
                    ClaimBody(
                        activity=ACTIVITY,
                        quantity=1,
                        evidence_sha256=hashlib.sha256(f"task {i}".encode()).hexdigest(),
                        done_on=today,
                        counterparty=biglog.member_id(CONFIRMER),
                    ).to_json()
                    for i in batch
                ]
                seqs = await asyncio.gather(
                    *(submit(ledger, claimant, "credit.claimed", c) for c in claims)
                )
                member = biglog.member_id(CLAIMANT)
                awards = [
                    AwardBody(member, 1, ACTIVITY, 1, 1, ("claim", seq)).to_json() for seq in seqs
                ]
                await asyncio.gather(
                    *(submit(ledger, confirmer, "credit.awarded", a) for a in awards)
                )


@contextmanager
def _config(path: Path) -> Iterator[Any]:
    """The big log copy's ledger configuration, with a throwaway data folder."""
    from ledger.config import DataDir, LedgerConfig
    from ledger.sql import sqlite_url

    with tempfile.TemporaryDirectory() as folder:
        yield LedgerConfig(
            data=DataDir(Path(folder)),
            origin=biglog.ORIGIN,
            database_url=sqlite_url(path),
            log_signer=biglog.log_signer(),
            window=timedelta(minutes=10),
        )


def _serve(kind: str, where: str, port: int) -> None:
    """The server of the big log copy (``kind`` big) or of a demo data folder (demo)."""
    import uvicorn

    from api.app import create_app
    from api.settings import ApiSettings
    from ledger.config import Settings, load_config

    options = {"host": "127.0.0.1", "port": port, "log_level": "warning", "access_log": False}
    if kind == "demo":
        app = create_app(config=load_config(Settings(data=Path(where))), api_settings=ApiSettings())
        uvicorn.run(app, **options)
        return
    with _config(Path(where)) as config:
        uvicorn.run(create_app(config=config, api_settings=ApiSettings()), **options)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(kind: str, where: Path) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "bench.pages", "--serve", kind, str(where), str(port)]
    process = subprocess.Popen(command)  # noqa: S603 (our own module)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/livez", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"the {kind} server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _sign_in(page: Page, key_file: Path) -> None:
    page.goto("/join")
    page.set_input_files("#import-file", str(key_file))
    page.fill("#import-passphrase", PASSPHRASE)
    page.click("text=Import the key")
    page.locator("#key-status.ok").wait_for(timeout=60_000)


def _timed(page: Page, path: str) -> dict[str, float]:
    page.goto(path, wait_until="networkidle", timeout=120_000)
    timing: dict[str, float] = page.evaluate(TIMING)
    return timing


def _proof_ms(page: Page, entry: int) -> float:
    page.goto(f"/auditor?entry={entry}")
    told = page.locator("#entry-facts div:last-child dd")
    told.filter(has_text="ms").wait_for(timeout=60_000)
    return float(told.inner_text().split()[0])


def _measure(url: str, keys: dict[str, Path], size: int, runs: int) -> dict[str, Any]:
    """Every page's medians on one server, signed in as the steward; the statement page as
    ``keys["member"]``'s member; proofs of random entries below ``size``."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    rng = random.Random(5)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        viewport: ViewportSize = {"width": 1280, "height": 900}
        page = browser.new_context(base_url=url, viewport=viewport).new_page()
        _sign_in(page, keys["steward"])
        figures: dict[str, Any] = {}
        for path in PAGES:
            _timed(page, path)  # once to warm the server's caches and the browser's
            samples = [_timed(page, path) for _ in range(runs)]
            figures[path] = {
                "paint": statistics.median(s["paint"] for s in samples),
                "shown": statistics.median(s["shown"] for s in samples),
            }
        member = browser.new_context(base_url=url, viewport=viewport).new_page()
        _sign_in(member, keys["member"])
        _timed(member, "/member")
        figures["statement"] = statistics.median(
            _timed(member, "/member")["statement"] for _ in range(runs)
        )
        _proof_ms(page, rng.randrange(size))
        figures["proof"] = statistics.median(
            _proof_ms(page, rng.randrange(size)) for _ in range(runs)
        )
        browser.close()
    return figures


def _demo(folder: Path) -> Path:
    from api.demo_script import run_demo
    from ledger.config import Settings

    data = folder / "demo"
    asyncio.run(run_demo(Settings(data=data)))
    return data


def _size(url: str) -> int:
    return int(httpx.get(url + "/checkpoint").text.split("\n")[1])


def _ratio(big: float, small: float) -> str:
    return f"{big / small:.2f}" if small else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    source = biglog.build(args.size)
    print(machine())
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        copy = folder / "big.db"
        shutil.copyfile(source, copy)
        started = time.perf_counter()
        asyncio.run(_add_statement_lines(copy, args.size, args.lines))
        print(f"added {args.lines:,} statement lines in {time.perf_counter() - started:.1f} s")
        big_keys = {"steward": folder / "big-steward.key", "member": folder / "big-member.key"}
        write_member_key(big_keys["steward"], biglog.steward(), member="steward")
        claimant = biglog.member_id(CLAIMANT)
        write_member_key(big_keys["member"], _key(args.size, CLAIMANT), member=claimant)
        demo = _demo(folder)
        demo_keys = {"steward": demo / "steward.key", "member": demo / "members/croydon-print.key"}
        results = {}
        for kind, where, keys in (("demo", demo, demo_keys), ("big", copy, big_keys)):
            with _server(kind, where) as url:
                size = _size(url)
                results[kind] = {"size": size, **_measure(url, keys, size, args.runs)}
    _report(results, args.lines)


def _report(results: dict[str, Any], lines: int) -> None:
    small, big = results["demo"], results["big"]
    print(f"log sizes: demo {small['size']:,} entries, big {big['size']:,} entries")
    print("| page | first paint, demo | big log | ratio | shown, demo | big log | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for path in PAGES:
        s, b = small[path], big[path]
        paint = f"{s['paint']:.0f} ms | {b['paint']:.0f} ms | {_ratio(b['paint'], s['paint'])}"
        shown = f"{s['shown']:.0f} ms | {b['shown']:.0f} ms | {_ratio(b['shown'], s['shown'])}"
        print(f"| `{path}` | {paint} | {shown} |")
    print(
        f"statement drawn: demo member {small['statement']:.0f} ms, "
        f"{lines:,}-line member on the big log {big['statement']:.0f} ms "
        f"(ratio {_ratio(big['statement'], small['statement'])})"
    )
    print(
        f"inclusion proof verified in the browser: demo {small['proof']:.2f} ms, "
        f"big {big['proof']:.2f} ms (ratio {_ratio(big['proof'], small['proof'])})"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
