"""What a run checks before it stages anything."""

import pytest

from secam.config import ConfigError, load_config
from secam.pipeline.preflight import check_run_inputs

from ..conftest import REPO


def test_run_inputs_are_checked_with_their_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # relative dataset paths are read from the working directory
    config = load_config(REPO / "config" / "config.yaml")
    check_run_inputs(config)  # the shipped default: files present, embedded model
    config["dataset"]["annotations"] = "data/sample/no_such.csv"
    config["dataset"]["synsets"] = str(tmp_path / "LOC_synset_mapping.txt")
    config["models"] = ["efficientnet_lite0", "resnet_fifty", "resnet18"]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty weights cache
    with pytest.raises(ConfigError) as raised:
        check_run_inputs(config)
    lines = str(raised.value).splitlines()
    assert lines[0] == "cannot start the run:"
    assert lines[1] == (
        "  - config key 'dataset.annotations': data/sample/no_such.csv does not exist "
        f"(looked for {REPO / 'data/sample/no_such.csv'})"
    )
    assert lines[2].startswith(f"  - config key 'dataset.synsets': {tmp_path}")
    assert lines[3].startswith("  - config key 'models[1]': unknown model 'resnet_fifty'")
    assert "config key 'models[2]': weights ResNet18_Weights.IMAGENET1K_V1" in lines[4]
    assert "are not cached" in str(raised.value)
    # a dry run plans before the weights are placed: names only
    with pytest.raises(ConfigError) as names_only:
        check_run_inputs(config, weights=False)
    assert "models[2]" not in str(names_only.value) and "models[1]" in str(names_only.value)


def test_a_factory_models_files_are_checked_without_importing_it(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "config" / "config.yaml")
    config["models"] = ["mine"]
    config["model_options"] = {
        "mine": {
            "factory": "not_imported_here.nets:build",  # the jobs import it, and say what fails
            "weights": str(tmp_path / "mine.pt"),
            "classes": str(tmp_path / "classes.txt"),
        }
    }
    with pytest.raises(ConfigError) as raised:
        check_run_inputs(config)
    assert "config key 'model_options.mine.weights'" in str(raised.value)
    assert "config key 'model_options.mine.classes'" in str(raised.value)
    (tmp_path / "mine.pt").write_bytes(b"")
    (tmp_path / "classes.txt").write_text("a\nb\n")
    check_run_inputs(config)


def test_a_folder_where_a_file_is_wanted_is_named_before_staging(tmp_path, monkeypatch):
    """dataset.synsets is one file; dataset.annotations a file or a folder of VOC XML boxes."""
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "config" / "config.yaml")
    config["dataset"]["synsets"] = str(tmp_path)
    config["dataset"]["annotations"] = str(tmp_path)
    with pytest.raises(ConfigError) as raised:
        check_run_inputs(config)
    lines = str(raised.value).splitlines()[1:]
    assert lines == [
        f"  - config key 'dataset.annotations': {tmp_path} is a folder without VOC .xml files; "
        "it wants LOC_val_solution.csv, or a folder or archive of XML boxes",
        f"  - config key 'dataset.synsets': {tmp_path} is a folder; it wants a file "
        "(LOC_synset_mapping.txt, the devkit's meta.mat or its archive)",
    ]
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "ILSVRC2012_val_00000001.xml").write_text("<annotation/>")
    config["dataset"]["annotations"] = str(tmp_path / "boxes")
    config["dataset"]["synsets"] = None
    check_run_inputs(config)
