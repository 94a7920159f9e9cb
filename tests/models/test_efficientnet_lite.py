"""The embedded EfficientNet-Lite0: its verified weights, its TensorFlow normalisation and what
the real weights recognise."""

import numpy as np
import torch

from secam.artifacts import file_sha256
from secam.classes import imagenet_classes
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.models import Preprocessing, efficientnet_lite
from secam.staging import stage_dataset

CAT_WNIDS = {"n02123045", "n02123159", "n02123394", "n02123597", "n02124075"}
COFFEE_WNIDS = {"n07920052", "n07930864", "n03063599"}  # espresso, cup, coffee mug


def test_embedded_weights_are_verified(embedded_model):
    assert file_sha256(efficientnet_lite.weights_file()) == (efficientnet_lite.WEIGHTS_SHA256)
    assert embedded_model.weights.endswith(efficientnet_lite.WEIGHTS_SHA256)
    assert not embedded_model.module.training


def test_tensorflow_normalisation_is_used(embedded_model):
    pre = embedded_model.preprocessing
    white = np.full((10, 10, 3), 255, dtype=np.uint8)
    black = np.zeros((10, 10, 3), dtype=np.uint8)
    assert torch.allclose(pre(white), torch.full((1, 3, 224, 224), 128 / 128))
    assert torch.allclose(pre(black), torch.full((1, 3, 224, 224), -127 / 128))


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
