"""The baselines' rows and the comparison at matched explanation area (issue #8).

Box IoU grows with the spread of an explanation and EBPG rewards the centre of the image, so a
difference between two methods at their own settings (the paper's comparison) can be an area or
centre-bias effect. Here each method is also compared with every other method, with random
superpixels and with a centred box, all redrawn at its own area image by image.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from secam.baselines import CENTRE_BOX, RANDOM_REGIONS
from secam.report.ordering import ordered
from secam.selection import Selection
from secam.statistics import RESAMPLES, SEED, bootstrap_ci, wilcoxon_p
from secam.table_columns import TABLES, check_columns

MATCHED_METRICS = ("box_iou", "mask_iou", "ebpg")


def baseline_metrics(baselines: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """The baselines as rows of the metrics table: random-regions and full-image as computed,
    and ``centre-box@<method>`` at each selection, a centred box of that explanation's area."""
    boxes = matched[matched["comparator"] == CENTRE_BOX]
    centred = pd.DataFrame(
        {
            "image_id": boxes["image_id"],
            "model": boxes["model"],
            "method": CENTRE_BOX + "@" + boxes["method"],
            "selection": boxes["selection"],
            "area": boxes["comparator_area"],
            "n_selected": 0,
            "truncated": False,
            **{metric: boxes[metric] for metric in MATCHED_METRICS},
            # a box is a flat heatmap: its energy share is its EBPG; it points nowhere
            "energy_ebpg": boxes["ebpg"],
            "pointing_hit": np.nan,
        }
    )
    return pd.concat([baselines, centred], ignore_index=True)


def matched_area(
    metrics: pd.DataFrame,
    baselines: pd.DataFrame,
    matched: pd.DataFrame,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> pd.DataFrame:
    """Method minus comparator, image by image: at the method's own area (``difference``) and,
    beside it, at the same selection as in the paper (``fixed_difference``; random-regions at
    top-k, other methods at the selections both have)."""
    keys = ["image_id", "model", "method", "selection"]
    merged = matched.merge(
        metrics[[*keys, *MATCHED_METRICS]], on=keys, suffixes=("_comparator", "")
    )
    fixed = pd.concat([metrics, baselines], ignore_index=True)[[*keys, *MATCHED_METRICS]]
    fixed = fixed.rename(columns={"method": "comparator"})
    merged = merged.merge(
        fixed,
        on=["image_id", "model", "comparator", "selection"],
        how="left",
        suffixes=("", "_fixed"),
    )
    rows = []
    groups = merged.groupby(["model", "method", "selection", "comparator"], sort=False)
    for (model, method, selection, comparator), group in groups:
        for metric in MATCHED_METRICS:
            ours = group[metric].to_numpy(float)
            matched_diff = ours - group[f"{metric}_comparator"].to_numpy(float)
            fixed_diff = ours - group[f"{metric}_fixed"].to_numpy(float)
            at_area = bootstrap_ci(matched_diff, resamples=resamples, seed=seed)
            at_selection = bootstrap_ci(fixed_diff, resamples=resamples, seed=seed)
            rows.append(
                {
                    "model": model,
                    "method": method,
                    "selection": selection,
                    "comparator": comparator,
                    "metric": metric,
                    "n": at_area.n,
                    "area": float(group["area"].mean()),
                    "comparator_area": float(group["comparator_area"].mean()),
                    "fixed_difference": at_selection.mean,
                    "fixed_low": at_selection.low,
                    "fixed_high": at_selection.high,
                    "difference": at_area.mean,
                    "difference_low": at_area.low,
                    "difference_high": at_area.high,
                    "wilcoxon_p": wilcoxon_p(matched_diff),
                }
            )
    frame = pd.DataFrame(rows, columns=list(TABLES["matched_area"]))
    return check_columns(
        ordered(
            frame,
            "method",
            "selection",
            "comparator",
            "metric",
            ranks={"metric": MATCHED_METRICS.index},
        ),
        "matched_area",
    )


def chosen_against_fixed(
    metrics: pd.DataFrame, matched: pd.DataFrame, resamples: int = RESAMPLES, seed: int = SEED
) -> pd.DataFrame:
    """Each size chosen without a hand-picked k (gap, sufficient:P) against the method's best
    top-k, at matched area.

    An explanation's lift is its metric minus that of random superpixels redrawn at its area,
    image by image: what the ranking adds beyond the area it covers. The best top-k is the one
    with the largest mean lift on the same images, per metric, picked after the fact (in its
    favour); the difference of the two lifts is paired image by image."""
    keys = ["image_id", "model", "method", "selection"]
    random = matched[matched["comparator"] == RANDOM_REGIONS]
    lifts = random.merge(metrics[[*keys, *MATCHED_METRICS]], on=keys, suffixes=("_random", ""))
    for metric in MATCHED_METRICS:
        lifts[metric] = lifts[metric] - lifts[f"{metric}_random"]
    kinds = lifts["selection"].map(lambda name: Selection.parse(name).kind)
    rows = []
    for (model, method), group in lifts.groupby(["model", "method"]):
        fixed = sorted(set(group.loc[kinds[group.index] == "top_k", "selection"]))
        chosen = sorted(set(group.loc[kinds[group.index].isin(["gap", "sufficient"]), "selection"]))
        if not fixed or not chosen:
            continue
        for metric in MATCHED_METRICS:
            per_image = group.pivot(index="image_id", columns="selection", values=metric)
            best = max(fixed, key=lambda name: float(per_image[name].mean()))
            for selection in chosen:
                pair = per_image[[selection, best]].dropna()
                diff = (pair[selection] - pair[best]).to_numpy(float)
                interval = bootstrap_ci(diff, resamples=resamples, seed=seed)
                rows.append(
                    {
                        "model": model,
                        "method": method,
                        "selection": selection,
                        "fixed": best,
                        "metric": metric,
                        "n": interval.n,
                        "lift": float(pair[selection].mean()),
                        "fixed_lift": float(pair[best].mean()),
                        "difference": interval.mean,
                        "difference_low": interval.low,
                        "difference_high": interval.high,
                        "wilcoxon_p": wilcoxon_p(diff),
                    }
                )
    frame = pd.DataFrame(rows, columns=list(TABLES["chosen_vs_fixed"]))
    return check_columns(
        ordered(frame, "method", "selection", "metric", ranks={"metric": MATCHED_METRICS.index}),
        "chosen_vs_fixed",
    )
