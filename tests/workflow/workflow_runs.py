"""Helpers for tests that run the workflow on .test/config/scale.yaml (one embedded image, a
shard larger than the image count, seeded LIME) in a folder of their own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..conftest import REPO, run_snakemake

SCALE_CONFIG = REPO / ".test" / "config" / "scale.yaml"
# Tables (under tables/) whose values are times; every other table must be identical.
TIMING_TABLES = {"timing.csv", "table1.csv", "claims.csv"}


def scale_workdir(root: Path, **dataset: object) -> Path:
    """A run folder with the scale configuration (dataset paths made absolute)."""
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(SCALE_CONFIG.read_text())
    for key in ("annotations", "images"):
        config["dataset"][key] = str(REPO / config["dataset"][key])
    config["dataset"].update(dataset)
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def command(workdir: Path, *args: str) -> list[str]:
    return ["--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *args]


def run(workdir: Path, *args: str, expect_success: bool = True) -> subprocess.CompletedProcess:
    result = run_snakemake(*command(workdir, *args))
    if expect_success:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def artifacts(results: Path) -> list[Path]:
    """Every result file; logs, figures, hidden files (checksums, the lock, temporary files of
    killed writers) and damaged files set aside excluded."""
    return sorted(
        path.relative_to(results)
        for path in results.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and path.suffix != ".damaged"
        and path.relative_to(results).parts[0] not in {"logs", "figures"}
    )


def _without_times(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if "seconds" in c or "time" in c])


def assert_same_results(reference: Path, other: Path) -> None:
    """Identical region scores, masks, maps, labels and metrics: every NPZ array bit for bit,
    every table equal once its timing columns are dropped."""
    assert artifacts(other) == artifacts(reference)
    for relative in artifacts(reference):
        a, b = reference / relative, other / relative
        if relative.suffix == ".npz":
            with np.load(a) as left, np.load(b) as right:
                assert left.files == right.files, relative
                for key in left.files:
                    np.testing.assert_array_equal(
                        left[key], right[key], err_msg=f"{relative}:{key}"
                    )
        elif relative.suffix == ".parquet":
            pd.testing.assert_frame_equal(
                _without_times(pd.read_parquet(a)),
                _without_times(pd.read_parquet(b)),
                obj=str(relative),
            )
        elif relative.suffix == ".csv" and relative.name not in TIMING_TABLES:
            pd.testing.assert_frame_equal(
                _without_times(pd.read_csv(a)), _without_times(pd.read_csv(b)), obj=str(relative)
            )
