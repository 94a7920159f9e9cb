"""Shared by the report tests: a metrics table as the evaluate stage writes it, and the
figures a drawing function closes."""

import numpy as np
import pandas as pd
import pytest


def sample_metrics() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for image in range(30):
        for method, selection, shift in [
            ("secam", "top3", 0.1),
            ("lime", "top3", 0.0),
            ("secam", "thr80", 0.0),
            ("cam", "thr80", 0.0),
        ]:
            base = rng.uniform(0.2, 0.6)
            rows.append(
                {
                    "image_id": f"i{image:02d}",
                    "model": "m",
                    "method": method,
                    "selection": selection,
                    "box_iou": base + shift,
                    "mask_iou": base,
                    "ebpg": base,
                    "energy_ebpg": np.nan,
                    "pointing_hit": float(base > 0.4),
                    "area": 0.1,
                    # two images with fewer superpixels than k, for the top-k methods
                    "truncated": image < 2 and selection == "top3",
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def drawn(monkeypatch):
    """The figures a drawing function closes, kept open for inspection (closed after the test)."""
    import matplotlib.pyplot as plt

    close = plt.close
    kept: list = []
    monkeypatch.setattr(plt, "close", kept.append)
    yield kept
    for figure in kept:
        close(figure)


def documented_table(name: str, rows: list[dict], fill: float = 0.0) -> pd.DataFrame:
    """``rows`` as a table of ``name`` with its documented columns, the missing ones ``fill``."""
    from secam.table_columns import TABLES

    frame = pd.DataFrame(rows)
    for column in TABLES[name]:
        if column not in frame:
            frame[column] = fill
    return frame[list(TABLES[name])]
