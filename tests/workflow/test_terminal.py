"""A terminal a person can follow: the long steps report their progress on the terminal
Snakemake runs in (and keep it in their logs), and nested ``--config`` values work."""

import re

import pytest
import yaml

from .workflow_runs import run, scale_workdir

pytestmark = pytest.mark.slow

# what the scale run printed on its terminal (stderr), kept by the ``scale_run`` fixture
TERMINAL = "terminal.txt"
PROGRESS = re.compile(r"explain_lime efficientnet_lite0 lime shard00000: 1/1 images, ")


def test_lime_reports_its_progress_on_the_terminal_in_whole_lines(scale_run):
    terminal = (scale_run.parent / TERMINAL).read_text()
    lines = [line for line in terminal.splitlines() if PROGRESS.match(line)]
    assert len(lines) == 1, terminal[-3000:]  # one image: its line is also the last one
    per_image = re.fullmatch(r".*, ([\d.]+) s/image, done in \d+ (s|min)", lines[0])
    assert per_image and float(per_image.group(1)) > 0, lines[0]
    assert "\r" not in terminal  # no carriage-return bar: parallel jobs' lines interleave
    log = scale_run / "logs" / "explain" / "efficientnet_lite0" / "lime" / "shard00000.log"
    assert lines[0] in log.read_text().splitlines()  # the log keeps it too


def test_a_nested_config_value_is_typed_and_merged_over_the_configfile(tmp_path):
    workdir = scale_workdir(tmp_path)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["segmentation"].update(compare=["quickshift"], compare_methods=["secam"])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run(workdir, "-n", "--config", "segmentation={n_segments: 30, compactness: 2.5}")
    # the configfile's other segmentation keys stay: the comparison is still planned
    assert re.search(r"^segmentation_comparison\s+1$", result.stdout, re.MULTILINE), result.stdout
    bad = run(workdir, "-n", "--config", "segmentation={n_segments: 0}", expect_success=False)
    assert bad.returncode != 0
    assert (
        "config key 'segmentation.n_segments': 0 is less than the minimum of 1"
        in bad.stdout + bad.stderr
    )
