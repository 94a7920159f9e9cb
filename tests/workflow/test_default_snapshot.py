"""The default run's snapshot (docs/results/default/, whose summary is the README's table) holds
every row a fresh default run makes, with the same numbers; only the times may differ."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ..conftest import REPO
from .workflow_runs import run

SNAPSHOT = REPO / "docs" / "results" / "default"
# .ci/run sets it: the tables of the README's first command, which CI has just run
# (.ci/readme_commands.py); without it the test makes its own default run.
FRESH_TABLES = "SECAM_DEFAULT_RUN_TABLES"
KEYS = ["model", "method", "selection"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh_tables(tmp_path_factory) -> Path:
    if os.environ.get(FRESH_TABLES):
        return Path(os.environ[FRESH_TABLES])
    workdir = tmp_path_factory.mktemp("default")
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for key in ("annotations", "images"):
        config["dataset"][key] = str(REPO / config["dataset"][key])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    run(workdir, "--cores", "2")
    return workdir / "results" / "tables"


@pytest.mark.parametrize("table", ["summary.csv", "quantitative.csv"])
def test_the_snapshot_is_every_row_of_a_fresh_default_run(fresh_tables, table):
    snapshot, fresh = pd.read_csv(SNAPSHOT / table), pd.read_csv(fresh_tables / table)
    assert list(snapshot.columns) == list(fresh.columns)
    times = [column for column in snapshot.columns if "seconds" in column]

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=times).sort_values(KEYS).reset_index(drop=True)

    assert len(snapshot) == len(fresh), f"the snapshot has {len(snapshot)} rows, a run {len(fresh)}"
    pd.testing.assert_frame_equal(rows(snapshot), rows(fresh), check_exact=False, rtol=1e-5)
