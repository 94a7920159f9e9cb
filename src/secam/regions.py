"""Block 3 of SeCAM: the map at full resolution, averaged inside each superpixel (Eq. 4)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def upsample(grid_map: torch.Tensor | np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """Bilinearly resize an (h, w) map (or (N, h, w) maps) to ``size`` = (height, width).

    The model saw the whole image resized (no crop), so the feature grid covers the whole image
    and a plain resize puts every grid cell back over the pixels it came from.
    """
    tensor = torch.as_tensor(grid_map, dtype=torch.float32)
    batched = tensor.dim() == 3
    tensor = tensor[:, None] if batched else tensor[None, None]
    full = F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)
    return full[:, 0] if batched else full[0, 0]


def region_means(
    full_map: torch.Tensor, labels: torch.Tensor | np.ndarray, n_regions: int | None = None
) -> torch.Tensor:
    """Mean of ``full_map`` inside each region of ``labels`` (ids 0..n-1), as a scatter-mean.

    Runs on the map's device; float64 accumulation keeps the region-mean identity
    sum_r |r| * score_r = sum_(x,y) map exact to rounding.
    """
    labels = torch.as_tensor(labels, device=full_map.device).reshape(-1).long()
    n = int(labels.max()) + 1 if n_regions is None else n_regions
    values = full_map.reshape(-1).to(torch.float64)
    sums = torch.bincount(labels, weights=values, minlength=n)
    counts = torch.bincount(labels, minlength=n).to(torch.float64)
    return (sums / counts.clamp(min=1)).to(torch.float32)
