"""Helpers for tests that run the workflow on .test/config/scale.yaml (one embedded image, a
shard larger than the image count, seeded LIME) in a folder of their own."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..conftest import REPO, run_snakemake

SCALE_CONFIG = REPO / ".test" / "config" / "scale.yaml"
SLURM_PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
# what the test cluster (.test/cluster/slurm.sh) puts in the SLURM profile's placeholders
SLURM_PLACEHOLDERS = {
    "<account>": "secam",
    "<cpu partition>": "cpu",
    "<gpu partition>": "gpu",
    "<cores of a GPU node>": "2",
    "<memory of a GPU node, MB>": "16000",
}
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


def user_model_workdir(root: Path, name: str, factory: str, **settings: object) -> Path:
    """A run folder whose one model is a researcher's own (``tests/user_models.py``, named as
    ``package.module:factory`` with a class-names file), on the embedded image chelsea; the
    config keys of ``settings`` (methods, selection, stages) added as given."""
    from ..user_models import CLASS_NAMES

    root.mkdir(parents=True, exist_ok=True)
    names = root / "classes.txt"
    names.write_text("\n".join(CLASS_NAMES) + "\n")
    config = {
        "results": "results",
        "dataset": {
            "annotations": str(REPO / "data/sample/LOC_val_solution.csv"),
            "images": str(REPO / "data/sample/images"),
            "sample": {"image_ids": ["chelsea"]},
        },
        "models": [name],
        "model_options": {name: {"factory": factory, "classes": str(names)}},
        "device": "cpu",
        "timing": {"warmup": 0},
        "report": {"example_images": 1},
        **settings,
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def command(workdir: Path, *args: str) -> list[str]:
    return ["--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *args]


def start(
    workdir: Path, *args: str, snakefile: Path = REPO / "Snakefile", output=subprocess.DEVNULL
) -> subprocess.Popen:
    """A workflow run in the background, in a process group of its own (a kill reaches every
    job it started)."""
    snakemake = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile)]
    return subprocess.Popen(
        [*snakemake, *command(workdir, *args)],
        cwd=REPO,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(
    condition, process: subprocess.Popen, what: str, timeout: float = 600, every: float = 0.05
) -> None:
    """Poll ``condition`` every ``every`` seconds until it holds; fail if the run ends first or
    ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(every)


def run(workdir: Path, *args: str, expect_success: bool = True) -> subprocess.CompletedProcess:
    result = run_snakemake(*command(workdir, *args))
    if expect_success:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def artifacts(results: Path) -> list[Path]:
    """Every result file; logs, benchmark tables, figures, hidden files (checksums, the lock,
    temporary files of killed writers) and damaged files set aside excluded."""
    return sorted(
        path.relative_to(results)
        for path in results.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and path.suffix != ".damaged"
        and path.relative_to(results).parts[0] not in {"logs", "benchmarks", "figures"}
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


def filled_profile(folder: Path, set_resources: dict | None = None) -> Path:
    """profiles/slurm with the test cluster's values in its placeholders, and the resources of
    ``set_resources`` added to its own (as docs/cluster.md says to)."""
    shipped = SLURM_PROFILE.read_text()
    text = shipped
    for placeholder, value in SLURM_PLACEHOLDERS.items():
        assert placeholder in text, placeholder
        text = text.replace(placeholder, value)
    assert "<" not in re.sub(r"#.*", "", text), "a placeholder the tests do not fill"
    profile = yaml.safe_load(text)
    assert profile.keys() == yaml.safe_load(shipped).keys()
    for rule, resources in (set_resources or {}).items():
        # a copy: the profile's rules share one mapping through a YAML anchor
        profile["set-resources"][rule] = {**profile["set-resources"].get(rule, {}), **resources}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


@dataclass
class PlannedJob:
    """One job as a Snakemake run or dry run prints it."""

    rule: str
    group: str | None  # the group job it runs in (None: a SLURM job of its own, or local)
    local: bool = False
    resources: dict[str, str] = field(default_factory=dict)


def planned_jobs(output: str) -> list[PlannedJob]:
    """Every job a Snakemake run printed, with its group and resources; a group job's members
    are printed indented under "Group job <name>"."""
    jobs: list[PlannedJob] = []
    group = None
    for line in output.splitlines():
        if header := re.search(r"Group job (\w+) \(jobs in", line):
            group = header[1]
        elif job := re.match(r"(\s*)(localrule|rule|checkpoint) (\w+):$", line):
            indented, kind, rule = job.groups()
            jobs.append(PlannedJob(rule, group if indented else None, kind == "localrule"))
        elif (resources := re.match(r"\s+resources: (.*)$", line)) and jobs:
            jobs[-1].resources = dict(
                part.split("=", 1) for part in resources[1].split(", ") if "=" in part
            )
    return jobs
