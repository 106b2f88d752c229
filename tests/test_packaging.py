"""Packaging conventions: the version, ``python -m``, and the licence in both archives."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import hypergraph_typed

ROOT = Path(__file__).resolve().parent.parent


def test_version_is_the_installed_distributions() -> None:
    assert hypergraph_typed.__version__ == importlib.metadata.version("hypergraph-typed")


def test_python_dash_m_runs_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "hypergraph_typed", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: hypergraph-typed")


def test_wheel_and_sdist_carry_the_license(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    version = hypergraph_typed.__version__
    wheel = tmp_path / f"hypergraph_typed-{version}-py3-none-any.whl"
    sdist = tmp_path / f"hypergraph_typed-{version}.tar.gz"
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert f"hypergraph_typed-{version}.dist-info/licenses/LICENSE" in names
        assert "hypergraph_typed/__main__.py" in names
        metadata = zf.read(f"hypergraph_typed-{version}.dist-info/METADATA").decode()
    assert "License :: OSI Approved :: MIT License" in metadata
    assert "Provides-Extra: otel" in metadata
    with tarfile.open(sdist) as tf:
        member = tf.extractfile(f"hypergraph_typed-{version}/LICENSE")
        assert member is not None and member.read().decode() == license_text
        assert f"hypergraph_typed-{version}/CHANGELOG.md" in tf.getnames()
