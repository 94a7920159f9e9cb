"""LIME with the perturbed images built as tensor operations on the model's device.

The same explanation as the reference ``lime`` package (:mod:`secam.lime.reference`), sample for
sample: the same seeded binary masks over the same superpixels (first sample all on), hidden
superpixels filled with their mean colour, cosine distance, kernel width, and the package's own
weighted ridge surrogate (``LimeBase.explain_instance_with_data``). What changes is how the
perturbed images reach the model.

The package builds every perturbed image at full resolution in a Python loop and the model's
preprocessing then resizes each one. Resizing is linear in the pixels, so with the superpixel
masks m_r, the image I and its mean-colour copy F::

    resize(sum_r z_r m_r I + (1 - z_r) m_r F) = resize(F) + sum_r z_r resize(m_r (I - F))

— one resize per superpixel, done once, and every batch of perturbed model inputs is one
matrix product of the binary samples with those R resized differences, on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sklearn.metrics
import torch
from lime import lime_image

from secam.config import default
from secam.lime.classifier import scores_by_region
from secam.models.registry import LoadedModel
from secam.timing import Stopwatch


def mean_colour_image(image: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The ``lime`` package's hidden image (``hide_color=None``): each superpixel filled with its
    mean colour, truncated to uint8 as the package's assignment into a uint8 copy does."""
    flat = segments.reshape(-1)
    counts = np.bincount(flat)
    pixels = image.reshape(-1, 3).astype(np.float64)
    means = (
        np.stack(
            [np.bincount(flat, weights=pixels[:, c], minlength=counts.size) for c in range(3)], 1
        )
        / np.maximum(counts, 1)[:, None]
    )
    return means.astype(image.dtype)[segments]


@dataclass
class PerturbationBasis:
    """resize(F) and the R resized superpixel differences resize(m_r (I - F)), on the device."""

    hidden: torch.Tensor  # (3, h, w)
    differences: torch.Tensor  # (R, 3 * h * w)

    @classmethod
    def build(
        cls,
        model: LoadedModel,
        image: np.ndarray,
        segments: np.ndarray,
        chunk_bytes: int = 256 * 2**20,
    ) -> PerturbationBasis:
        device = model.device
        hidden_image = mean_colour_image(image, segments)

        def pixels(array: np.ndarray) -> torch.Tensor:
            # torch.tensor copies: decoded images can be read-only arrays.
            return torch.tensor(array, device=device).permute(2, 0, 1)

        difference = pixels(image).float() - pixels(hidden_image).float()  # (3, H, W)
        labels = torch.tensor(segments, device=device, dtype=torch.long)
        n_regions = int(segments.max()) + 1
        parts = []
        # Chunks of superpixels bound the full-resolution float stack to about chunk_bytes.
        chunk = max(1, chunk_bytes // (difference.numel() * 4))
        for start in range(0, n_regions, chunk):
            regions = torch.arange(start, min(start + chunk, n_regions), device=device)
            masks = (labels[None] == regions[:, None, None]).float()  # (r, H, W)
            parts.append(model.preprocessing.resize(masks[:, None] * difference[None]))
        hidden = model.preprocessing.resize(pixels(hidden_image).float()[None])[0]
        return cls(hidden, torch.cat(parts).reshape(n_regions, -1))

    def inputs(self, samples: torch.Tensor) -> torch.Tensor:
        """Resized 0-255 pixels of the perturbed images for (N, R) binary samples."""
        flat = self.hidden.reshape(1, -1) + samples.to(self.differences.dtype) @ self.differences
        return flat.reshape(-1, *self.hidden.shape)


def perturbation_probabilities(
    model: LoadedModel, basis: PerturbationBasis, samples: np.ndarray, batch_size: int
) -> np.ndarray:
    """Softmax probabilities (float64, like the package's classifier) of every sample."""
    device_samples = torch.from_numpy(samples).to(model.device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(samples), batch_size):
            x = model.preprocessing.normalize(
                basis.inputs(device_samples[start : start + batch_size])
            )
            out.append(torch.softmax(model.module(x), dim=1).double().cpu())
    return torch.cat(out).numpy()


def lime_batched_region_scores(
    model: LoadedModel,
    image: np.ndarray,
    segments: np.ndarray,
    target: int,
    num_samples: int = default("lime", "num_samples"),
    seed: int = default("lime", "seed"),
    batch_size: int = default("lime", "batch_size")["cpu"],
    kernel_width: float = default("lime", "kernel_width"),
    watch: Stopwatch | None = None,
) -> np.ndarray:
    """LIME's surrogate weight of every superpixel for class ``target`` (index = region id).

    Draws its samples from the same seeded generator as
    :func:`secam.lime.reference.lime_region_scores`, so the two agree to floating-point rounding.
    ``watch`` gets the laps ``sampling`` (masks, the perturbation basis, distances),
    ``forward`` (building each batch of inputs and the model) and ``surrogate`` (the ridge fit).
    """
    watch = watch or Stopwatch(model.device)
    explainer = lime_image.LimeImageExplainer(kernel_width=kernel_width, random_state=seed)
    n_regions = int(segments.max()) + 1
    with watch.lap("sampling"):
        # lime_image.LimeImageExplainer.data_labels: the same draw from the same generator.
        samples = explainer.random_state.randint(0, 2, num_samples * n_regions).reshape(
            num_samples, n_regions
        )
        samples[0, :] = 1
        basis = PerturbationBasis.build(model, image, segments)
        distances = sklearn.metrics.pairwise_distances(
            samples, samples[0].reshape(1, -1), metric="cosine"
        ).ravel()
    with watch.lap("forward"):
        probabilities = perturbation_probabilities(model, basis, samples, batch_size)
    with watch.lap("surrogate"):
        _, weights, _, _ = explainer.base.explain_instance_with_data(
            samples,
            probabilities,
            distances,
            int(target),
            100000,  # the package's default num_features: every superpixel gets a weight
            model_regressor=None,
            feature_selection=explainer.feature_selection,
        )
    return scores_by_region(weights, n_regions)
