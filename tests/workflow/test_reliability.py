"""What one file, one kill or one cache can do to a run: README "Reliability", case by case,
each on real files and a real workflow run (.test/config/scale.yaml,
tests/workflow/workflow_runs.py). In every case every good image of the run reaches the final
metrics."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

from secam.artifacts import read_table
from secam.integrity import sidecar

from ..conftest import REPO, SAMPLE, jpeg_claiming_size
from .workflow_runs import (
    artifacts,
    assert_same_results,
    command,
    run,
    scale_workdir,
    start,
    wait_for,
)

pytestmark = pytest.mark.slow

CAT = "n02123045"  # tabby cat, chelsea's class in data/sample/LOC_val_solution.csv


def _running_script(process: subprocess.Popen, script: str) -> bool:
    """Whether a job of the run is executing workflow/scripts/<script> (Snakemake runs a copy
    named tmp<random>.<script>)."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return False
    for child in children:
        try:
            if any(arg.endswith(f".{script}") for arg in child.cmdline()):
                return True
        except psutil.Error:
            continue
    return False


def _output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_a_decompression_bomb_and_odd_boxes_among_good_images(tmp_path):
    """A 20000x20000 JPEG is a rejected row naming its size; a one-pixel-wide box is valid; a
    byte-identical copy under a second id is staged with a note; every good image is scored."""
    images = tmp_path / "images"
    shutil.copytree(SAMPLE / "images", images)
    jpeg_claiming_size(images / "bomb.jpg", 20000, 20000)
    shutil.copy(images / "chelsea.png", images / "chelsea_copy.png")
    annotations = pd.read_csv(SAMPLE / "LOC_val_solution.csv")
    chelsea = annotations.set_index("ImageId").loc["chelsea", "PredictionString"]
    annotations = pd.concat(
        [
            annotations[annotations["ImageId"] != "coffee"],
            pd.DataFrame(
                {
                    "ImageId": ["bomb", "chelsea_copy", "coffee"],
                    "PredictionString": [
                        f"{CAT} 10 10 300 300",
                        chelsea,
                        "n07920052 100 50 100 300",
                    ],
                }
            ),
        ]
    )
    annotations.to_csv(tmp_path / "annotations.csv", index=False)
    workdir = scale_workdir(
        tmp_path / "run",
        annotations=str(tmp_path / "annotations.csv"),
        images=str(images),
        sample={"image_ids": ["bomb", "chelsea", "chelsea_copy", "coffee"]},
    )
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    (workdir / "config.yaml").write_text(yaml.safe_dump({**config, "methods": ["secam"]}))
    run(workdir, "--cores", "2", "results/metrics.parquet")  # no report: the metrics suffice

    results = workdir / "results"
    rejected = read_table(results / "rejected.parquet", "rejected").set_index("image_id")
    assert "image has 20000x20000 = 400000000 pixels" in rejected.loc["bomb", "reason"]
    manifest = read_table(results / "manifest.parquet", "manifest").set_index("image_id")
    assert sorted(manifest.index) == ["chelsea", "chelsea_copy", "coffee"]
    assert manifest.loc["coffee", "boxes"].tolist()[0].tolist() == [100, 50, 100, 300]
    assert "byte-identical to image chelsea" in manifest.loc["chelsea_copy", "notes"]
    metrics = read_table(results / "metrics.parquet", "metrics")
    assert sorted(metrics["image_id"].unique()) == ["chelsea", "chelsea_copy", "coffee"]
    assert (metrics["box_iou"] > 0).any()


def _kill_during(workdir: Path, script: str, log: Path) -> int:
    """Start the plain command, kill -9 its whole process group while a job runs ``script``;
    return the killed run's pid."""
    with open(log, "w") as output:
        process = start(workdir, "--cores", "2", output=output)
        try:
            wait_for(lambda: _running_script(process, script), process, f"job running {script}")
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.pid


def test_a_run_killed_during_stage_then_during_activate_resumes_with_the_plain_command(
    scale_run, tmp_path
):
    """kill -9 of the whole run while its stage job runs, again while its activate job runs,
    then README's `snakemake --cores 2` as it is: the workflow profile is found, each dead
    run's lock is replaced, a killed writer's temporary file removed, and the results equal an
    uninterrupted run's."""
    workdir = scale_workdir(tmp_path / "killed")
    results = workdir / "results"
    first = _kill_during(workdir, "stage.py", tmp_path / "first.log")
    assert (results / ".secam.lock").is_file()  # left by the killed run
    assert not (results / "segments").exists()
    second = _kill_during(workdir, "activate.py", tmp_path / "second.log")
    second_output = (tmp_path / "second.log").read_text()
    assert "Using workflow specific profile profiles/default" in second_output
    assert f"removed the stale lock of a run that no longer exists (pid {first}" in second_output
    assert not (results / "metrics.parquet").exists()
    planted = results / ".metrics.parquet.x7k2q9.tmp"  # what a writer killed mid-file leaves
    planted.write_bytes(b"PAR1 partial")

    resumed = _output(run(workdir, "--cores", "2"))
    assert f"removed the stale lock of a run that no longer exists (pid {second}" in resumed
    assert f"removed {planted.relative_to(workdir)}, left by a writer that was killed" in resumed
    assert not list(results.rglob(".*.tmp")) and not (results / ".secam.lock").exists()
    assert_same_results(scale_run, results)


def test_damaged_caches_are_named_set_aside_and_rebuilt(scale_run, tmp_path):
    """A truncated NPZ with its time stamp kept, a metrics shard replaced by a valid Parquet
    holding part of its rows, a map archive with one byte changed (same size): each is named,
    set aside as <name>.damaged, and rebuilt by plain reruns, to the uninterrupted results."""
    workdir = tmp_path / "damaged"
    shutil.copytree(scale_run.parent, workdir)  # results and Snakemake's records, times kept
    results = workdir / "results"
    labels = results / "segments" / "shard00000.npz"
    stat = labels.stat()
    labels.write_bytes(labels.read_bytes()[: stat.st_size // 2])
    os.utime(labels, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    metrics = results / "metrics" / "efficientnet_lite0" / "secam" / "shard00000.parquet"
    pd.read_parquet(metrics).head(2).to_parquet(metrics, index=False)
    maps = results / "activations" / "efficientnet_lite0" / "shard00000.npz"
    flipped = bytearray(maps.read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF
    maps.write_bytes(bytes(flipped))

    # the size check before planning finds the first two; the map archive's size is right, so
    # only the job that reads it finds it, by its SHA-256, and stops naming it
    first = run(workdir, "--cores", "2", expect_success=False)
    output = _output(first)
    assert first.returncode != 0
    for path in (labels, metrics):
        assert f"damaged artifact {path.relative_to(workdir)}: it has" in output
        assert path.with_name(path.name + ".damaged").is_file()
    assert f"damaged artifact {maps.relative_to(workdir)}: its SHA-256 is" in output
    assert maps.with_name(maps.name + ".damaged").is_file() and not sidecar(maps).exists()
    assert "Traceback" not in output  # the job's traceback is in its log only

    run(workdir, "--cores", "2")
    assert_same_results(scale_run, results)


@pytest.mark.parametrize(
    ("dataset", "reason"),
    [
        ({"max_images": 0}, "nothing was selected"),
        (
            {"sample": {"image_ids": ["not_in_the_annotations"]}},
            "1 x requested in dataset.sample.image_ids but not annotated",
        ),
    ],
)
def test_a_run_over_zero_usable_images_stops(dataset, reason, tmp_path):
    workdir = scale_workdir(tmp_path / "empty", **dataset)
    result = run(workdir, "--cores", "2", expect_success=False)
    assert result.returncode != 0
    assert "no usable image" in _output(result) and reason in _output(result)
    assert "Traceback" not in _output(result)  # the message on the terminal, not the stack
    assert not (workdir / "results" / "metrics.parquet").exists()


def test_models_and_dataset_files_are_checked_before_staging(tmp_path):
    workdir = scale_workdir(tmp_path / "inputs", synsets=str(tmp_path / "no_such_synsets.txt"))
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["models"] = ["efficientnet_lite0", "resnet_fifty"]
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run(workdir, "--cores", "2", expect_success=False)
    output = _output(result)
    assert result.returncode != 0
    assert (
        f"config key 'dataset.synsets': {tmp_path / 'no_such_synsets.txt'} does not exist" in output
    )
    assert "config key 'models[1]': unknown model 'resnet_fifty'" in output
    assert not (workdir / "results" / "manifest.parquet").exists()


def test_a_second_run_on_one_results_folder_is_refused_from_another_clone(tmp_path):
    """Two checkouts, one results folder: the second run is refused with the first run's host,
    pid and start time, whatever the working directory; the first completes."""
    clones = []
    for name in ("clone_a", "clone_b"):
        clone = tmp_path / name
        for part in ("workflow", "profiles", "config"):
            shutil.copytree(REPO / part, clone / part)
        for part in ("Snakefile", "environment.yml", "environment.post-deploy.sh"):
            shutil.copy(REPO / part, clone)
        clones.append(clone)
    shared = tmp_path / "shared_results"
    for clone in clones:
        scale_workdir(clone)
        config = yaml.safe_load((clone / "config.yaml").read_text())
        (clone / "config.yaml").write_text(yaml.safe_dump({**config, "results": str(shared)}))

    manifest = shared / "manifest.parquet"
    first = start(clones[0], "--cores", "2", str(manifest), snakefile=clones[0] / "Snakefile")
    try:
        wait_for((shared / ".secam.lock").is_file, first, "lock")
        os.killpg(first.pid, signal.SIGSTOP)  # hold it there, lock taken, while the second tries
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--snakefile",
                str(clones[1] / "Snakefile"),
                *command(clones[1], "--cores", "2"),
            ],
            capture_output=True,
            text=True,
            cwd=clones[1],
            check=False,
        )
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    output = _output(second)
    assert second.returncode != 0
    assert f"results folder {shared} is in use by another run: pid {first.pid} on host" in output
    assert str(clones[0]) in output  # the first run's working directory
    assert first.wait(timeout=600) == 0
    assert read_table(manifest, "manifest")["image_id"].tolist() == ["chelsea"]
    assert not (shared / ".secam.lock").exists()
    assert artifacts(shared) == [Path("manifest.parquet"), Path("rejected.parquet")]
