import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secam.config import ConfigError, config_hash, load_config, validate_config

from .conftest import REPO


@pytest.fixture()
def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_shipped_configs_are_valid():
    for path in [REPO / "config" / "config.yaml", REPO / ".test" / "config" / "config.yaml"]:
        config = load_config(path)
        assert config["segmentation"]["n_segments"] == 50
        assert config["segmentation"]["compactness"] == 10


def test_defaults_are_filled_in():
    config = load_config(REPO / ".test" / "config" / "config.yaml")
    assert config["dataset"]["max_images"] is None
    assert config["dataset"]["max_pixels"] > 0
    assert config["lime"]["kernel_width"] == 0.25
    assert config["target"] == "predicted"
    assert config["stages"] == {"faithfulness": True, "baselines": True, "paper_figures": True}


def test_a_run_without_lime_needs_no_lime_or_segmentation_section(default_config):
    for section in ("lime", "segmentation"):
        default_config.pop(section)
    config = validate_config(default_config)
    assert config["lime"]["num_samples"] == 1000 and config["lime"]["seed"] == 0
    assert config["segmentation"]["algorithm"] == "slic"
    assert config["segmentation"]["n_segments"] == 50


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda c: c.update(methods=["secam", "gradcam++"]), "methods[1]"),
        (lambda c: c["selection"].update(top_k=[-2, 3]), "selection.top_k[0]"),
        (lambda c: c["selection"].update(thresholds=[1.5]), "selection.thresholds[0]"),
        (lambda c: c["lime"].update(num_samples=0), "lime.num_samples"),
        (lambda c: c.pop("selection"), "selection"),
        (lambda c: c.update(stages={"faithfulness": "no"}), "stages.faithfulness"),
        (lambda c: c["segmentation"].update(n_segment=50), "segmentation"),
        (lambda c: c.update(models=[]), "models"),
        (lambda c: c["segmentation"].update(compare=["slic"]), "segmentation.compare[0]"),
        (
            lambda c: c["segmentation"].update(compare=["felzenszwalb"], compare_methods=["cam"]),
            "segmentation.compare_methods[0]",
        ),
        (
            lambda c: c["segmentation"].update(
                compare=["quickshift"], compare_methods=["secam_layercam"]
            ),
            "segmentation.compare_methods[0]",
        ),
        (
            lambda c: c["segmentation"].update(felzenszwalb={"scale": -1}),
            "segmentation.felzenszwalb",
        ),
    ],
)
def test_bad_config_names_the_key(default_config, change, key):
    config = copy.deepcopy(default_config)
    change(config)
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert f"'{key}" in str(error.value)


def test_unknown_key_is_named(default_config):
    default_config["segmentation"]["n_segment"] = 50
    with pytest.raises(ConfigError, match="n_segment"):
        validate_config(default_config)


def test_config_hash_is_stable_and_sensitive(default_config):
    other = copy.deepcopy(default_config)
    assert config_hash(default_config) == config_hash(other)
    other["lime"]["seed"] = 1
    assert config_hash(default_config) != config_hash(other)


def test_snakemake_stops_on_bad_config_with_the_key(tmp_path: Path, default_config):
    default_config["selection"]["top_k"] = [0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(default_config))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "--configfile",
            str(bad),
            "--directory",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode != 0
    assert "selection.top_k[0]" in result.stdout + result.stderr
