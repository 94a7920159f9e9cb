import numpy as np
import pytest
import torch

from secam.artifacts import file_sha256
from secam.classes import imagenet_classes
from secam.imaging import load_rgb
from secam.models import Preprocessing, WeightsUnavailableError, efficientnet_lite, load_model
from secam.sources import ImageSource
from secam.staging import stage_dataset

CAT_WNIDS = {"n02123045", "n02123159", "n02123394", "n02123597", "n02124075"}
COFFEE_WNIDS = {"n07920052", "n07930864", "n03063599"}  # espresso, cup, coffee mug


def test_embedded_weights_are_verified(embedded_model):
    assert file_sha256(efficientnet_lite.weights_file()) == (efficientnet_lite.WEIGHTS_SHA256)
    assert embedded_model.weights.endswith(efficientnet_lite.WEIGHTS_SHA256)
    assert not embedded_model.module.training


def test_embedded_head_is_detected(embedded_model):
    head = embedded_model.head
    assert head.head_path == "cam"
    assert head.target_layer == "features"
    assert head.feature_shape == (1280, 7, 7)
    assert embedded_model.classifier().out_features == 1000


def test_tensorflow_normalisation_is_used(embedded_model):
    pre = embedded_model.preprocessing
    white = np.full((10, 10, 3), 255, dtype=np.uint8)
    black = np.zeros((10, 10, 3), dtype=np.uint8)
    assert torch.allclose(pre(white), torch.full((1, 3, 224, 224), 128 / 128))
    assert torch.allclose(pre(black), torch.full((1, 3, 224, 224), -127 / 128))


def test_whole_image_is_resized_without_crop(embedded_model):
    # a bright stripe at the right edge must survive: nothing is cropped away
    image = np.zeros((100, 400, 3), dtype=np.uint8)
    image[:, -20:] = 255
    x = embedded_model.preprocessing(image)
    assert x.shape == (1, 3, 224, 224)
    assert float(x[0, 0, :, -5:].mean()) > 0.9


def _top1(model, image):
    with torch.no_grad():
        return int(model.module(model.preprocessing(image)).argmax())


def test_real_weights_recognise_the_sample(embedded_model, chelsea, coffee):
    wnids = imagenet_classes().wnids
    assert wnids[_top1(embedded_model, chelsea)] in CAT_WNIDS
    assert wnids[_top1(embedded_model, coffee)] in COFFEE_WNIDS


def _accuracy(model, preprocessing, manifest) -> float:
    correct = 0
    with torch.no_grad():
        for start in range(0, len(manifest), 32):
            rows = manifest.iloc[start : start + 32]
            images = [load_rgb(ImageSource.from_row(r)) for r in rows.itertuples()]
            predicted = model.module(preprocessing(images)).argmax(dim=1).numpy()
            correct += int((predicted == rows["class_index"].to_numpy()).sum())
    return correct / len(manifest)


def test_top1_accuracy_on_real_ilsvrc_images(embedded_model, ilsvrc_sample):
    manifest = stage_dataset(
        ilsvrc_sample / "LOC_val_solution.csv",
        ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val",
        synsets=ilsvrc_sample / "LOC_synset_mapping.txt",
    ).manifest
    assert len(manifest) == 204
    accuracy = _accuracy(embedded_model, embedded_model.preprocessing, manifest)
    assert accuracy >= 0.70
    # the torchvision mean/std would be the wrong normalisation for these TF weights
    wrong = _accuracy(embedded_model, Preprocessing.imagenet(), manifest)
    assert accuracy - wrong >= 0.03


@pytest.mark.parametrize(
    ("name", "layer", "path", "grid"),
    [
        ("resnet50", "layer4", "cam", (7, 7)),
        ("inception_v3", "Mixed_7c", "cam", (8, 8)),
        ("vgg16", "features.29", "gradient", (14, 14)),
        # any other torchvision classifier by name: a GAP + linear head and a two-layer head
        ("resnet18", "layer4", "cam", (7, 7)),
        ("mobilenet_v3_small", "features", "gradient", (7, 7)),
    ],
)
def test_torchvision_heads_are_detected(name, layer, path, grid):
    model = load_model(name, weights=None)
    assert model.target_layer == layer
    assert model.head_path == path
    assert model.head.feature_shape[1:] == grid
    assert not model.module.training


def test_target_layer_override():
    model = load_model("resnet50", weights=None, target_layer="layer3")
    assert model.target_layer == "layer3"
    assert model.head_path == "gradient"  # layer4 sits between layer3 and the pooling


def test_missing_weights_explain_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match="TORCH_HOME"):
        load_model("resnet50", weights="DEFAULT")


def test_unknown_model_and_weights_are_named():
    with pytest.raises(ValueError, match="unknown model 'resnet5'"):
        load_model("resnet5")
    with pytest.raises(ValueError, match="unknown weights 'IMAGENET9K'"):
        load_model("resnet50", weights="IMAGENET9K")
