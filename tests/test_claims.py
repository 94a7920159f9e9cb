import numpy as np
import pandas as pd

from secam.report.claims import box_share, claims_table
from secam.report.tables import paired_differences


def _metrics(secam_gain: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for image in range(40):
        for method, selection in [
            ("secam", "top3"),
            ("lime", "top3"),
            ("secam", "thr80"),
            ("cam", "thr80"),
            ("gradcam", "thr80"),
        ]:
            value = rng.uniform(0.3, 0.5) + (secam_gain if method == "secam" else 0)
            rows.append(
                {
                    "image_id": f"i{image}",
                    "model": "m",
                    "method": method,
                    "selection": selection,
                    "box_iou": value,
                    "mask_iou": value,
                    "ebpg": value,
                    "energy_ebpg": value,
                    "pointing_hit": 1.0,
                    "area": 0.1,
                }
            )
    return pd.DataFrame(rows)


def _timings(secam: float, lime: float) -> pd.DataFrame:
    rows = []
    for image in range(40):
        for method, seconds in [("secam", secam), ("cam", 0.02), ("gradcam", 0.03), ("lime", lime)]:
            rows.append(
                {
                    "image_id": f"i{image}",
                    "model": "m",
                    "method": method,
                    "total_seconds": seconds * (1 + 0.01 * image),
                    "device": "cpu",
                }
            )
    return pd.DataFrame(rows)


def _manifest() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": [f"i{i}" for i in range(40)],
            "width": 10,
            "height": 10,
            "boxes": [[[0, 0, 4, 4]]] * 40,
        }
    )


def _verdicts(metrics, timings, head_paths) -> dict[str, str]:
    paired = paired_differences(metrics, resamples=300)
    table = claims_table(metrics, timings, paired, _manifest(), head_paths, resamples=300)
    return {row.claim[:3] + row.claim.split()[-1]: row.verdict for row in table.itertuples()}


def test_verdicts_follow_the_numbers():
    good = _verdicts(_metrics(0.2), _timings(0.025, 50.0), {"m": "gradient"})
    assert good["(a)LIME"] == "holds"
    assert good["(a)Grad-CAM"] == "holds"
    assert good["(b)LIME"] == "holds"
    assert good["(c)selects"] == "not measured"
    assert good["(d)GAP"] == "holds"  # EBPG ~0.6 against a box share of 0.25

    bad = _verdicts(_metrics(-0.2), _timings(0.2, 1.0), {"m": "cam"})
    assert bad["(a)LIME"] == "does not hold"
    assert bad["(a)Grad-CAM"] == "does not hold"
    assert bad["(b)LIME"] == "does not hold"
    assert bad["(d)GAP"] == "not measured"


def test_box_share():
    assert box_share(_manifest()).iloc[0] == 0.25
