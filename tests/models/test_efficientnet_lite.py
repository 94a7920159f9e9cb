"""EfficientNet-Lite0, -Lite1 and -Lite2: verified weights loaded as tensors only, their
TensorFlow normalisation at each native size, the CAM identity on their heads, and what the real
weights recognise (top-1 on the shared ILSVRC sample, and the drop with the wrong normalisation).
"""

import numpy as np
import pytest
import torch

from secam.activations import CAMMapper
from secam.artifacts import file_sha256
from secam.classes import imagenet_classes
from secam.config import PACKAGED_MODELS
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.models import LoadedModel, Preprocessing, efficientnet_lite, load_model
from secam.staging import stage_dataset

CAT_WNIDS = {"n02123045", "n02123159", "n02123394", "n02123597", "n02124075"}
COFFEE_WNIDS = {"n07920052", "n07930864", "n03063599"}  # espresso, cup, coffee mug
# native input size and the last feature map's grid: ceil(size / 32)
GEOMETRY = {
    "efficientnet_lite0": (224, (7, 7)),
    "efficientnet_lite1": (240, (8, 8)),
    "efficientnet_lite2": (260, (9, 9)),
}


@pytest.fixture(scope="module", params=PACKAGED_MODELS)
def lite(request, embedded_model) -> LoadedModel:
    if request.param == embedded_model.name:
        return embedded_model  # the session's copy, already loaded
    return load_model(request.param, device="cpu")


def test_every_packaged_model_is_a_variant():
    assert tuple(efficientnet_lite.VARIANTS) == PACKAGED_MODELS


def test_weights_are_verified_and_loaded_as_tensors(lite, monkeypatch):
    variant = efficientnet_lite.VARIANTS[lite.name]
    assert file_sha256(efficientnet_lite.weights_file(lite.name)) == variant.sha256
    assert lite.weights == f"sha256:{variant.sha256}"
    assert not lite.module.training
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k) or real_load(*a, **k))
    efficientnet_lite.build(lite.name)
    assert loads == [{"map_location": "cpu", "weights_only": True}]


def test_a_changed_weights_file_is_refused(lite, tmp_path, monkeypatch):
    planted = tmp_path / "weights.pth"
    data = bytearray(efficientnet_lite.weights_file(lite.name).read_bytes())
    data[-1] ^= 1
    planted.write_bytes(bytes(data))
    monkeypatch.setattr(efficientnet_lite, "weights_file", lambda name: planted)
    with pytest.raises(RuntimeError, match=f"{lite.name} weights at .* have SHA-256"):
        efficientnet_lite.build(lite.name)


def test_tensorflow_normalisation_at_the_native_size(lite):
    size, _ = GEOMETRY[lite.name]
    pre = lite.preprocessing
    white = np.full((10, 10, 3), 255, dtype=np.uint8)
    black = np.zeros((10, 10, 3), dtype=np.uint8)
    assert torch.allclose(pre(white), torch.full((1, 3, size, size), 128 / 128))
    assert torch.allclose(pre(black), torch.full((1, 3, size, size), -127 / 128))


def test_the_head_is_a_cam_head_with_the_identity(lite, chelsea, coffee):
    """GAP + linear is found, and mean over the grid of M_c + FC bias == logit."""
    _, grid = GEOMETRY[lite.name]
    assert (lite.head_path, lite.target_layer) == ("cam", "features")
    assert lite.head.feature_shape == (1280, *grid)
    result = CAMMapper(lite)(lite.preprocessing([chelsea, coffee]), [281, 967])
    bias = lite.classifier().bias.detach()[[281, 967]]
    logits = result.logits[[0, 1], [281, 967]]
    assert result.maps.shape == (2, *grid)
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=0)


def test_real_weights_recognise_the_sample(lite, chelsea, coffee):
    wnids = imagenet_classes().wnids
    with torch.no_grad():
        predicted = lite.module(lite.preprocessing([chelsea, coffee])).argmax(1).tolist()
    assert wnids[predicted[0]] in CAT_WNIDS
    assert wnids[predicted[1]] in COFFEE_WNIDS


@pytest.fixture(scope="module")
def ilsvrc_images(ilsvrc_sample) -> tuple[list[np.ndarray], torch.Tensor]:
    manifest = stage_dataset(
        ilsvrc_sample / "LOC_val_solution.csv",
        ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val",
        synsets=ilsvrc_sample / "LOC_synset_mapping.txt",
    ).manifest
    assert len(manifest) == 204
    images = [load_rgb(ImageSource.from_row(row)) for row in manifest.itertuples()]
    return images, torch.tensor(manifest["class_index"].to_numpy())


def _accuracy(model: LoadedModel, preprocessing: Preprocessing, ilsvrc_images) -> float:
    images, labels = ilsvrc_images
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), 32):
            batch = preprocessing(images[start : start + 32])
            predicted = model.module(batch).argmax(dim=1)
            correct += int((predicted == labels[start : start + 32]).sum())
    return correct / len(images)


def test_top1_accuracy_on_real_ilsvrc_images(lite, ilsvrc_images):
    """0.735 (Lite0), 0.725 (Lite1), 0.730 (Lite2) on the 204 shared images (docs/results.md)."""
    assert _accuracy(lite, lite.preprocessing, ilsvrc_images) >= 0.70


def test_the_imagenet_normalisation_would_cost_accuracy(embedded_model, ilsvrc_images):
    """The torchvision mean/std is the wrong normalisation for these TensorFlow weights: 0.647
    against 0.735 for Lite0 (Lite1 0.696 against 0.725, Lite2 0.691 against 0.730)."""
    right = _accuracy(embedded_model, embedded_model.preprocessing, ilsvrc_images)
    wrong = _accuracy(embedded_model, Preprocessing.imagenet(), ilsvrc_images)
    assert right - wrong >= 0.03
