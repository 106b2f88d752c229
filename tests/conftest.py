"""Shared fixtures: run a graph on either runner through one synchronous helper; a browser."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from browser import browser  # noqa: F401  (the headless Chromium fixture for page tests)
from harness import RunnerHarness
from process_fixtures import gates, process_store  # noqa: F401  (worker-process tests)


@pytest.fixture(params=["sync", "async"])
def runner(request: pytest.FixtureRequest) -> RunnerHarness:
    """Parametrizes a test over both runners."""
    return RunnerHarness(request.param)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over the two runner kinds, by name."""
    return str(request.param)


@pytest.fixture
def run_async() -> Callable[..., Any]:
    return asyncio.run


@pytest.fixture(autouse=True, scope="session")
def private_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DiskCache's per-user key is made in a temporary config home, never the real one."""
    home = tmp_path_factory.mktemp("config-home")
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            del os.environ["XDG_CONFIG_HOME"]
        else:
            os.environ["XDG_CONFIG_HOME"] = old


# Property tests run a fixed number of examples, derandomized under CI so a run is
# repeatable; no example database is written into the repository.
settings.register_profile("ci", max_examples=300, derandomize=True, deadline=None,
                          database=None, print_blob=True)
settings.register_profile("dev", max_examples=300, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))
