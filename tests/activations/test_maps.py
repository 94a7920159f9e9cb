"""Each map source on real and random models: the CAM identity, the gradient map, Grad-CAM,
Grad-CAM++, LayerCAM and Score-CAM against independent implementations, batches against single
images."""

import numpy as np
import pytest
import torch
from torch import nn

from secam.activations import (
    CAMMapper,
    GradCAMMapper,
    GradCAMPlusPlusMapper,
    GradientMapper,
    LayerCAMMapper,
    ScoreCAMMapper,
    make_mapper,
)
from secam.models import LoadedModel, Preprocessing, load_model
from secam.models.inspection import inspect_head
from secam.regions import upsample

try:  # the independent implementation (the test extra's grad-cam); only its comparison skips
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
except ImportError:  # pragma: no cover
    pytorch_grad_cam = None


def _minmax(maps: torch.Tensor) -> torch.Tensor:
    flat = maps.flatten(1)
    low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    return ((flat - low) / (high - low)).view_as(maps)


def test_cam_identity_with_real_weights(embedded_model, sample_batch):
    """mean over the 7x7 grid of M_c + FC bias == logit, for every image of the sample."""
    result = CAMMapper(embedded_model)(sample_batch)
    bias = embedded_model.classifier().bias.detach()[result.targets]
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    assert result.maps.shape == (6, 7, 7)
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=0)


def test_cam_identity_for_any_class(embedded_model, sample_batch):
    targets = [0, 281, 504, 999, 652, 3]
    result = CAMMapper(embedded_model)(sample_batch, targets)
    bias = embedded_model.classifier().bias.detach()[targets]
    logits = result.logits[torch.arange(6), targets]
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", ["resnet50", "inception_v3"])
def test_cam_identity_on_torchvision_gap_models(name):
    model = load_model(name, weights=None)
    size = model.preprocessing.input_size
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(1))
    result = CAMMapper(model)(x)
    bias = model.classifier().bias.detach()[result.targets]
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=1e-4)


def test_gradient_path_equals_cam_over_grid_size(embedded_model, sample_batch):
    cam = CAMMapper(embedded_model)(sample_batch)
    gradient = GradientMapper(embedded_model)(sample_batch, cam.targets)
    torch.testing.assert_close(gradient.maps * 49, cam.maps, atol=1e-4, rtol=1e-4)


def test_gradcam_equals_relu_minmax_cam_on_gap_model(embedded_model, sample_batch):
    cam = CAMMapper(embedded_model)(sample_batch)
    grad = GradCAMMapper(embedded_model)(sample_batch, cam.targets)
    torch.testing.assert_close(_minmax(grad.maps), _minmax(torch.relu(cam.maps)), atol=1e-5, rtol=0)


def test_vgg_gradient_map_sums_to_logit_when_head_is_homogeneous():
    """With the head's biases zeroed, y = sum_xy dy/dA * A (Euler), so sum M_c == logit."""
    model = load_model("vgg16", weights=None)
    with torch.no_grad():
        for layer in model.module.classifier:
            if isinstance(layer, torch.nn.Linear):
                layer.bias.zero_()
    mapper = make_mapper(model, "auto")  # the paper's map for this head
    assert isinstance(mapper, GradientMapper)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    result = mapper(x)
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    torch.testing.assert_close(result.maps.sum(dim=(1, 2)), logits, atol=1e-4, rtol=1e-3)


def test_batch_equals_one_image_at_a_time(embedded_model, sample_batch):
    targets = [5, 281, 967, 652, 670, 657]
    for method in (CAMMapper, GradCAMMapper):
        mapper = method(embedded_model)
        batch = mapper(sample_batch, targets).maps
        single = torch.cat(
            [mapper(sample_batch[i : i + 1], [t]).maps for i, t in enumerate(targets)]
        )
        torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-4)


def test_cam_refuses_a_gradient_head():
    model = load_model("vgg16", weights=None)
    with pytest.raises(ValueError, match="no CAM head"):
        CAMMapper(model)


def _scaled(maps: np.ndarray) -> np.ndarray:
    flat = maps.reshape(len(maps), -1)
    low, high = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    return ((flat - low) / np.maximum(high - low, 1e-12)).reshape(maps.shape)


def _package_maps(package_class, model, x, targets) -> np.ndarray:
    layer = dict(model.module.named_modules())[model.target_layer]
    with package_class(model=model.module, target_layers=[layer]) as explainer:
        return explainer(input_tensor=x, targets=[ClassifierOutputTarget(t) for t in targets])


@pytest.mark.skipif(pytorch_grad_cam is None, reason="grad-cam (the test extra) not installed")
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (GradCAMMapper, getattr(pytorch_grad_cam, "GradCAM", None)),
        (GradCAMPlusPlusMapper, getattr(pytorch_grad_cam, "GradCAMPlusPlus", None)),
        (LayerCAMMapper, getattr(pytorch_grad_cam, "LayerCAM", None)),
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
    batched = ScoreCAMMapper(tiny_model, channel_batch=5)(x, targets).maps
    whole = ScoreCAMMapper(tiny_model, channel_batch=64)(x, targets).maps
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
