"""Fixtures of the end-to-end workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .workflow_runs import run, scale_workdir


@pytest.fixture(scope="session")
def scale_run(tmp_path_factory) -> Path:
    """The results folder of one uninterrupted run of .test/config/scale.yaml: the reference
    that cluster-mode, killed-and-resumed and repaired runs must reproduce. What the run printed
    on the terminal is kept beside it in ``terminal.txt`` (tests/workflow/test_terminal.py)."""
    workdir = scale_workdir(tmp_path_factory.mktemp("scale"))
    result = run(workdir, "--cores", "2")
    (workdir / "terminal.txt").write_text(result.stderr)
    return workdir / "results"
