"""Grad-CAM, Grad-CAM++, LayerCAM and Score-CAM against independent implementations."""

import gc
import warnings

import numpy as np
import psutil
import pytest
import torch
from torch import nn

from secam.activations import CAM, GradCAM, GradCAMPlusPlus, LayerCAM, ScoreCAM, make_mapper
from secam.imaging import load_rgb
from secam.models import LoadedModel, Preprocessing
from secam.models.inspection import inspect_head
from secam.regions import upsample

from .conftest import SAMPLE

pytorch_grad_cam = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402


@pytest.fixture(scope="module")
def real_batch(embedded_model):
    images = [load_rgb(p) for p in sorted((SAMPLE / "images").iterdir())[:3]]
    return embedded_model.preprocessing(images)


def _scaled(maps: np.ndarray) -> np.ndarray:
    flat = maps.reshape(len(maps), -1)
    low, high = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    return ((flat - low) / np.maximum(high - low, 1e-12)).reshape(maps.shape)


def _package_maps(package_class, model, x, targets) -> np.ndarray:
    layer = dict(model.module.named_modules())[model.target_layer]
    with package_class(model=model.module, target_layers=[layer]) as explainer:
        return explainer(input_tensor=x, targets=[ClassifierOutputTarget(t) for t in targets])


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (GradCAM, pytorch_grad_cam.GradCAM),
        (GradCAMPlusPlus, pytorch_grad_cam.GradCAMPlusPlus),
        (LayerCAM, pytorch_grad_cam.LayerCAM),
    ],
)
def test_matches_pytorch_grad_cam_on_real_images(embedded_model, real_batch, ours, theirs):
    targets = [281, 967, 652]
    grid = ours(embedded_model)(real_batch, targets).maps
    mine = _scaled(torch.relu(upsample(grid, (224, 224))).numpy())
    reference = _package_maps(theirs, embedded_model, real_batch, targets)
    for a, b in zip(mine, reference, strict=True):
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] >= 0.999


class TinyNet(nn.Module):
    """A seeded two-layer CNN with a GAP + linear head: fast enough for one forward per channel."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 12, 3, padding=1),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))


@pytest.fixture()
def tiny_model() -> LoadedModel:
    torch.manual_seed(0)
    module = TinyNet().eval()
    head = inspect_head(module, (32, 32))
    return LoadedModel(
        "tiny", module, Preprocessing.imagenet((32, 32)), head, "random", torch.device("cpu")
    )


def _naive_score_cam(model: LoadedModel, x: torch.Tensor, target: int) -> torch.Tensor:
    """The authors' loop: one channel at a time, as written in the Score-CAM paper's code."""
    captured = {}
    layer = dict(model.module.named_modules())[model.target_layer]
    handle = layer.register_forward_hook(lambda m, a, o: captured.update(a=o))
    with torch.no_grad():
        model.module(x)
    handle.remove()
    activation = captured["a"][0]
    total = torch.zeros(activation.shape[1:])
    for k in range(activation.shape[0]):
        mask = torch.nn.functional.interpolate(
            activation[k][None, None], size=x.shape[-2:], mode="bilinear", align_corners=False
        )
        if mask.max() == mask.min():
            weight = torch.softmax(model.module(x * 0), dim=1)[0, target]
        else:
            mask = (mask - mask.min()) / (mask.max() - mask.min())
            with torch.no_grad():
                weight = torch.softmax(model.module(x * mask), dim=1)[0, target]
        total += weight * activation[k]
    return torch.relu(total)


def test_score_cam_matches_the_per_channel_loop(tiny_model):
    assert tiny_model.head_path == "cam" and tiny_model.target_layer == "features"
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    targets = [1, 3]
    batched = ScoreCAM(tiny_model, channel_batch=5)(x, targets).maps
    whole = ScoreCAM(tiny_model, channel_batch=64)(x, targets).maps
    torch.testing.assert_close(batched, whole, atol=1e-6, rtol=1e-5)
    for i, target in enumerate(targets):
        expected = _naive_score_cam(tiny_model, x[i : i + 1], target)
        torch.testing.assert_close(batched[i], expected, atol=1e-5, rtol=1e-4)


def test_every_source_on_the_tiny_model_is_batch_consistent(tiny_model):
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    for source in ["auto", "cam", "gradient", "gradcam", "gradcampp", "layercam", "scorecam"]:
        mapper = make_mapper(tiny_model, source, channel_batch=4)
        batch = mapper(x, [0, 1, 2]).maps
        single = torch.cat([mapper(x[i : i + 1], [i]).maps for i in range(3)])
        torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-4)


def test_unknown_source_is_named(tiny_model):
    with pytest.raises(ValueError, match="unknown map source 'gradcam\\+\\+'"):
        make_mapper(tiny_model, "gradcam++")


def _live_tensors() -> int:
    gc.collect()
    with warnings.catch_warnings():
        # isinstance() on some of torch's deprecated module attributes warns
        warnings.simplefilter("ignore", FutureWarning)
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def test_memory_does_not_grow_over_500_explanations(embedded_model, real_batch):
    image = real_batch[:1]
    mappers = [CAM(embedded_model), GradCAM(embedded_model)]
    for i in range(20):  # warm-up: allocator pools and caches settle
        mappers[i % 2](image)
    process = psutil.Process()
    tensors, rss = _live_tensors(), process.memory_info().rss
    for i in range(500):
        mappers[i % 2](image)
    assert _live_tensors() <= tensors
    # a leak of one feature map per call would be 500 * 250 KB = 125 MB
    assert process.memory_info().rss - rss < 40 * 2**20
