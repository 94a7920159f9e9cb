"""What the base class owns for every map source: the hooks' lifetime, the model's train/eval
state, float32 maps, and no memory kept between calls."""

import gc
import warnings

import numpy as np
import psutil
import pytest
import torch

from secam.activations import CAMMapper, GradCAMMapper, GradientMapper, SharedPass


def _hook_count(model) -> int:
    return sum(len(m._forward_hooks) + len(m._backward_hooks) for m in model.module.modules())


def test_hooks_are_removed_and_mode_restored(embedded_model, sample_batch):
    before = _hook_count(embedded_model)
    for method in (CAMMapper, GradCAMMapper, GradientMapper):
        method(embedded_model)(sample_batch[:1])
        assert _hook_count(embedded_model) == before
    embedded_model.module.train()
    try:
        GradCAMMapper(embedded_model)(sample_batch[:1])
        assert embedded_model.module.training
    finally:
        embedded_model.module.eval()


def test_hooks_are_removed_after_an_exception(embedded_model):
    before = _hook_count(embedded_model)
    bad_input = torch.zeros(1, 5, 224, 224)  # wrong channel count: the forward raises
    for method in (CAMMapper, GradCAMMapper):
        with pytest.raises(RuntimeError):
            method(embedded_model)(bad_input)
        assert _hook_count(embedded_model) == before
    with pytest.raises(RuntimeError):
        SharedPass(embedded_model, ["cam", "gradcam"])(bad_input)
    assert _hook_count(embedded_model) == before
    assert not embedded_model.module.training


def test_maps_are_float32_numpy_compatible(embedded_model, sample_batch):
    maps = CAMMapper(embedded_model)(sample_batch[:1]).maps
    assert maps.dtype == torch.float32
    assert np.isfinite(maps.numpy()).all()


def _live_tensors() -> int:
    gc.collect()
    with warnings.catch_warnings():
        # isinstance() on some of torch's deprecated module attributes warns
        warnings.simplefilter("ignore", FutureWarning)
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def test_memory_does_not_grow_over_500_explanations(embedded_model, real_batch):
    image = real_batch[:1]
    mappers = [CAMMapper(embedded_model), GradCAMMapper(embedded_model)]
    for i in range(20):  # warm-up: allocator pools and caches settle
        mappers[i % 2](image)
    process = psutil.Process()
    tensors, rss = _live_tensors(), process.memory_info().rss
    for i in range(500):
        mappers[i % 2](image)
    assert _live_tensors() <= tensors
    # a leak of one feature map per call would be 500 * 250 KB = 125 MB
    assert process.memory_info().rss - rss < 40 * 2**20
