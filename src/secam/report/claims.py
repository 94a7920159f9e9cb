"""The paper's claims, checked against the run's own numbers; nothing here is written by hand.

Verdict rules (also in docs/methods.md, "Claims"):

- (a) localisation, from the differences of box IoU and EBPG at matched explanation area (the
  matched-area table: the comparator redrawn at the area of the method's explanation, image by
  image, at every selection of the method): a difference is "better" when its 95 % CI lies
  above 0, "worse" when below. "At least as well as LIME" holds when no SeCAM-minus-LIME
  difference is worse, does not hold when all are, and is mixed otherwise. "Better than
  CAM/Grad-CAM" holds when all are better, does not hold when none is, and is mixed otherwise.
  A method "localises" (one row per method of the run) when it beats both random-regions and
  centre-box at its own area: holds when every difference is better, does not hold when none
  is, mixed otherwise.
- (b) speed, from per-image time ratios (geometric mean with a 95 % bootstrap CI): holds when
  SeCAM/CAM (Grad-CAM on heads without CAM) is at most 1.5 (CI upper end) and LIME/SeCAM at
  least 100 (CI lower end), does not hold when neither is met, mixed otherwise. The verdict
  uses end-to-end times: SeCAM and LIME are charged the segmentation they need, CAM none; a
  secondary row applies the same rule to the map-only times.
- (c) segmentation, from the segmentation comparison: per compared algorithm and SeCAM
  selection, the IoU of SeCAM's selected mask with the main algorithm's (mean over images, 95 %
  bootstrap CI). Holds when every CI's lower end is at least 0.5 (the two explanations share
  most of their pixels), does not hold when every upper end is below 0.5, mixed otherwise; not
  measured when the run compares no segmentation algorithms.
- (d) no-GAP model: SeCAM's EBPG minus the image's share covered by the boxes (what a random
  explanation would score), per image: holds when the CI lies above 0, does not hold when below,
  mixed otherwise; not measured without a gradient-path model in the run.

Claims (a) to (d) are the paper's and read its selections only (top-k and thresholds). One claim
goes beyond the paper:

- (e) SeCAM without a hand-picked k, from the chosen-against-fixed table
  (:func:`secam.report.matched.chosen_against_fixed`): for each size chosen without a
  hand-picked k (gap, sufficient:P) and each of box IoU and EBPG, its lift over random regions
  at its own area minus that of SeCAM's best top-k, image by image. Holds when no difference is
  worse (CI below 0), does not hold when all are, mixed otherwise; not measured when the run
  has no such selection or the baselines stage is off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from secam.baselines import CENTRE_BOX, RANDOM_REGIONS
from secam.methods import method_spec
from secam.metrics import boxes_mask
from secam.report.ordering import method_rank
from secam.report.tables import end_to_end_seconds, hand_picked
from secam.statistics import RESAMPLES, SEED, bootstrap_ci

COLUMNS = ["claim", "model", "evidence", "verdict"]  # tables/claims.csv
SUMMARY_COLUMNS = ["claim", "model", "verdict", "summary"]  # tables/claims.md and .tex
LOCALISATION = ("box_iou", "ebpg")
AGREEMENT_FLOOR = 0.5  # claim (c): the explanations share at least half of their pixels
SPEED_NEAR = 1.5  # claim (b): SeCAM over CAM, at most (upper end of the CI)
SPEED_FAST = 100  # claim (b): LIME over SeCAM, at least (lower end of the CI)


@dataclass(frozen=True)
class Interval:
    """One compared quantity of a claim's evidence: its mean and 95 % CI over n images."""

    label: str
    mean: float
    low: float
    high: float
    n: int

    def text(self) -> str:
        return f"{self.label}: {self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}] (n={self.n})"


def tally(intervals: Sequence[Interval], counts: dict[str, int]) -> str:
    """The one-line summary: ``counts`` (say 2 better, 1 worse, 3 not different), then the
    smallest and the largest mean, each with its CI and what it compares."""
    if not intervals:
        return "no comparison"
    smallest = min(intervals, key=lambda i: i.mean)
    largest = max(intervals, key=lambda i: i.mean)
    counted = ", ".join(f"{count} {word}" for word, count in counts.items())
    return f"{counted} of {len(intervals)}; smallest {smallest.text()}; largest {largest.text()}"


def _sides(
    intervals: Sequence[Interval], floor: float = 0.0, words: tuple[str, str, str] | None = None
) -> dict[str, int]:
    """How many CIs lie above ``floor``, below it, and across it."""
    above = sum(i.low > floor for i in intervals)
    below = sum(i.high < floor for i in intervals)
    names = words or ("better", "worse", "not different")
    return dict(zip(names, (above, below, len(intervals) - above - below), strict=True))


def _differences(rows: pd.DataFrame, label: Callable[[Any], str]) -> list[Interval]:
    """The ``difference`` of each row with its CI and n, labelled by ``label(row)``."""
    return [
        Interval(label(r), r.difference, r.difference_low, r.difference_high, r.n)
        for r in rows.itertuples()
    ]


def _result(verdict: str, evidence: str, summary: str | None = None) -> dict[str, str]:
    """A claim's cells; the summary is the evidence itself when that is one short line."""
    return {"evidence": evidence, "verdict": verdict, "summary": summary or evidence}


def _localisation(
    matched: pd.DataFrame, model: str, method: str, comparators: tuple[str, ...], at_least: bool
) -> dict[str, str] | None:
    rows = matched[
        (matched["model"] == model)
        & (matched["method"] == method)
        & matched["comparator"].isin(comparators)
        & matched["metric"].isin(LOCALISATION)
    ]
    rows = rows[(rows["n"] > 1) & hand_picked(rows["selection"])]
    if rows.empty:
        return None
    intervals = _differences(rows, lambda r: f"{r.comparator} {r.metric} {r.selection}")
    counts = _sides(intervals)
    better, worse = counts["better"], counts["worse"]
    if at_least:
        verdict = "holds" if worse == 0 else "does not hold" if worse == len(rows) else "mixed"
    else:
        verdict = "holds" if better == len(rows) else "does not hold" if better == 0 else "mixed"
    evidence = "; ".join(i.text() for i in intervals)
    return _result(
        verdict,
        f"at matched area, {better} better, {worse} worse of {len(rows)}: {evidence}",
        "at matched area, " + tally(intervals, counts),
    )


def _baselines_off(*_: object, **__: object) -> dict[str, str]:
    return _result("not measured", "the matched-area comparison is off (stages.baselines: false)")


def _log_ratio(
    per: pd.DataFrame, top: str, bottom: str, resamples: int, seed: int
) -> tuple[float, float, float, int] | None:
    """Geometric mean of ``top``'s time over ``bottom``'s, image by image (``per``: image x
    method), with its bootstrap CI and the number of images."""
    if top not in per or bottom not in per:
        return None
    ratios = np.log((per[top] / per[bottom]).dropna().to_numpy(float))
    if ratios.size == 0:
        return None
    interval = bootstrap_ci(ratios, resamples=resamples, seed=seed)
    return (
        float(np.exp(interval.mean)),
        float(np.exp(interval.low)),
        float(np.exp(interval.high)),
        interval.n,
    )


def _speed(
    timings: pd.DataFrame, model: str, resamples: int, seed: int, end_to_end: bool
) -> dict[str, str] | None:
    """Claim (b) on the time per explanation: ``end_to_end`` counts the segmentation SeCAM and
    LIME need (the verdict's basis), otherwise the map only (the secondary row)."""
    timings = timings[timings["model"] == model]
    seconds = end_to_end_seconds(timings) if end_to_end else timings["total_seconds"]
    per = timings.assign(seconds=seconds).pivot_table(
        index="image_id", columns="method", values="seconds"
    )
    reference = "cam" if "cam" in per else "gradcam"
    near = _log_ratio(per, "secam", reference, resamples, seed)
    fast = _log_ratio(per, "lime", "secam", resamples, seed)
    if near is None or fast is None:
        return None
    met = [near[2] <= SPEED_NEAR, fast[1] >= SPEED_FAST]
    verdict = "holds" if all(met) else "does not hold" if not any(met) else "mixed"
    basis = "end-to-end time (segmentation counted)" if end_to_end else "map-only time"
    evidence = (
        f"{basis}: SeCAM/{reference} {near[0]:.2f}x [{near[1]:.2f}, {near[2]:.2f}] "
        f"(n={near[3]}); LIME/SeCAM {fast[0]:.0f}x [{fast[1]:.0f}, {fast[2]:.0f}] (n={fast[3]})"
    )
    return _result(verdict, evidence)


def _segmentation(comparison: pd.DataFrame, model: str) -> dict[str, str] | None:
    rows = comparison[(comparison["model"] == model) & comparison["agreement"].notna()]
    rows = rows[hand_picked(rows["selection"])]
    secam = rows[(rows["method"] == "secam") & (rows["n"] > 1)]
    if secam.empty:
        return None
    intervals = [
        Interval(
            f"SeCAM {r.algorithm} {r.selection} agreement",
            r.agreement,
            r.agreement_low,
            r.agreement_high,
            r.n,
        )
        for r in secam.itertuples()
    ]
    # at least the floor: the CI's lower end reaches it (rule in the module's docstring)
    above = sum(i.low >= AGREEMENT_FLOOR for i in intervals)
    below = sum(i.high < AGREEMENT_FLOOR for i in intervals)
    verdict = (
        "holds" if above == len(secam) else "does not hold" if below == len(secam) else "mixed"
    )
    parts = [f"{i.label} {i.mean:.3f} [{i.low:.3f}, {i.high:.3f}] (n={i.n})" for i in intervals]
    lime = rows[rows["method"] == "lime"]
    parts += [
        f"LIME {algorithm} mean agreement {group['agreement'].mean():.3f}"
        for algorithm, group in lime.groupby("algorithm")
    ]
    counts = {
        f"at least {AGREEMENT_FLOOR}": above,
        f"below {AGREEMENT_FLOOR}": below,
        "undecided": len(intervals) - above - below,
    }
    return _result(
        verdict,
        f"{above} of {len(secam)} at least {AGREEMENT_FLOOR}: " + "; ".join(parts),
        "SeCAM's mask against the main algorithm's, IoU: " + tally(intervals, counts),
    )


def _chosen(chosen_vs_fixed: pd.DataFrame, model: str) -> dict[str, str] | None:
    """Claim (e): SeCAM's sizes chosen without a hand-picked k against its best top-k."""
    rows = chosen_vs_fixed[
        (chosen_vs_fixed["model"] == model)
        & (chosen_vs_fixed["method"] == "secam")
        & chosen_vs_fixed["metric"].isin(LOCALISATION)
        & (chosen_vs_fixed["n"] > 1)
    ]
    if rows.empty:
        return None
    intervals = _differences(rows, lambda r: f"{r.selection} vs {r.fixed} {r.metric} lift")
    counts = _sides(intervals)
    worse = counts["worse"]
    verdict = "holds" if worse == 0 else "does not hold" if worse == len(rows) else "mixed"
    evidence = "; ".join(i.text() for i in intervals)
    return _result(
        verdict,
        f"lift over random regions at matched area, {counts['better']} better, {worse} worse "
        f"of {len(rows)}: {evidence}",
        "lift over random regions at matched area, " + tally(intervals, counts),
    )


def box_share(manifest: pd.DataFrame) -> pd.Series:
    """Share of each image covered by the union of its boxes: a random explanation's EBPG."""
    shares = {
        row.image_id: float(
            boxes_mask(
                [list(map(int, b)) for b in row.boxes], (int(row.height), int(row.width))
            ).mean()
        )
        for row in manifest.itertuples()
    }
    return pd.Series(shares, dtype=float)


def _no_gap(
    metrics: pd.DataFrame, shares: pd.Series, model: str, resamples: int, seed: int
) -> dict[str, str]:
    rows = metrics[(metrics["model"] == model) & (metrics["method"] == "secam")]
    rows = rows[hand_picked(rows["selection"])]
    intervals = []
    for selection, group in rows.groupby("selection"):
        diff = group["ebpg"].to_numpy(float) - shares.loc[group["image_id"]].to_numpy(float)
        interval = bootstrap_ci(diff, resamples=resamples, seed=seed)
        intervals.append(
            Interval(
                f"EBPG - box share {selection}",
                interval.mean,
                interval.low,
                interval.high,
                interval.n,
            )
        )
    counts = _sides(intervals, words=("above", "below", "not different"))
    verdict = (
        "holds"
        if intervals and counts["above"] == len(intervals)
        else "does not hold"
        if intervals and counts["below"] == len(intervals)
        else "mixed"
    )
    if not intervals:
        return _result(verdict, "no SeCAM explanation")
    return _result(verdict, "; ".join(i.text() for i in intervals), tally(intervals, counts))


def claims_table(
    metrics: pd.DataFrame,
    timings: pd.DataFrame,
    matched: pd.DataFrame | None,
    manifest: pd.DataFrame,
    head_paths: dict[str, str],
    resamples: int = RESAMPLES,
    seed: int = SEED,
    segmentation: pd.DataFrame | None = None,
    chosen_vs_fixed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every claim per model: its verdict, the full evidence and a one-line summary (rules in
    the module docstring). ``tables/claims.csv`` holds :data:`COLUMNS`, the Markdown and LaTeX
    tables :data:`SUMMARY_COLUMNS`.

    ``matched`` is the matched-area table (:func:`secam.report.matched.matched_area`), None
    when the baselines stage is off; ``segmentation`` is the segmentation comparison's table,
    when the run has one; ``chosen_vs_fixed`` (claim (e)) comes from the same baselines.
    """
    localisation = _localisation if matched is not None else _baselines_off
    rows = []
    shares = box_share(manifest)
    for model in sorted(set(metrics["model"])):
        methods = sorted(set(metrics.loc[metrics["model"] == model, "method"]), key=method_rank)
        claims = [
            (
                f"(a) {method_spec(method).display_name} localises the object beyond area and "
                "centre bias (beats random regions and a centred box of the same area)",
                localisation(matched, model, method, (RANDOM_REGIONS, CENTRE_BOX), False),
            )
            for method in methods
        ]
        claims += [
            (
                "(a) SeCAM localises human boxes at least as well as LIME",
                localisation(matched, model, "secam", ("lime",), at_least=True),
            ),
            (
                "(a) SeCAM localises human boxes better than CAM and Grad-CAM",
                localisation(matched, model, "secam", ("cam", "gradcam"), at_least=False),
            ),
            (
                "(b) SeCAM runs in about CAM's time and over 100x faster than LIME, "
                "its segmentation counted",
                _speed(timings, model, resamples, seed, end_to_end=True),
            ),
            (
                "(b) secondary: the same on the map alone, segmentation left out",
                _speed(timings, model, resamples, seed, end_to_end=False),
            ),
        ]
        for claim, result in claims:
            result = result or _result("not measured", "the methods it needs are not in this run")
            rows.append({"claim": claim, "model": model, **result})
    claim_c = "(c) the segmentation algorithm barely changes what SeCAM selects"
    for model in sorted(set(metrics["model"])):
        result = _segmentation(segmentation, model) if segmentation is not None else None
        rows.append(
            {
                "claim": claim_c,
                "model": model,
                **(
                    result
                    or _result("not measured", "this run compares no segmentation algorithms")
                ),
            }
        )
    gradient_models = sorted(m for m, path in head_paths.items() if path == "gradient")
    for model in gradient_models or ["none"]:
        result = (
            _no_gap(metrics, shares, model, resamples, seed)
            if gradient_models
            else _result("not measured", "no model without global average pooling in this run")
        )
        rows.append({"claim": "(d) SeCAM works on a model without GAP", "model": model, **result})
    claim_e = (
        "(e) beyond the paper: SeCAM without a hand-picked k localises at least as well as its "
        "best fixed k at matched area"
    )
    for model in sorted(set(metrics["model"])):
        if matched is None:
            result = _baselines_off()
        else:
            found = _chosen(chosen_vs_fixed, model) if chosen_vs_fixed is not None else None
            result = found or _result(
                "not measured", "no gap or sufficient:P selection in this run"
            )
        rows.append({"claim": claim_e, "model": model, **result})
    return pd.DataFrame(rows, columns=[*COLUMNS, "summary"])
