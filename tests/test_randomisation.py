"""The model-parameter randomisation test's library (src/secam/randomisation.py): the cascade's
order on real architectures, seeded randomisation that mirrors Quantus, exact restoration, the
similarities and the verdict."""

import copy
import dataclasses
import itertools
from types import ModuleType

import numpy as np
import pytest
import torch
import torchvision

from secam.activations.maps import CAMMapper
from secam.imaging import load_rgb
from secam.map_explanation import explain_map
from secam.models import LoadedModel, load_model
from secam.randomisation import (
    CHANGES,
    DOES_NOT_CHANGE,
    UNCLEAR,
    layer_cascade,
    loaded_model_cascade,
    mask_iou,
    randomised,
    spearman,
    verdict,
)
from secam.statistics import Interval


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: value.clone() for key, value in module.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def lite0_cascade(embedded_model):
    return loaded_model_cascade(embedded_model)


def test_cascade_of_efficientnet_lite0_runs_from_the_head_down(lite0_cascade):
    names = [group.name for group in lite0_cascade]
    assert names[:4] == [
        "head",
        "network._conv_head+network._bn1",  # the batch norm joins the convolution it follows
        "network._blocks.15",
        "network._blocks.14",
    ]
    assert lite0_cascade[0].modules == ("network._fc",)  # also reachable as `fc`: counted once
    assert names[-1] == "network._conv_stem+network._bn0"
    assert len(names) == 1 + 1 + 16 + 1  # head, conv head, 16 MBConv blocks, stem


def test_cascade_of_a_torchvision_resnet18_with_random_weights():
    model = load_model("resnet18", weights=None, device="cpu")
    cascade = loaded_model_cascade(model)
    assert [group.name for group in cascade] == [
        "head",
        "layer4.1",
        "layer4.0",
        "layer3.1",
        "layer3.0",
        "layer2.1",
        "layer2.0",
        "layer1.1",
        "layer1.0",
        "conv1+bn1",
    ]
    assert cascade[0].modules == ("fc",)
    # a block holds every parameterised layer inside it, its shortcut's too
    assert set(cascade[2].modules) == {
        "layer4.0.conv1",
        "layer4.0.bn1",
        "layer4.0.conv2",
        "layer4.0.bn2",
        "layer4.0.downsample.0",
        "layer4.0.downsample.1",
    }


def test_the_head_is_every_parameterised_layer_after_the_target_layer():
    network = torchvision.models.vgg11(weights=None).eval()
    cascade = layer_cascade(network, "features.19", torch.zeros(1, 3, 64, 64))
    assert cascade[0].modules == ("classifier.0", "classifier.3", "classifier.6")
    assert cascade[1].name == "features.18"  # the last convolution


def test_randomisation_is_seeded_and_mirrors_quantus(embedded_model, lite0_cascade):
    network = embedded_model.module
    with randomised(network, lite0_cascade, 2, seed=7):
        first = _state(network)
    with randomised(network, lite0_cascade, 2, seed=7):
        again = _state(network)
    with randomised(network, lite0_cascade, 2, seed=8):
        other = _state(network)
    assert _same(first, again)
    assert not torch.equal(first["network._fc.weight"], other["network._fc.weight"])
    # Quantus: torch.manual_seed(seed + 1), then the layer's own reset_parameters()
    fc = copy.deepcopy(dict(network.named_modules())["network._fc"])
    torch.manual_seed(8)
    fc.reset_parameters()
    assert torch.equal(first["network._fc.weight"], fc.weight)
    assert torch.equal(first["network._fc.bias"], fc.bias)
    # depth 2 reaches the conv head and its batch norm, not the block below
    trained = _state(network)
    changed = {k for k in trained if not torch.equal(trained[k], first[k])}
    assert {k.rsplit(".", 1)[0] for k in changed} == {
        "network._fc",
        "fc",  # the same layer under its second name
        "network._conv_head",
        "network._bn1",
    }


def test_randomisation_leaves_the_global_random_state_alone(embedded_model, lite0_cascade):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with randomised(embedded_model.module, lite0_cascade, 1, seed=0):
        drawn = torch.rand(3)
    assert torch.equal(drawn, expected)


def test_the_model_is_restored_bit_for_bit_also_after_an_exception(embedded_model, lite0_cascade):
    network = embedded_model.module
    before = _state(network)
    with randomised(network, lite0_cascade, 3, seed=0):
        assert not _same(before, _state(network))
    assert _same(before, _state(network))
    with pytest.raises(RuntimeError, match="inside"):
        with randomised(network, lite0_cascade, len(lite0_cascade), seed=0):
            raise RuntimeError("inside")
    assert _same(before, _state(network))
    with pytest.raises(ValueError, match="depth"):
        with randomised(network, lite0_cascade, len(lite0_cascade) + 1, seed=0):
            pass


def test_cam_changes_when_the_head_is_randomised(embedded_model, lite0_cascade, chelsea):
    inputs = embedded_model.preprocessing(chelsea)
    mapper = CAMMapper(embedded_model)
    trained = mapper(inputs)
    target = trained.targets

    def full(maps: torch.Tensor) -> np.ndarray:
        explained = explain_map(maps[0], chelsea.shape[:2], None, "pixels")
        return explained.full_map.numpy()

    again = mapper(inputs, target)
    with randomised(embedded_model.module, lite0_cascade, 1, seed=0):
        head_random = mapper(inputs, target)
    assert spearman(full(trained.maps), full(again.maps)) == 1.0
    assert spearman(full(trained.maps), full(head_random.maps)) < 0.5
    # the logits of the trained class are no longer the model's: the head did change
    assert not torch.allclose(trained.logits, head_random.logits)


def test_spearman_on_constructed_explanations():
    ramp = np.arange(10.0)
    assert spearman(ramp, ramp**3 + 5) == pytest.approx(1.0)  # any increasing transform
    assert spearman(ramp, -ramp) == pytest.approx(-1.0)
    assert spearman(np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4])) == pytest.approx(0.8)
    assert spearman(np.zeros((2, 3)), np.zeros((2, 3))) == 1.0
    assert spearman(ramp, np.full(10, 2.0)) == 0.0
    with pytest.raises(ValueError, match="sizes"):
        spearman(ramp, ramp[:5])


def test_mask_iou_on_constructed_masks():
    a = np.zeros((4, 4), dtype=bool)
    b = np.zeros((4, 4), dtype=bool)
    a[:2] = True  # 8 pixels
    b[1:3] = True  # 8 pixels, 4 shared
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(a, a) == 1.0
    assert mask_iou(a, ~a) == 0.0
    assert mask_iou(np.zeros(3, bool), np.zeros(3, bool)) == 1.0


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        (Interval(0.1, 0.02, 0.3, 6), CHANGES),
        (Interval(0.8, 0.6, 0.95, 6), DOES_NOT_CHANGE),
        (Interval(0.5, 0.3, 0.7, 6), UNCLEAR),
        (Interval(0.45, 0.4, 0.5, 6), UNCLEAR),  # the upper end must lie below the bound
        (Interval(0.1, 0.1, 0.1, 1), UNCLEAR),  # one image: no interval to read
        (Interval(float("nan"), float("nan"), float("nan"), 0), UNCLEAR),
    ],
)
def test_verdict_reads_the_interval_against_the_bound(interval, expected):
    assert verdict(interval) == expected


# --- Quantus as an independent oracle, on real photographs --------------------------------------


@pytest.fixture(scope="module")
def quantus() -> ModuleType:
    return pytest.importorskip("quantus", reason="Quantus (the test extra) is not installed")


@pytest.mark.ilsvrc
def test_spearman_agrees_with_quantus_model_parameter_randomisation(
    quantus, embedded_model: LoadedModel, lite0_cascade, ilsvrc_sample, monkeypatch
):
    """Our cascade against quantus.ModelParameterRandomisation (MPRT, top_down, cumulative) on
    CAM's full-resolution map of the trained model's top-1 class, Spearman on both sides.

    Quantus deep-copies the model, lists every module with ``reset_parameters`` in definition
    order, reversed, and resets one more of them a step, each under ``torch.manual_seed(seed +
    1)``, as ``randomised`` does. A layer's draw therefore depends on the seed alone, not on the
    order, so Quantus's model after the step that completes one of our groups is ours at that
    depth, bit for bit. Our steps are whole blocks: the steps in between (``_bn1`` without
    ``_conv_head``, part of block 15) have no counterpart and are not compared. The metric runs
    on each photograph at its own size (its batches must stack), the explanation being our CAM
    of the module Quantus passes, upsampled to the photograph, without Quantus's abs or
    normalisation. Quantus refuses an all-negative attribution (a randomised head's CAM often
    is), so it gets each map minus its minimum: the same ranks, the same Spearman."""
    seed, depth = 42, 3  # the head, the conv head with its batch norm, the last MBConv block
    network = embedded_model.module
    layers = [n for n, m in network.named_modules() if hasattr(m, "reset_parameters")][::-1]
    sizes = np.cumsum([len(group.modules) for group in lite0_cascade[:depth]])
    for group_depth, size in enumerate(sizes, 1):
        ours_set = {n for group in lite0_cascade[:group_depth] for n in group.modules}
        assert set(layers[:size]) == ours_set  # the same layers randomised at each compared step
    assert lite0_cascade[0].modules == (layers[0],) == ("network._fc",)
    # stop Quantus's own generator after our deepest compared step (it would walk all 99 layers)
    generator = quantus.helpers.model.pytorch_model.PyTorchModel.get_random_layer_generator
    monkeypatch.setattr(
        quantus.helpers.model.pytorch_model.PyTorchModel,
        "get_random_layer_generator",
        lambda self, order, seed: itertools.islice(generator(self, order, seed), sizes[-1]),
    )
    mapper = CAMMapper(embedded_model)
    paths = sorted(ilsvrc_sample.glob("ILSVRC/Data/CLS-LOC/val/*.JPEG"))[::34][:3]
    ours: list[list[float]] = []
    theirs: list[list[float]] = []
    for path in paths:
        photo = load_rgb(path)
        inputs = embedded_model.preprocessing(photo)

        def full(maps: torch.Tensor, photo: np.ndarray = photo) -> np.ndarray:
            return explain_map(maps[0], photo.shape[:2], None, "pixels").full_map.numpy()

        def explain(
            model: torch.nn.Module,
            inputs: np.ndarray,
            targets: np.ndarray,
            photo: np.ndarray = photo,
            **_: object,
        ) -> np.ndarray:
            assert np.array_equal(inputs[0], photo.transpose(2, 0, 1))  # the photograph bound below
            # the photograph itself, not Quantus's float copy: the input tensor's memory layout
            # (channels-last from an HWC array) and so the convolutions' float32 rounding follow
            # the array's; a CHW-ordered copy moves the map by ~2e-6
            loaded = dataclasses.replace(embedded_model, module=model)
            heatmap = full(CAMMapper(loaded)(embedded_model.preprocessing(photo), targets).maps)
            shifted = heatmap.astype(np.float64) - float(heatmap.min())
            assert np.unique(shifted).size == np.unique(heatmap).size  # no ties made: same ranks
            return shifted[None]

        trained = mapper(inputs)
        target = trained.targets
        reference = full(trained.maps)
        row = []
        for level in range(1, depth + 1):
            with randomised(network, lite0_cascade, level, seed=seed):
                row.append(spearman(reference, full(mapper(inputs, target).maps)))
        ours.append(row)

        metric = quantus.ModelParameterRandomisation(
            similarity_func=quantus.similarity_func.correlation_spearman,
            layer_order="top_down",
            seed=seed,
            abs=False,
            normalise=False,
            disable_warnings=True,
        )
        before = _state(network)
        with torch.random.fork_rng(devices=[]):  # Quantus seeds the global generator
            scores = metric(
                model=network,
                x_batch=photo.transpose(2, 0, 1)[None].astype(np.float64),
                y_batch=target.numpy(),
                explain_func=explain,
                channel_first=True,
                device="cpu",
            )
        assert _same(before, _state(network))  # Quantus randomised a deep copy, not ours
        assert list(scores) == ["original", *layers[: sizes[-1]]]
        assert scores["original"][0] == pytest.approx(1.0, abs=1e-12)
        theirs.append([scores[layers[size - 1]][0] for size in sizes])
    ours_array, theirs_array = np.array(ours), np.array(theirs)
    assert ours_array.min() < 0.5  # randomisation did move the explanations: not 1 against 1
    np.testing.assert_allclose(ours_array, theirs_array, rtol=0, atol=1e-12)
