"""Settings for the mypy plugin cases (``test_*.yml``, run by pytest-mypy-plugins).

The cases run mypy in a subprocess with ``mypy.ini`` next to this file (strict mode
plus the plugin). pytest-mypy-plugins looks the ``mypy`` command up on ``PATH``, so
the interpreter's own scripts directory goes first: the cases then type-check with the
mypy (and the plugin) of the environment running the tests, activated or not.

The cases work in a directory of this test session's own: pytest-mypy-plugins would
otherwise share one mypy cache in the system temp directory between every checkout on
the machine, and a cache written from other sources makes mypy fail.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not getattr(option, "mypy_ini_file", None) and not getattr(
        option, "mypy_pyproject_toml_file", None
    ):
        option.mypy_ini_file = str(HERE / "mypy.ini")
    if getattr(option, "mypy_testing_base", None) == tempfile.gettempdir():
        option.mypy_testing_base = tempfile.mkdtemp(prefix="hypergraph-typed-mypy-")
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + path if path else scripts
