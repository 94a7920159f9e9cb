"""Cached torchvision checkpoints are trusted only after the hash and weights_only checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision

from secam.artifacts import file_sha256
from secam.models import UntrustedWeightsError, checkpoints, load_model

from ..user_models import plant_code_running_weights


def _named_by_own_hash(file: Path, stem: str) -> Path:
    """Rename ``file`` to ``<stem>-<its sha256[:8]>.pth``, so its hash-prefix check passes."""
    return file.rename(file.with_name(f"{stem}-{file_sha256(file)[:8]}.pth"))


def test_payload_runs_code_when_unpickled_freely(tmp_path):
    # guards the tests below: the marker's absence there means the code did not run
    marker = tmp_path / "ran"
    file = plant_code_running_weights(tmp_path / "payload.pth", marker)
    torch.load(file, weights_only=False)
    assert marker.exists()


def test_planted_torchvision_checkpoint_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    weights = torchvision.models.ResNet18_Weights.DEFAULT
    planted = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    assert checkpoints.cached_checkpoint(weights) == planted
    marker = tmp_path / "ran"
    plant_code_running_weights(planted, marker)
    with pytest.raises(UntrustedWeightsError) as refused:
        load_model("resnet18")
    assert not marker.exists()
    message = str(refused.value)
    assert str(planted) in message
    assert "f37072fd" in message and file_sha256(planted) in message
    assert f"Delete {planted}" in message and weights.url in message
    assert "get_state_dict" not in type(weights).__dict__


def test_pickle_with_matching_hash_prefix_is_refused_by_weights_only(tmp_path):
    marker = tmp_path / "ran"
    planted = plant_code_running_weights(tmp_path / "payload.pth", marker)
    file = _named_by_own_hash(planted, "resnet18")
    checkpoints.verify_hash_prefix(file)  # the hash check alone would let it through
    url = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    with pytest.raises(UntrustedWeightsError, match="weights_only=True") as refused:
        checkpoints.load_checkpoint(file, url)
    assert not marker.exists()
    assert str(file) in str(refused.value) and url in str(refused.value)


def test_file_name_without_hash_prefix_cannot_be_verified(tmp_path):
    file = tmp_path / "resnet18.pth"
    torch.save({"weight": torch.zeros(2)}, file)
    with pytest.raises(UntrustedWeightsError, match="no hash prefix"):
        checkpoints.load_checkpoint(file)


def _saved_random_state(tmp_path: Path, name: str) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(1234)
    state = torchvision.models.get_model(name, weights=None).state_dict()
    file = tmp_path / f"{name}.pth"
    torch.save(state, file)
    return _named_by_own_hash(file, name), state


def test_verified_checkpoint_is_loaded_through_the_torchvision_builder(tmp_path, monkeypatch):
    file, state = _saved_random_state(tmp_path, "mobilenet_v3_small")
    monkeypatch.setattr(checkpoints, "cached_checkpoint", lambda weights: file)

    def torchvision_loader(*args, **kwargs):
        raise AssertionError("torchvision's own loader unpickled the checkpoint")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", torchvision_loader)
    model = load_model("mobilenet_v3_small", weights="DEFAULT", seed=0)
    loaded = model.module.state_dict()
    assert loaded.keys() == state.keys()
    for key in ("features.0.0.weight", "classifier.3.weight", "classifier.3.bias"):
        assert torch.equal(loaded[key], state[key])
    assert model.weights == str(torchvision.models.MobileNet_V3_Small_Weights.DEFAULT)
    assert "get_state_dict" not in torchvision.models.MobileNet_V3_Small_Weights.__dict__


def test_state_dict_replacement_is_undone_when_the_build_fails(tmp_path, monkeypatch):
    # squeezenet weights, mobilenet tensors: the builder's load_state_dict raises
    file, _ = _saved_random_state(tmp_path, "mobilenet_v3_small")
    monkeypatch.setattr(checkpoints, "cached_checkpoint", lambda weights: file)
    with pytest.raises(RuntimeError, match="state_dict"):
        load_model("squeezenet1_1", weights="DEFAULT")
    assert "get_state_dict" not in torchvision.models.SqueezeNet1_1_Weights.__dict__
