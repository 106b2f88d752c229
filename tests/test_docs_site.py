"""The docs site builds and draws its Mermaid diagrams without any network access."""

from __future__ import annotations

import functools
import html.parser
import http.server
import inspect
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

import hypergraph_typed

ROOT = Path(__file__).resolve().parent.parent
SITE_DIRS: dict[str, Path] = {}


def site_dir(url: str) -> Path:
    """Where the site served at ``url`` was built."""
    return SITE_DIRS[url]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mkdocs build --strict`` into a temporary folder, served on 127.0.0.1.

    The site bundles mermaid from ``npm ci`` in tests/mermaid_render (``.ci/run`` runs
    it): without it the build refuses, so the tests skip locally and fail under CI=true.
    """
    if not (ROOT / "tests" / "mermaid_render" / "node_modules" / "mermaid" / "dist"
            / "mermaid.min.js").exists():
        missing = "mermaid is not installed: run `npm ci` in tests/mermaid_render"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the docs site cannot be built in CI: {missing}")
        pytest.skip(missing)
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
    url = f"http://127.0.0.1:{server.server_port}"
    SITE_DIRS[url] = out
    try:
        yield url
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


class _Text(html.parser.HTMLParser):
    """The visible text of pages."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        """All text with whitespace removed (markup splits text at arbitrary spaces)."""
        return "".join("".join(self.parts).split())


def _first_paragraph(obj: object) -> str | None:
    """The first paragraph of ``obj``'s own docstring (not a dataclass's generated one)."""
    doc = inspect.getdoc(obj)
    if not doc or (inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(")):
        return None
    return doc.split("\n\n")[0].replace("``", "")


def test_the_api_reference_shows_the_docstrings(site: str) -> None:
    """Every docstring of a public class or function of the package, and of their public
    methods and properties, appears (its first paragraph) in the API reference.

    Which names lack a docstring is measured by interrogate in .ci/run, not here.
    """
    reader = _Text()
    for page in sorted((site_dir(site) / "api").glob("*/index.html")):
        reader.feed(page.read_text(encoding="utf-8"))
    text = reader.text()
    shown = 0
    missing = []
    for name in hypergraph_typed.__all__:
        obj = getattr(hypergraph_typed, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants and type aliases: documented in the page prose
        members = [obj]
        if inspect.isclass(obj):
            members += [
                m for attr, m in vars(obj).items()
                if not attr.startswith("_") and (inspect.isfunction(m) or isinstance(m, property))
            ]
        for member in members:
            paragraph = _first_paragraph(member)
            if paragraph is None:
                continue
            shown += 1
            if "".join(paragraph.split()) not in text:
                missing.append(f"{name}: {paragraph!r}")
    assert missing == [], "\n".join(missing)
    assert shown > 150  # the check saw the package, not an empty list
