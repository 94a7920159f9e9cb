"""The maps.

SeCAM's two Block-1 paths (CAM, the gradient map) and the CAM family it is compared with or can be
run over (Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM). Each class computes only its map from the
captured activations (and gradients); the base class owns the forward, the backward and the hook.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from secam.activations.base import ClassActivationMapper
from secam.config import default
from secam.errors import InputError
from secam.methods import paper_source
from secam.models.registry import LoadedModel

CHANNEL_BATCH: int = default("score_cam", "channel_batch")


class CAMMapper(ClassActivationMapper):
    """M_c(x, y) = sum_k w_k^c f_k(x, y) with w^c the linear layer of a GAP head (signed).

    For such a head, mean_(x,y) M_c + bias_c is exactly the logit of class c.
    """

    def __init__(self, model: LoadedModel) -> None:
        super().__init__(model)
        self._weights = model.classifier().weight  # fails clearly on a non-CAM head

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        weights = self._weights.detach()[targets].to(activations.dtype)  # (N, K)
        return torch.einsum("nkhw,nk->nhw", activations, weights)


class GradientMapper(ClassActivationMapper):
    """M_c(x, y) = sum_k dy^c/dA^k(x, y) * A^k(x, y), the paper's map for heads without GAP.

    On a GAP head the gradient is w_k^c / (h w) everywhere, so this is CAM / (h w).
    """

    needs_gradients = True

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        assert gradients is not None
        return (gradients * activations).sum(dim=1)


class GradCAMMapper(ClassActivationMapper):
    """Grad-CAM (Selvaraju et al.): ReLU(sum_k alpha_k A^k), alpha_k = spatial mean of dy/dA^k."""

    needs_gradients = True

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        assert gradients is not None
        alpha = gradients.mean(dim=(2, 3))
        return torch.relu(torch.einsum("nkhw,nk->nhw", activations, alpha))


class GradCAMPlusPlusMapper(ClassActivationMapper):
    """Grad-CAM++ (Chattopadhyay et al., Eq. 19 with the exponential's derivatives folded in):
    alpha = g^2 / (2 g^2 + sum_(x,y) A * g^3), w_k = sum_(x,y) alpha * ReLU(g); map ReLU(sum w A).
    """

    needs_gradients = True
    eps = 1e-6

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        assert gradients is not None
        g2 = gradients.pow(2)
        g3 = g2 * gradients
        total = activations.sum(dim=(2, 3), keepdim=True)
        alpha = g2 / (2 * g2 + total * g3 + self.eps)
        alpha = torch.where(gradients != 0, alpha, torch.zeros_like(alpha))
        weights = (alpha * torch.relu(gradients)).sum(dim=(2, 3))
        return torch.relu(torch.einsum("nkhw,nk->nhw", activations, weights))


class LayerCAMMapper(ClassActivationMapper):
    """LayerCAM (Jiang et al.): ReLU(sum_k ReLU(dy/dA^k(x, y)) * A^k(x, y))."""

    needs_gradients = True

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        assert gradients is not None
        return torch.relu((torch.relu(gradients) * activations).sum(dim=1))


class ScoreCAMMapper(ClassActivationMapper):
    """Score-CAM (Wang et al.), as in the authors' code: each channel, upsampled to the input and
    min-max normalised, masks the input; its weight is the softmax probability of the target
    class on that masked input; map ReLU(sum_k w_k A^k).

    Costs one forward per channel; ``channel_batch`` masked inputs go through the model at once.
    """

    def __init__(self, model: LoadedModel, channel_batch: int = CHANNEL_BATCH) -> None:
        super().__init__(model)
        self.channel_batch = channel_batch

    def compute_maps(self, activations, gradients, targets, inputs):  # type: ignore[no-untyped-def]
        size = inputs.shape[-2:]
        maps = []
        for image, activation, target in zip(inputs, activations, targets, strict=True):
            weights = torch.empty(activation.shape[0], device=activation.device)
            for start in range(0, activation.shape[0], self.channel_batch):
                channels = activation[start : start + self.channel_batch]
                masks = F.interpolate(
                    channels[:, None], size=size, mode="bilinear", align_corners=False
                )
                low = masks.amin(dim=(2, 3), keepdim=True)
                high = masks.amax(dim=(2, 3), keepdim=True)
                masks = (masks - low) / (high - low).clamp(min=1e-8)
                logits = self.model.module(image[None] * masks)
                weights[start : start + len(channels)] = torch.softmax(logits, dim=1)[:, target]
            maps.append(torch.relu(torch.einsum("khw,k->hw", activation, weights)))
        return torch.stack(maps)


# Block-1 sources by name: the paper's two (cam, gradient) and the CAM family, the maps of
# secam.methods.PIXEL_SOURCES. "auto" (secam.methods.paper_source) picks the paper's for a head;
# "SeCAM over X" is SeCAM's region mean applied to source X's map.
SOURCES: dict[str, type[ClassActivationMapper]] = {
    "cam": CAMMapper,
    "gradient": GradientMapper,
    "gradcam": GradCAMMapper,
    "gradcampp": GradCAMPlusPlusMapper,
    "layercam": LayerCAMMapper,
    "scorecam": ScoreCAMMapper,
}


def make_mapper(
    model: LoadedModel, source: str, channel_batch: int = CHANNEL_BATCH
) -> ClassActivationMapper:
    """The mapper of a Block-1 source; ``auto`` picks the paper's path for this model's head
    (:func:`secam.methods.paper_source`)."""
    if source == "auto":
        source = paper_source(model.head_path)
    if source not in SOURCES:
        raise InputError(f"unknown map source {source!r}; one of auto, {', '.join(SOURCES)}")
    if source == "scorecam":
        return ScoreCAMMapper(model, channel_batch=channel_batch)
    return SOURCES[source](model)
