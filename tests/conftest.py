"""Shared fixtures: run a graph on either runner through one synchronous helper; a browser."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from browser import browser  # noqa: F401  (the headless Chromium fixture for page tests)
from harness import RunnerHarness


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
