"""Browser tests: the system's Chromium, driven by Playwright, against the app served on a real port.

- ``chromium`` (per test module): headless Chromium from Debian (``make install`` puts it at
  /usr/bin/chromium; ``CARTAX_CHROMIUM`` points elsewhere). Playwright never downloads a browser itself.
- ``serve(app)``: serves a FastAPI app with uvicorn on a free loopback port in a thread and gives its
  base URL; the server stops when the test ends.
- ``page``: a fresh browser context and page (Korean locale, no storage shared between tests).
- ``axe_violations(page)``: runs axe-core (npm ``axe-core``, installed by ``make install``) on the page
  and answers the serious and critical violations, each as "rule: help (selectors)".
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CARTAX_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = frozenset({"serious", "critical"})
START_PATIENCE_SECONDS = 30


# Per module, not per session: Playwright's synchronous driver runs an event loop in this thread while it
# is open, and the other suites' tests that call asyncio.run() on the same worker must not meet it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}: run 'make install' (it installs Debian's chromium)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[Callable[[FastAPI], str]]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> str:
        port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + START_PATIENCE_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the app did not start on port {port}")
            time.sleep(0.02)
        servers.append((server, thread))
        # "localhost" is a secure context for Chromium, so the __Host- cookies (Secure) are kept.
        return f"http://localhost:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(START_PATIENCE_SECONDS)


def axe_violations(page: Page, impacts: frozenset[str] = SERIOUS) -> list[str]:
    """axe-core's violations on the page as it is now, of the given impacts (serious and critical)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the debugging protocol, so the page's strict CSP stays on as it is served.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']}: {violation['help']} "
        f"({', '.join(str(node['target']) for node in violation['nodes'][:5])})"
        for violation in results["violations"]
        if violation.get("impact") in impacts
    ]
