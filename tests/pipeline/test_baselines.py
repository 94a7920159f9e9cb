"""The baselines stage on the two embedded photographs: seeded random superpixels at each top-k,
the full image, and every explanation redrawn at another one's area."""

import numpy as np
import pandas as pd
import pytest

from secam.artifacts import read_arrays, read_table, write_arrays, write_table
from secam.baselines import centre_box, image_rng, random_order, random_scores
from secam.metrics import MASK_METRICS, Explained, box_area, box_iou, score_batch
from secam.pipeline.baselines import run_baselines
from secam.pipeline.explain import ShardInputs
from secam.selection import gap_size, rank_regions

MODEL = "efficientnet_lite0"


def _baselines(sample_run, tmp_path, inputs=None, explanations=None, seed=0):
    config = {**sample_run.config, "baselines": {"seed": seed}}
    out_baselines, out_matched = tmp_path / "baselines.parquet", tmp_path / "matched.parquet"
    run_baselines(
        MODEL,
        config,
        inputs or sample_run.inputs,
        sample_run.maps,
        sample_run.explanations if explanations is None else explanations,
        out_baselines,
        out_matched,
    )
    return read_table(out_baselines, "metrics"), read_table(out_matched, "matched")


def _region_shares(labels):
    return np.bincount(labels.reshape(-1)) / labels.size


@pytest.fixture(scope="module")
def baseline_tables(sample_run, tmp_path_factory):
    return _baselines(sample_run, tmp_path_factory.mktemp("baselines"))


def test_random_regions_are_k_seeded_superpixels_and_full_image_is_everything(
    sample_run, baseline_tables
):
    baselines, _ = baseline_tables
    labels = read_arrays(sample_run.inputs.labels)
    manifest = read_table(sample_run.inputs.manifest, "manifest").set_index("image_id")
    # per image: random-regions at top2, top3, top4, gap and suff90, and the full image
    assert len(baselines) == 2 * 6
    assert (baselines["model"] == MODEL).all()
    rows = baselines.set_index(["image_id", "method", "selection"]).sort_index()
    for image_id, n_regions in (("chelsea", 42), ("coffee", 41)):
        shares = _region_shares(labels[image_id])
        assert shares.size == n_regions
        order = random_order(n_regions, image_rng(0, image_id))
        for k in (2, 3, 4):
            row = rows.loc[(image_id, "random-regions", f"top{k}")]
            # the area of exactly the first k superpixels of the image's seeded draw
            assert row["area"] == pytest.approx(shares[order[:k]].sum(), abs=1e-12)
            assert row["n_regions"] == n_regions and not row["truncated"]
        areas = [rows.loc[(image_id, "random-regions", f"top{k}"), "area"] for k in (2, 3, 4)]
        assert areas[0] < areas[1] < areas[2] < 0.5
        # gap cuts the same order where its uniform random scores drop most; sufficient:P keeps
        # a prefix of it too (its length found by the model)
        rng = image_rng(0, image_id)
        scores = random_scores(random_order(n_regions, rng), rng)
        assert rank_regions(scores).tolist() == order.tolist()
        prefixes = np.cumsum(shares[order])
        gap = rows.loc[(image_id, "random-regions", "gap")]
        assert gap["area"] == pytest.approx(prefixes[gap_size(scores) - 1], abs=1e-12)
        sufficient = rows.loc[(image_id, "random-regions", "suff90")]
        assert np.isclose(prefixes, sufficient["area"], rtol=0, atol=1e-12).sum() == 1
        assert not gap["truncated"] and not sufficient["truncated"]

        full = rows.loc[(image_id, "full-image", "all")]
        assert full["area"] == 1.0 and not full["truncated"]
        (box,) = manifest.loc[image_id, "boxes"]
        height, width = manifest.loc[image_id, ["height", "width"]]
        inside = box_area(box) / (height * width)  # chelsea 416 x 300 of 451 x 300
        assert full["box_iou"] == pytest.approx(box_iou([0, 0, width - 1, height - 1], box))
        assert full["mask_iou"] == pytest.approx(inside)
        assert full["ebpg"] == pytest.approx(inside)
        assert full["pointing_hit"] == 1.0  # a flat heatmap points at the centre, in both boxes
    assert rows.loc[("chelsea", "full-image", "all"), "mask_iou"] == pytest.approx(416 / 451)

    # the image's columns: the label, the prediction, whether it is right
    by_image = baselines.groupby("image_id")
    assert by_image["label_index"].unique().to_dict() == {"chelsea": [281], "coffee": [967]}
    assert by_image["predicted_index"].unique().to_dict() == {"chelsea": [285], "coffee": [967]}
    assert by_image["correct"].unique().to_dict() == {"chelsea": [False], "coffee": [True]}


def test_a_segmentation_with_fewer_regions_than_k_is_flagged_truncated(sample_run, tmp_path):
    labels = read_arrays(sample_run.inputs.labels)
    thirds = np.zeros_like(labels["chelsea"])
    width = thirds.shape[1]
    thirds[:, width // 3 :] = 1
    thirds[:, 2 * width // 3 :] = 2
    coarse = {"chelsea": thirds, "coffee": np.zeros_like(labels["coffee"])}
    write_arrays(tmp_path / "labels.npz", coarse)
    inputs = ShardInputs(
        sample_run.inputs.manifest,
        sample_run.inputs.shard,
        tmp_path / "labels.npz",
        sample_run.inputs.segments,
        sample_run.inputs.predictions,
    )
    baselines, matched = _baselines(sample_run, tmp_path, inputs=inputs, explanations={})
    rows = baselines.set_index(["image_id", "selection"])
    order = random_order(3, image_rng(0, "chelsea"))
    shares = _region_shares(thirds)
    assert rows.loc[("chelsea", "top2"), "area"] == pytest.approx(shares[order[:2]].sum())
    assert rows.loc[("chelsea", "top2"), "area"] < 0.7
    assert not rows.loc[("chelsea", "top2"), "truncated"]
    assert not rows.loc[("chelsea", "top3"), "truncated"]  # k = 3 regions: all, not truncated
    assert rows.loc[("chelsea", "top3"), "area"] == 1.0
    assert rows.loc[("chelsea", "top4"), "truncated"] and rows.loc[("chelsea", "top4"), "area"] == 1
    for k in (2, 3, 4):  # one region: every top-k takes it, the whole image
        assert rows.loc[("coffee", f"top{k}"), "truncated"]
        assert rows.loc[("coffee", f"top{k}"), "area"] == 1.0
    assert rows.loc["chelsea", "n_regions"].eq(3).all()
    assert rows.loc["coffee", "n_regions"].eq(1).all()
    assert not rows.loc[(slice(None), "all"), "truncated"].any()
    assert matched.empty  # no explanation to redraw


def test_the_draw_depends_on_the_seed_not_on_the_shard(sample_run, baseline_tables, tmp_path):
    baselines, matched = baseline_tables
    # coffee alone in its own shard, after chelsea's
    manifest = read_table(sample_run.inputs.manifest, "manifest")
    manifest["shard"] = ["shard00000", "shard00001"]
    write_table(manifest, tmp_path / "manifest.parquet", "manifest")
    inputs = ShardInputs(
        tmp_path / "manifest.parquet",
        "shard00001",
        sample_run.inputs.labels,
        sample_run.inputs.segments,
        sample_run.inputs.predictions,
    )
    alone, alone_matched = _baselines(sample_run, tmp_path, inputs=inputs)
    assert set(alone["image_id"]) == set(alone_matched["image_id"]) == {"coffee"}
    pd.testing.assert_frame_equal(
        alone.drop(columns="seconds"),
        baselines[baselines["image_id"] == "coffee"].drop(columns="seconds").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        alone_matched, matched[matched["image_id"] == "coffee"].reset_index(drop=True)
    )

    reseeded, _ = _baselines(sample_run, tmp_path / "seed1", seed=1)
    random = baselines["method"] == "random-regions"
    assert (reseeded["area"][random] != baselines["area"][random]).any()
    assert reseeded["area"][~random].tolist() == [1.0, 1.0]


def test_matched_comparators_are_drawn_at_the_explanation_area(sample_run, baseline_tables):
    _, matched = baseline_tables
    labels = read_arrays(sample_run.inputs.labels)
    manifest = read_table(sample_run.inputs.manifest, "manifest").set_index("image_id")
    explanations = {
        method: read_table(path, "explanations").set_index(["image_id", "selection"])
        for method, path in sample_run.explanations.items()
    }
    # per image: 8 SeCAM selections x (cam, random-regions, centre-box) + 3 CAM x (secam, ...)
    assert len(matched) == 2 * (8 * 3 + 3 * 3)
    comparators = matched.groupby("method")["comparator"].unique().map(sorted).to_dict()
    assert comparators == {
        "cam": ["centre-box", "random-regions", "secam"],
        "secam": ["cam", "centre-box", "random-regions"],
    }
    for row in matched.itertuples():
        assert row.area == explanations[row.method].loc[(row.image_id, row.selection), "area"]
    matched = matched.set_index("comparator")

    for image_id in ("chelsea", "coffee"):
        height, width = manifest.loc[image_id, ["height", "width"]]
        pixels = height * width
        shares = _region_shares(labels[image_id])
        here = matched[matched["image_id"] == image_id]

        # CAM is thresholded to the pixel; a centred box to about a column
        cam = here.loc[["cam"]]
        np.testing.assert_allclose(cam["comparator_area"], cam["area"], atol=0.5 / pixels)
        box = here.loc[["centre-box"]]
        np.testing.assert_allclose(box["comparator_area"], box["area"], atol=1 / width)
        # region comparators: a prefix of their own order, whole superpixels, the closest one
        secam_scores = explanations["secam"].loc[(image_id, "top2"), "region_scores"]
        orders = {
            "secam": rank_regions(np.asarray(secam_scores)),
            "random-regions": random_order(shares.size, image_rng(0, image_id)),
        }
        for comparator, order in orders.items():
            prefixes = np.cumsum(shares[order])
            for row in here.loc[[comparator]].itertuples():
                closest = prefixes[np.argmin(np.abs(prefixes - row.area))]
                assert row.comparator_area == pytest.approx(closest, abs=1e-12)
                assert abs(row.comparator_area - row.area) <= shares.max()

        # the centre box's mask metrics, recomputed on the box drawn at each area
        (object_box,) = manifest.loc[image_id, "boxes"]
        drawn = [centre_box((height, width), area) for area in box["area"]]
        expected = score_batch(
            [Explained(mask) for mask in drawn], [[list(object_box)]] * len(drawn), MASK_METRICS
        )
        for name in MASK_METRICS:
            np.testing.assert_allclose(box[name], expected[name], err_msg=name)
