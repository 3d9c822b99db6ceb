"""The type checker is part of the test command: mypy, as pyproject.toml configures it, over aizoomdoc_core.

Declared interfaces (Protocols, typed records) only hold if something checks them; run here, a change
that breaks one fails the suite with mypy's own report.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_mypy_passes_on_the_core() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"mypy found errors:\n{result.stdout}{result.stderr}", pytrace=False)
