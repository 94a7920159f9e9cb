import numpy as np
import pandas as pd
import pytest

from secam.report.claims import box_share, claims_table
from secam.report.matched import matched_area
from secam.table_columns import empty_table


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
                    "truncated": False,
                }
            )
    return pd.DataFrame(rows)


def _timings(secam: float, lime: float, segmentation: float = 0.0, cam: float = 0.02):
    """Timings rows as the explain stage writes them: every method's row carries the image's
    shared segmentation time, which only SeCAM and LIME need."""
    rows = []
    for image in range(40):
        for method, seconds in [("secam", secam), ("cam", cam), ("gradcam", 0.03), ("lime", lime)]:
            rows.append(
                {
                    "image_id": f"i{image}",
                    "model": "m",
                    "method": method,
                    "total_seconds": seconds * (1 + 0.01 * image),
                    "segmentation_seconds": segmentation * (1 + 0.02 * image),
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


def _matched(metrics: pd.DataFrame, baseline: tuple[float, float]) -> pd.DataFrame:
    """Every explanation against the other methods (their mean on the image, as if redrawn at
    its area) and against random regions and a centred box scoring in ``baseline``."""
    rng = np.random.default_rng(1)
    per_image = metrics.groupby(["image_id", "method"])["box_iou"].mean()
    rows = []
    for row in metrics.itertuples():
        values = {
            other: per_image.loc[(row.image_id, other)]
            for other in sorted(set(metrics["method"]) - {row.method})
        }
        values |= {name: rng.uniform(*baseline) for name in ("random-regions", "centre-box")}
        for comparator, value in values.items():
            rows.append(
                {
                    "image_id": row.image_id,
                    "model": row.model,
                    "method": row.method,
                    "selection": row.selection,
                    "comparator": comparator,
                    "area": row.area,
                    "comparator_area": row.area,
                    **dict.fromkeys(("box_iou", "mask_iou", "ebpg"), value),
                }
            )
    return matched_area(metrics, empty_table("metrics"), pd.DataFrame(rows), resamples=300)


def _verdicts(metrics, timings, head_paths, baseline=(0.0, 0.1)) -> dict[str, str]:
    table = claims_table(
        metrics, timings, _matched(metrics, baseline), _manifest(), head_paths, resamples=300
    )
    return {
        (row.claim.split(" localises")[0] if "centre bias" in row.claim else "")
        + row.claim[:3]
        + row.claim.split()[-1]: row.verdict
        for row in table.itertuples()
    }


def test_verdicts_follow_the_numbers():
    good = _verdicts(_metrics(0.2), _timings(0.025, 50.0), {"m": "gradient"})
    assert good["(a)LIME"] == "holds"
    assert good["(a)Grad-CAM"] == "holds"
    assert good["(b)counted"] == good["(b)out"] == "holds"
    assert good["(c)selects"] == "not measured"
    assert good["(d)GAP"] == "holds"  # EBPG ~0.6 against a box share of 0.25
    for method in ("SeCAM", "LIME", "CAM", "Grad-CAM"):
        assert good[f"(a) {method}(a)area)"] == "holds"  # every method beats 0-0.1

    bad = _verdicts(_metrics(-0.2), _timings(0.2, 1.0), {"m": "cam"}, baseline=(0.6, 0.7))
    assert bad["(a)LIME"] == "does not hold"
    assert bad["(a)Grad-CAM"] == "does not hold"
    assert bad["(b)counted"] == bad["(b)out"] == "does not hold"
    assert bad["(d)GAP"] == "not measured"
    assert bad["(a) LIME(a)area)"] == "does not hold"  # the baselines score higher

    # random regions and centred boxes as good as the methods: nothing is shown either way
    even = _verdicts(_metrics(0.0), _timings(0.025, 50.0), {"m": "cam"}, baseline=(0.3, 0.5))
    assert even["(a) SeCAM(a)area)"] != "holds"


def test_speed_is_decided_end_to_end_with_the_map_alone_beside_it():
    """SeCAM's map as fast as CAM's and LIME 1500x slower, but a segmentation of 0.3 s that
    SeCAM and LIME need and CAM does not: end to end SeCAM/CAM is about 16x and LIME/SeCAM
    about 95x, so the claim does not hold there while it holds on the map alone."""
    timings = _timings(0.02, 30.0, segmentation=0.3, cam=0.02)
    metrics = _metrics(0.2)
    table = claims_table(
        metrics, timings, _matched(metrics, (0.0, 0.1)), _manifest(), {"m": "cam"}, resamples=300
    )
    speed = table[table["claim"].str.startswith("(b)")].set_index("claim")
    assert len(speed) == 2
    whole, alone = speed.iloc[0], speed.iloc[1]
    assert "segmentation counted" in speed.index[0] and "left out" in speed.index[1]
    assert (whole["verdict"], alone["verdict"]) == ("does not hold", "holds")
    # the ratios are those of the constructed times, image by image (geometric means)
    image = np.arange(40)
    secam = 0.02 * (1 + 0.01 * image) + 0.3 * (1 + 0.02 * image)
    cam = 0.02 * (1 + 0.01 * image)
    lime = 30.0 * (1 + 0.01 * image) + 0.3 * (1 + 0.02 * image)
    near, fast = np.exp(np.log(secam / cam).mean()), np.exp(np.log(lime / secam).mean())
    assert whole["evidence"].startswith(
        f"end-to-end time (segmentation counted): SeCAM/cam {near:.2f}x"
    )
    assert f"LIME/SeCAM {fast:.0f}x" in whole["evidence"]
    assert alone["evidence"].startswith("map-only time: SeCAM/cam 1.00x")
    assert "LIME/SeCAM 1500x" in alone["evidence"]


def test_box_share():
    assert box_share(_manifest()).iloc[0] == 0.25


def _segmentation_table(secam_agreement: list[tuple[float, float, float]]) -> pd.DataFrame:
    rows = [
        {
            "algorithm": "slic",
            "model": "m",
            "method": "secam",
            "selection": "top3",
            "n": 40,
            "agreement": np.nan,
            "agreement_low": np.nan,
            "agreement_high": np.nan,
        }
    ]
    for i, (mean, low, high) in enumerate(secam_agreement):
        rows.append(
            {
                "algorithm": f"alg{i}",
                "model": "m",
                "method": "secam",
                "selection": "top3",
                "n": 40,
                "agreement": mean,
                "agreement_low": low,
                "agreement_high": high,
            }
        )
    rows.append(
        {
            "algorithm": "alg0",
            "model": "m",
            "method": "lime",
            "selection": "top3",
            "n": 10,
            "agreement": 0.2,
            "agreement_low": 0.1,
            "agreement_high": 0.3,
        }
    )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("agreements", "verdict"),
    [
        ([(0.8, 0.7, 0.9), (0.6, 0.52, 0.7)], "holds"),
        ([(0.3, 0.2, 0.4), (0.2, 0.1, 0.45)], "does not hold"),
        ([(0.8, 0.7, 0.9), (0.5, 0.4, 0.6)], "mixed"),
    ],
)
def test_segmentation_claim_reads_secam_agreement(agreements, verdict):
    metrics = _metrics(0.2)
    table = claims_table(
        metrics,
        _timings(0.025, 50.0),
        _matched(metrics, (0.0, 0.1)),
        _manifest(),
        {"m": "cam"},
        resamples=100,
        segmentation=_segmentation_table(agreements),
    )
    row = table[table["claim"].str.startswith("(c)")].iloc[0]
    assert row["verdict"] == verdict
    assert "LIME alg0 mean agreement 0.200" in row["evidence"]


def test_claims_summary_counts_and_names_the_extremes():
    """A matched-area table built by hand: SeCAM against LIME at three comparisons with known
    intervals; the summary line counts them by the CI's side of 0 and quotes the extremes."""
    differences = [  # selection, metric, mean, low, high
        ("top2", "box_iou", 0.12, 0.05, 0.2),  # better
        ("top3", "box_iou", -0.30, -0.41, -0.21),  # worse
        ("top3", "ebpg", 0.01, -0.02, 0.04),  # not different
        ("top4", "ebpg", 0.25, 0.1, 0.4),  # better
    ]
    matched = pd.DataFrame(
        [
            {
                "model": "m",
                "method": "secam",
                "selection": selection,
                "comparator": "lime",
                "metric": metric,
                "n": 40,
                "difference": mean,
                "difference_low": low,
                "difference_high": high,
            }
            for selection, metric, mean, low, high in differences
        ]
    )
    table = claims_table(
        _metrics(0.0), _timings(0.025, 50.0), matched, _manifest(), {"m": "cam"}, resamples=50
    )
    row = table[table["claim"].str.endswith("at least as well as LIME")].iloc[0]
    better = sum(low > 0 for *_, low, _ in differences)
    worse = sum(high < 0 for *_, high in differences)
    smallest = min(differences, key=lambda d: d[2])
    largest = max(differences, key=lambda d: d[2])

    def quoted(selection, metric, mean, low, high):
        return f"lime {metric} {selection}: {mean:+.3f} [{low:+.3f}, {high:+.3f}] (n=40)"

    assert row["verdict"] == "mixed"  # one worse of four
    assert row["summary"] == (
        f"at matched area, {better} better, {worse} worse,"
        f" {len(differences) - better - worse} not different of {len(differences)};"
        f" smallest {quoted(*smallest)}; largest {quoted(*largest)}"
    )
    # the evidence keeps every comparison; the summary only the extremes
    assert all(quoted(*d) in row["evidence"] for d in differences)
    assert quoted(*differences[0]) not in row["summary"]
    # claims without comparisons summarise as their evidence says
    speed = table[table["claim"].str.startswith("(b)")].iloc[0]
    assert speed["summary"] == speed["evidence"]


def _chosen_table(differences: list[tuple[float, float]]) -> pd.DataFrame:
    """SeCAM's chosen sizes against its best top-k: (difference, half-width of the CI)."""
    rows = []
    for (difference, half), (selection, metric) in zip(
        differences,
        [("gap", "box_iou"), ("gap", "ebpg"), ("suff90", "box_iou"), ("suff90", "ebpg")],
        strict=False,
    ):
        rows.append(
            {
                "model": "m",
                "method": "secam",
                "selection": selection,
                "fixed": "top3",
                "metric": metric,
                "n": 40,
                "lift": 0.1 + difference,
                "fixed_lift": 0.1,
                "difference": difference,
                "difference_low": difference - half,
                "difference_high": difference + half,
                "wilcoxon_p": 0.5,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("differences", "verdict"),
    [
        ([(0.02, 0.01), (0.0, 0.03), (0.01, 0.02), (-0.01, 0.02)], "holds"),  # none worse
        ([(0.02, 0.01), (-0.05, 0.01), (0.0, 0.03), (0.0, 0.03)], "mixed"),
        ([(-0.05, 0.01)] * 4, "does not hold"),
    ],
)
def test_chosen_size_claim_reads_secams_lift_against_its_best_top_k(differences, verdict):
    metrics = _metrics(0.2)
    common = (_timings(0.025, 50.0), _matched(metrics, (0.0, 0.1)), _manifest(), {"m": "gradient"})
    table = claims_table(
        metrics, *common, resamples=300, chosen_vs_fixed=_chosen_table(differences)
    ).set_index("claim")
    claim = table[table.index.str.startswith("(e)")].iloc[0]
    assert claim["verdict"] == verdict
    assert claim["evidence"].count("vs top3") == 4
    # the paper's claims read only the paper's selections: a worse gap row changes none
    with_gap = pd.concat([metrics, metrics[metrics["selection"] == "top3"].assign(selection="gap")])
    with_gap.loc[with_gap["selection"] == "gap", ["box_iou", "ebpg"]] -= 1.0
    matched_with_gap = _matched(with_gap, (0.0, 0.1))  # the same draws for the paper's rows
    again = claims_table(
        with_gap, common[0], matched_with_gap, *common[2:], resamples=300
    ).set_index("claim")
    paper = ~table.index.str.startswith("(e)")
    assert (matched_with_gap["selection"] == "gap").any()
    assert table.loc[table.index.str.startswith("(d)"), "verdict"].tolist() == ["holds"]
    assert again.loc[table.index[paper], "verdict"].tolist() == table.loc[paper, "verdict"].tolist()
    no_chosen = claims_table(metrics, *common, resamples=300).set_index("claim")
    assert no_chosen[no_chosen.index.str.startswith("(e)")]["verdict"].tolist() == ["not measured"]
    off = claims_table(metrics, common[0], None, *common[2:], resamples=300).set_index("claim")
    assert "stages.baselines" in off[off.index.str.startswith("(e)")]["evidence"].iloc[0]
