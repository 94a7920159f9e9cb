import numpy as np
import torch

from secam.activations import CAMMapper
from secam.regions import region_means, upsample
from secam.segmentation import segment


def test_upsample_keeps_a_constant_map_and_reaches_full_resolution():
    full = upsample(torch.full((7, 7), 3.0), (300, 451))
    assert full.shape == (300, 451)
    torch.testing.assert_close(full, torch.full((300, 451), 3.0))


def test_upsample_puts_grid_cells_back_over_their_pixels():
    grid = torch.zeros(7, 7)
    grid[0, 6] = 1.0  # top-right cell
    full = upsample(grid, (700, 1400))
    row, col = np.unravel_index(int(full.argmax()), full.shape)
    assert row < 100 and col > 1200


def test_region_mean_identity_on_a_real_map(embedded_model, chelsea):
    """sum_r |r| * score_r == sum over pixels of the upsampled map (paper Eq. 4)."""
    grid = CAMMapper(embedded_model)(embedded_model.preprocessing(chelsea)).maps[0]
    full = upsample(grid, chelsea.shape[:2])
    labels = segment(chelsea)
    scores = region_means(full, labels).double().numpy()
    areas = np.bincount(labels.reshape(-1))  # pixels per region
    total = float(full.double().sum())
    assert abs((scores * areas).sum() - total) <= 1e-5 * abs(total) + 1e-3


def test_region_means_match_a_loop(chelsea):
    labels = segment(chelsea)
    full = torch.from_numpy(np.random.default_rng(0).normal(size=labels.shape).astype(np.float32))
    fast = region_means(full, labels).numpy()
    slow = np.array([full.numpy()[labels == r].mean() for r in range(labels.max() + 1)])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)


def test_regions_are_averaged_at_full_resolution_not_on_the_grid():
    # a region that falls inside one grid cell gets the interpolated value at its pixels
    grid = torch.tensor([[0.0, 1.0]])
    full = upsample(grid, (1, 8))
    labels = np.array([[0, 0, 0, 0, 1, 1, 2, 2]])
    scores = region_means(full, labels).numpy()
    assert scores[0] < scores[1] < scores[2]
    assert 0 < scores[1] < 1
