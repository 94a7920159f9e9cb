import numpy as np
import pytest
import torch

from secam.activations import (
    CAM,
    GradCAM,
    GradientCAM,
    SharedPass,
    make_mapper,
    secam_source_for,
)
from secam.imaging import load_rgb
from secam.models import load_model
from secam.timing import Stopwatch

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_batch(embedded_model):
    images = [load_rgb(p) for p in sorted((SAMPLE / "images").iterdir())]
    return embedded_model.preprocessing(images)


def _minmax(maps: torch.Tensor) -> torch.Tensor:
    flat = maps.flatten(1)
    low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    return ((flat - low) / (high - low)).view_as(maps)


def test_cam_identity_with_real_weights(embedded_model, sample_batch):
    """mean over the 7x7 grid of M_c + FC bias == logit, for every image of the sample."""
    result = CAM(embedded_model)(sample_batch)
    bias = embedded_model.classifier().bias.detach()[result.targets]
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    assert result.maps.shape == (6, 7, 7)
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=0)


def test_cam_identity_for_any_class(embedded_model, sample_batch):
    targets = [0, 281, 504, 999, 652, 3]
    result = CAM(embedded_model)(sample_batch, targets)
    bias = embedded_model.classifier().bias.detach()[targets]
    logits = result.logits[torch.arange(6), targets]
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", ["resnet50", "inception_v3"])
def test_cam_identity_on_torchvision_gap_models(name):
    model = load_model(name, weights=None)
    size = model.preprocessing.input_size
    x = torch.randn(2, 3, *size, generator=torch.Generator().manual_seed(1))
    result = CAM(model)(x)
    bias = model.classifier().bias.detach()[result.targets]
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    torch.testing.assert_close(result.maps.mean(dim=(1, 2)) + bias, logits, atol=1e-4, rtol=1e-4)


def test_gradient_path_equals_cam_over_grid_size(embedded_model, sample_batch):
    cam = CAM(embedded_model)(sample_batch)
    gradient = GradientCAM(embedded_model)(sample_batch, cam.targets)
    torch.testing.assert_close(gradient.maps * 49, cam.maps, atol=1e-4, rtol=1e-4)


def test_gradcam_equals_relu_minmax_cam_on_gap_model(embedded_model, sample_batch):
    cam = CAM(embedded_model)(sample_batch)
    grad = GradCAM(embedded_model)(sample_batch, cam.targets)
    torch.testing.assert_close(_minmax(grad.maps), _minmax(torch.relu(cam.maps)), atol=1e-5, rtol=0)


def test_vgg_gradient_map_sums_to_logit_when_head_is_homogeneous():
    """With the head's biases zeroed, y = sum_xy dy/dA * A (Euler), so sum M_c == logit."""
    model = load_model("vgg16", weights=None)
    with torch.no_grad():
        for layer in model.module.classifier:
            if isinstance(layer, torch.nn.Linear):
                layer.bias.zero_()
    mapper = secam_source_for(model)
    assert isinstance(mapper, GradientCAM)
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    result = mapper(x)
    logits = result.logits.gather(1, result.targets[:, None])[:, 0]
    torch.testing.assert_close(result.maps.sum(dim=(1, 2)), logits, atol=1e-4, rtol=1e-3)


def test_batch_equals_one_image_at_a_time(embedded_model, sample_batch):
    targets = [5, 281, 967, 652, 670, 657]
    for method in (CAM, GradCAM):
        mapper = method(embedded_model)
        batch = mapper(sample_batch, targets).maps
        single = torch.cat(
            [mapper(sample_batch[i : i + 1], [t]).maps for i, t in enumerate(targets)]
        )
        torch.testing.assert_close(batch, single, atol=1e-5, rtol=1e-4)


def test_one_shared_pass_gives_every_sources_own_maps(embedded_model, sample_batch):
    sources = ["cam", "gradient", "gradcam", "gradcampp", "layercam"]
    targets = [5, 281, 967, 652, 670, 657]
    watch = Stopwatch()
    capture, maps = SharedPass(embedded_model, sources)(sample_batch, targets, watch)
    assert capture.targets.tolist() == targets and capture.gradients is not None
    for source in sources:
        alone = make_mapper(embedded_model, source)(sample_batch, targets).maps
        torch.testing.assert_close(maps[source], alone, atol=1e-5, rtol=1e-4)
    laps = {"forward", "backward", *(f"map:{s}" for s in sources)}
    assert set(watch.seconds) == laps and all(watch[lap] > 0 for lap in laps)
    # without gradient sources there is no backward at all
    watch = Stopwatch()
    capture, _ = SharedPass(embedded_model, ["cam"])(sample_batch[:2], None, watch)
    assert capture.gradients is None and "backward" not in watch.seconds


def _hook_count(model) -> int:
    return sum(len(m._forward_hooks) + len(m._backward_hooks) for m in model.module.modules())


def test_hooks_are_removed_and_mode_restored(embedded_model, sample_batch):
    before = _hook_count(embedded_model)
    for method in (CAM, GradCAM, GradientCAM):
        method(embedded_model)(sample_batch[:1])
        assert _hook_count(embedded_model) == before
    embedded_model.module.train()
    try:
        GradCAM(embedded_model)(sample_batch[:1])
        assert embedded_model.module.training
    finally:
        embedded_model.module.eval()


def test_hooks_are_removed_after_an_exception(embedded_model):
    before = _hook_count(embedded_model)
    bad_input = torch.zeros(1, 5, 224, 224)  # wrong channel count: the forward raises
    for method in (CAM, GradCAM):
        with pytest.raises(RuntimeError):
            method(embedded_model)(bad_input)
        assert _hook_count(embedded_model) == before
    with pytest.raises(RuntimeError):
        SharedPass(embedded_model, ["cam", "gradcam"])(bad_input)
    assert _hook_count(embedded_model) == before
    assert not embedded_model.module.training


def test_cam_refuses_a_gradient_head():
    model = load_model("vgg16", weights=None)
    with pytest.raises(ValueError, match="no CAM head"):
        CAM(model)


def test_maps_are_float32_numpy_compatible(embedded_model, sample_batch):
    maps = CAM(embedded_model)(sample_batch[:1]).maps
    assert maps.dtype == torch.float32
    assert np.isfinite(maps.numpy()).all()
