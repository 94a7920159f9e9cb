"""What a result records about what produced it: versions, platform, configuration and hash."""

import json
import platform
import sys
from importlib import metadata

import numpy as np
import torch

import secam
from secam import provenance as provenance_module
from secam.config import config_hash, load_config
from secam.provenance import PACKAGES, package_versions, provenance

from .conftest import REPO


def test_package_versions_are_the_installed_ones():
    versions = package_versions()
    assert list(versions) == list(PACKAGES)
    assert versions["numpy"] == np.__version__ == metadata.version("numpy")
    assert versions["torch"] == metadata.version("torch")
    assert torch.__version__.startswith(versions["torch"])


def test_a_missing_package_reads_not_installed(monkeypatch):
    monkeypatch.setattr(provenance_module, "PACKAGES", ("numpy", "no-such-package-secam-test"))
    assert package_versions() == {
        "numpy": np.__version__,
        "no-such-package-secam-test": "not installed",
    }


def test_without_a_configuration_only_the_environment_is_recorded():
    info = provenance()
    assert set(info) == {"secam", "python", "platform", "packages", "torch_threads", "cuda"}
    assert info["secam"] == secam.__version__
    assert info["python"] == platform.python_version() == sys.version.split()[0]
    assert info["platform"] == platform.platform()
    assert info["packages"] == package_versions()
    assert info["torch_threads"] == torch.get_num_threads() >= 1
    if not torch.cuda.is_available():
        assert info["cuda"] is None


def test_the_configuration_and_its_hash_are_recorded():
    config = load_config(REPO / "config" / "config.yaml")
    info = provenance(config)
    assert info["config"] == config
    assert info["config_hash"] == config_hash(config)
    assert len(info["config_hash"]) == 16 and int(info["config_hash"], 16) >= 0
    json.dumps(info)  # the report stage writes it as JSON


def test_the_same_configuration_gives_the_same_record():
    config = load_config(REPO / "config" / "config.yaml")
    again = load_config(REPO / "config" / "config.yaml")
    reordered = dict(reversed(list(again.items())))  # key order does not matter
    first, second = provenance(config), provenance(reordered)
    assert first == second
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_a_different_configuration_has_a_different_hash():
    config = load_config(REPO / "config" / "config.yaml")
    changed = json.loads(json.dumps(config))
    changed["seed"] = config.get("seed", 0) + 1
    assert provenance(changed)["config_hash"] != provenance(config)["config_hash"]
    assert provenance({})["config_hash"] != provenance({"seed": 0})["config_hash"]
    assert "config" in provenance({})  # an empty configuration is still recorded
