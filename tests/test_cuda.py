"""GPU checks (marker ``cuda``): the device paths give the CPU's results.

Skipped without CUDA; ``benchmarks/gpu_check.sh`` runs them on a GPU machine.
"""

import numpy as np
import pytest
import torch

from secam.activations import CAMMapper
from secam.image_sources import ImageSource
from secam.imaging import load_rgb
from secam.lime.batched import lime_batched_region_scores
from secam.lime.reference import lime_region_scores
from secam.models import load_model
from secam.regions import region_means, upsample
from secam.segmentation import segment

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture(scope="module")
def full_precision():
    """TF32 convolutions round to ~1e-3; compare the device path at full float32 precision."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


@pytest.fixture(scope="module")
def photographs(ilsvrc_sample) -> list[np.ndarray]:
    folder = ilsvrc_sample / "ILSVRC" / "Data" / "CLS-LOC" / "val"
    return [load_rgb(ImageSource(str(p))) for p in sorted(folder.glob("*.JPEG"))[:3]]


def test_lime_batched_on_cuda_matches_the_package_on_cpu(
    embedded_model, photographs, full_precision
):
    on_gpu = load_model("efficientnet_lite0", device="cuda")
    image = photographs[0]
    labels = segment(image)
    reference = lime_region_scores(embedded_model, image, labels, 65, num_samples=100, seed=2)
    batched = lime_batched_region_scores(
        on_gpu, image, labels, 65, num_samples=100, seed=2, batch_size=64
    )
    np.testing.assert_allclose(batched, reference, rtol=0, atol=1e-4 * np.abs(reference).max())


def test_secam_on_cuda_matches_cpu_and_batches_match_single_images(
    embedded_model, photographs, full_precision
):
    on_gpu = load_model("efficientnet_lite0", device="cuda")
    batch = on_gpu.preprocessing(photographs, "cuda")
    batched_maps = CAMMapper(on_gpu)(batch).maps
    for index, image in enumerate(photographs):
        single_cpu = CAMMapper(embedded_model)(embedded_model.preprocessing(image)).maps[0]
        torch.testing.assert_close(batched_maps[index].cpu(), single_cpu, atol=1e-4, rtol=1e-4)
        labels = segment(image)
        gpu_scores = region_means(upsample(batched_maps[index], image.shape[:2]), labels)
        cpu_scores = region_means(upsample(single_cpu, image.shape[:2]), labels)
        torch.testing.assert_close(gpu_scores.cpu(), cpu_scores, atol=1e-4, rtol=1e-4)
