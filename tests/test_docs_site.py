"""The docs site builds and draws its Mermaid diagrams without any network access."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mkdocs build --strict`` into a temporary folder, served on 127.0.0.1."""
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log in the test output."""


def test_mermaid_diagrams_render_with_the_network_cut_off(browser: Browser, site: str) -> None:
    page = browser.new_page()
    outside: list[str] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(site):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    try:
        page.goto(site + "/visualisation/")
        diagram = page.locator("div.mermaid")  # the theme swaps the source for a drawing
        diagram.wait_for(timeout=15_000)
        page.wait_for_function(
            "() => document.querySelector('div.mermaid').getBoundingClientRect().height > 150",
            timeout=15_000,
        )
        assert page.locator("pre.mermaid").count() == 0  # no diagram left as source text
        assert outside == []  # mermaid came from the site, not a CDN
    finally:
        page.close()
