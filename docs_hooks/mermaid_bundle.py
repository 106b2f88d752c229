"""MkDocs hook: serve Mermaid from the site itself, so diagrams render offline.

mkdocs-material draws ```mermaid blocks with a ``mermaid`` script it would otherwise
fetch from a CDN. This hook adds mermaid's own bundle, from the npm package pinned in
tests/mermaid_render (the version the render test checks diagrams with), to the site
as ``javascripts/mermaid.min.js`` and loads it on every page; the theme then uses it.
Install it with ``npm ci`` in tests/mermaid_render (``.ci/run`` does).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.mermaid_bundle")

BUNDLE = (
    Path(__file__).resolve().parent.parent
    / "tests" / "mermaid_render" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
)
SITE_PATH = "javascripts/mermaid.min.js"


def on_config(config: Any) -> Any:
    """Load the bundled script on every page, before the theme looks for ``mermaid``."""
    config.extra_javascript.insert(0, SITE_PATH)
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add mermaid's bundle to the site's files (a warning, so --strict fails, if absent)."""
    if not BUNDLE.is_file():
        log.warning(
            "mermaid is not installed, so diagrams would need a CDN: run `npm ci` in "
            "tests/mermaid_render"
        )
        return files
    files.append(File.generated(config, SITE_PATH, abs_src_path=str(BUNDLE)))
    return files
