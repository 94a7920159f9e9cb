"""Before a run plans any job: inputs checked, the results folder locked and made sound."""

import json
import subprocess
import sys
from dataclasses import asdict, replace

import pandas as pd
import pytest

from secam.artifacts import write_table
from secam.config import ConfigError, load_config
from secam.integrity import DAMAGED_SUFFIX
from secam.locking import LOCK_NAME, LockHolder, ResultsLock, ResultsLockedError
from secam.pipeline.results_folder import prepare_results_folder

from ..conftest import REPO


def _config(tmp_path, monkeypatch) -> dict:
    monkeypatch.chdir(REPO)  # the shipped config's dataset paths are relative to the repository
    config = load_config(REPO / "config" / "config.yaml")
    config["results"] = str(tmp_path / "results")
    return config


def _damaged_folder(results):
    """A results folder as killed writers and a damaged disk leave it."""
    table = results / "segments" / "shard00000.parquet"
    rows = pd.DataFrame(
        {"image_id": ["a"], "algorithm": ["slic"], "n_regions": [3], "seconds": [0.1]}
    )
    write_table(rows, table, "segments")
    table.write_bytes(table.read_bytes()[:-10])  # truncated: its recorded size is wrong
    temporary = results / "segments" / ".shard00001.parquet.x1y2.tmp"
    temporary.write_bytes(b"half a file")
    return table, temporary


def test_a_run_locks_the_folder_removes_what_killed_writers_left_and_sets_damage_aside(
    tmp_path, monkeypatch
):
    config = _config(tmp_path, monkeypatch)
    results = tmp_path / "results"
    table, temporary = _damaged_folder(results)
    notes: list[str] = []

    # a dry run reports and changes nothing
    assert prepare_results_folder(config, results, dry_run=True, note=notes.append) is None
    size = table.stat().st_size
    problem = f"it has {size} bytes, {size + 10} when it was written"
    assert notes == [f"{table} is damaged ({problem}); a run rebuilds it"]
    assert table.is_file() and temporary.is_file() and not (results / LOCK_NAME).exists()

    notes.clear()
    lock = prepare_results_folder(config, results, dry_run=False, note=notes.append)
    assert isinstance(lock, ResultsLock) and lock.holder().is_this_process()
    assert not temporary.exists() and not table.exists()
    assert table.with_name(table.name + DAMAGED_SUFFIX).is_file()
    assert notes[0] == f"removed {temporary}, left by a writer that was killed"
    assert notes[1] == (
        f"damaged artifact {table}: {problem}; moved to {table.name}{DAMAGED_SUFFIX}, "
        "the job that writes it runs again"
    )
    lock.release()


def test_a_folder_another_live_run_holds_is_refused_and_missing_inputs_are_named(
    tmp_path, monkeypatch
):
    config = _config(tmp_path, monkeypatch)
    results = tmp_path / "results"
    results.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder = replace(LockHolder.this_process(), pid=other.pid, process_start=None)
        (results / LOCK_NAME).write_text(json.dumps(asdict(holder)) + "\n")
        notes: list[str] = []
        prepare_results_folder(config, results, dry_run=True, note=notes.append)
        assert notes == [f"{results} is in use by another run ({holder.describe()})"]
        with pytest.raises(ResultsLockedError):
            prepare_results_folder(config, results, dry_run=False, note=notes.append)
    finally:
        other.kill()
        other.wait()
    config["dataset"]["annotations"] = str(tmp_path / "no_such.csv")
    with pytest.raises(ConfigError, match=r"config key 'dataset\.annotations'"):
        prepare_results_folder(config, tmp_path / "elsewhere", dry_run=False, note=print)
    assert not (tmp_path / "elsewhere").exists()  # nothing locked or created before the check
