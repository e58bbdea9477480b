"""Page routes: each page is a file in ``pages/`` set in ``layout.html``; assets under ``/static``.

A page file starts with its title on the first line (``<!-- title: ... -->``) and may name its
script module (``<!-- script: auditor.js -->``); the rest is the page's ``<main>``. Pages are
read once per process and answered from memory; assets are served with a validator
(ETag) and a short cache, so a new release is picked up by the next visit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent
PAGES = HERE / "pages"
STATIC = HERE / "static"
HEADER = re.compile(r"<!--\s*(title|script):\s*(.*?)\s*-->\n")

NAV = (
    ("/", "Home"),
    ("/member", "My credits"),
    ("/groups", "Working groups"),
    ("/reports", "Reports"),
    ("/auditor", "Auditor"),
    ("/convene", "Convening"),
    ("/board", "Board"),
)
"""The site's navigation, in order: (path, label)."""

CURRENT = ' aria-current="page"'

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
"""Every page: scripts only from this server (no inline script), no framing."""


@dataclass(frozen=True)
class Page:
    """One page file: its title, its script module (if any) and its ``<main>`` content."""

    title: str
    script: str | None
    main: str


def read_page(name: str) -> Page:
    """The page file ``pages/<name>.html``, split into its header lines and its content."""
    text = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    while match := HEADER.match(text):
        fields[match.group(1)] = match.group(2)
        text = text[match.end() :]
    if "title" not in fields:
        raise ValueError(f"page {name!r} has no title line")
    return Page(fields["title"], fields.get("script"), text)


def current_section(path: str) -> str:
    """The menu entry a page path belongs to: its own, or the entry it sits under
    (``/groups/{group}`` under ``/groups``, ``/proposals/{seq}`` under ``/groups``)."""
    if path.startswith("/proposals"):
        return "/groups"
    return next((href for href, _ in NAV if href != "/" and path.startswith(href)), path)


@cache
def render(name: str, path: str) -> str:
    """The whole HTML document of page ``name`` routed at ``path`` (its menu entry is current)."""
    page = read_page(name)
    section = current_section(path)
    links = "\n".join(
        f'      <li><a href="{href}"{CURRENT if href == section else ""}>{label}</a></li>'
        for href, label in NAV
    )
    script = (
        f'  <script type="module" src="/static/js/{page.script}"></script>\n' if page.script else ""
    )
    layout = Template((PAGES / "layout.html").read_text(encoding="utf-8"))
    return layout.substitute(title=page.title, nav=links, main=page.main, script=script)


ROUTES = {
    "/": "home",
    "/auditor": "auditor",
    "/groups": "groups",
    "/groups/{group}": "group",
    "/proposals/{seq}": "proposal",
    "/join": "join",
    "/member": "member",
    "/claim": "claim",
    "/reports": "reports",
    "/convene": "convene",
    "/board": "board",
}
"""Each page's path (a FastAPI path; the page's script reads its parameters from the address)
and its file in ``pages/``."""


def install_pages(app: FastAPI) -> None:
    """Route every page and the static assets on ``app`` (not in the OpenAPI document)."""
    router = APIRouter(include_in_schema=False)
    for path, name in ROUTES.items():
        router.add_api_route(path, _page_endpoint(name, path), methods=["GET"])
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _page_endpoint(name: str, path: str) -> Callable[[], Awaitable[HTMLResponse]]:
    async def endpoint() -> HTMLResponse:  # path parameters are read by the page's script
        return HTMLResponse(render(name, path), headers=SECURITY_HEADERS)

    endpoint.__name__ = f"page_{name}"
    return endpoint
