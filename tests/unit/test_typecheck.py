"""mypy, as pyproject.toml's [tool.mypy] configures it (the engine, protocol, storage, the network layer and the
contract commands see, commands/context.py), reports no error: `make lint` runs the same check."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None,
    reason="mypy is not installed (the `test` extra pins it: make .venv/.installed)",
)
def test_mypy_finds_no_type_errors():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
