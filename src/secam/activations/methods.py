"""The maps: CAM and the gradient map (SeCAM's two Block-1 paths) and Grad-CAM (a baseline)."""

from __future__ import annotations

import torch

from secam.activations.base import ClassActivationMapper
from secam.models.registry import LoadedModel


class CAM(ClassActivationMapper):
    """M_c(x, y) = sum_k w_k^c f_k(x, y) with w^c the linear layer of a GAP head (signed).

    For such a head, mean_(x,y) M_c + bias_c is exactly the logit of class c.
    """

    def __init__(self, model: LoadedModel) -> None:
        super().__init__(model)
        self._weights = model.classifier().weight  # fails clearly on a non-CAM head

    def compute_maps(self, activations, gradients, targets):  # type: ignore[no-untyped-def]
        weights = self._weights.detach()[targets].to(activations.dtype)  # (N, K)
        return torch.einsum("nkhw,nk->nhw", activations, weights)


class GradientCAM(ClassActivationMapper):
    """M_c(x, y) = sum_k dy^c/dA^k(x, y) * A^k(x, y), the paper's map for heads without GAP.

    On a GAP head the gradient is w_k^c / (h w) everywhere, so this is CAM / (h w).
    """

    needs_gradients = True

    def compute_maps(self, activations, gradients, targets):  # type: ignore[no-untyped-def]
        assert gradients is not None
        return (gradients * activations).sum(dim=1)


class GradCAM(ClassActivationMapper):
    """Grad-CAM (Selvaraju et al.): ReLU(sum_k alpha_k A^k), alpha_k = spatial mean of dy/dA^k."""

    needs_gradients = True

    def compute_maps(self, activations, gradients, targets):  # type: ignore[no-untyped-def]
        assert gradients is not None
        alpha = gradients.mean(dim=(2, 3))
        return torch.relu(torch.einsum("nkhw,nk->nhw", activations, alpha))


def secam_source_for(model: LoadedModel) -> ClassActivationMapper:
    """SeCAM's Block 1: CAM on a GAP + linear head, the gradient map otherwise."""
    return CAM(model) if model.head_path == "cam" else GradientCAM(model)
