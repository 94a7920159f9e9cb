"""SLIC's connectivity step, shared by the numba and torch backends: every superpixel one
4-connected piece, small pieces absorbed, labels 0..n-1 in raster order."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from secam.slic_connectivity import MAX_SIZE_FACTOR, MIN_SIZE_FACTOR, connected_superpixels


def test_pieces_become_superpixels_and_small_ones_join_a_neighbour():
    labels = np.zeros((40, 40), dtype=np.intp)
    labels[:, 20:] = 1
    labels[5:7, 5:7] = 1  # 4 pixels of centre 1 inside centre 0: too small to stand alone
    labels[25:40, :15] = 1  # 225 pixels of centre 1 cut off from it: a superpixel of its own
    centres = 4
    segment_size = labels.size / centres
    # the limits this case sits between: the island under the least size, the cut-off piece
    # over it, and no piece over the size at which skimage's walk splits one
    assert 4 < MIN_SIZE_FACTOR * segment_size < 225 and 800 < MAX_SIZE_FACTOR * segment_size

    connected = connected_superpixels(labels, centres)

    assert connected.shape == labels.shape
    assert connected[5, 5] == connected[0, 0]  # the island joined the piece around it
    assert connected[30, 5] not in (connected[0, 0], connected[0, 39])
    assert sorted(np.unique(connected).tolist()) == [0, 1, 2]
    # numbered in raster order: label k's first pixel comes before label k + 1's
    first = [int(np.flatnonzero(connected.ravel() == k)[0]) for k in range(3)]
    assert first == sorted(first)
    for k in range(3):
        assert ndimage.label(connected == k)[1] == 1  # one 4-connected piece


def test_connected_labels_are_only_renumbered_in_raster_order():
    labels = np.repeat(np.array([[3, 3, 1, 1, 2, 2]], dtype=np.int32), 6, axis=0)
    expected = np.repeat(np.array([[0, 0, 1, 1, 2, 2]]), 6, axis=0)
    assert np.array_equal(connected_superpixels(labels, 3), expected)
