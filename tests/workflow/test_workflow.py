"""End to end: the Snakemake workflow on the tiny .test configuration, in a temporary folder."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from secam.artifacts import read_arrays, read_table
from secam.imaging import load_rgb
from secam.table_columns import TABLES

from ..conftest import REPO, run_snakemake, sample_image_path
from .workflow_runs import user_model_workdir

METHODS = ["secam", "cam", "gradcam", "lime", "lime-batched", "gradcampp", "secam_layercam"]
PER_IMAGE = 8 + 3 + 3 + 5 + 5 + 3 + 8  # explanations per image, in the order of METHODS

pytestmark = pytest.mark.slow


def _snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_snakemake("--directory", str(workdir), "--cores", "2", *args)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("run")
    config = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())
    for key in ("annotations", "images"):
        config["dataset"][key] = str(REPO / config["dataset"][key])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = _snakemake(workdir, "--configfile", str(workdir / "config.yaml"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir / "results"


def test_every_artifact_has_the_documented_columns(finished_run):
    manifest = read_table(finished_run / "manifest.parquet", "manifest")
    assert manifest["image_id"].tolist() == ["chelsea", "coffee"]
    assert manifest["shard"].tolist() == ["shard00000", "shard00001"]  # shard_size 1
    assert read_table(finished_run / "rejected.parquet", "rejected").empty
    for shard in manifest["shard"]:
        segments = read_table(finished_run / "segments" / f"{shard}.parquet", "segments")
        predictions = read_table(
            finished_run / "activations" / "efficientnet_lite0" / f"{shard}.parquet", "predictions"
        )
        map_timings = read_table(
            finished_run / "activations" / "efficientnet_lite0" / f"{shard}.map_timings.parquet",
            "map_timings",
        )
        assert (segments["n_regions"] > 1).all()
        assert (predictions["head_path"] == "cam").all()
        # secam and cam share the CAM map; layercam feeds SeCAM; lime needs none
        assert sorted(map_timings["source"]) == ["cam", "gradcam", "gradcampp", "layercam"]
        assert (map_timings["seconds"] > 0).all()
        for method in METHODS:
            read_table(
                finished_run / "explanations" / "efficientnet_lite0" / method / f"{shard}.parquet",
                "explanations",
            )
            read_table(
                finished_run / "metrics" / "efficientnet_lite0" / method / f"{shard}.parquet",
                "metrics",
            )
    metrics = read_table(finished_run / "metrics.parquet", "metrics")
    timings = read_table(finished_run / "timings.parquet", "timings")
    summary = pd.read_csv(finished_run / "tables" / "summary.csv")
    assert list(summary.columns) == list(TABLES["summary"])
    # SeCAM (either map): 3 top-k, 3 thresholds, gap and suff90; heatmaps: 3 thresholds; LIME
    # (either): 3 top-k, gap and suff90
    per_image = PER_IMAGE
    assert len(metrics) == 2 * per_image and len(summary) == per_image
    assert len(timings) == 2 * len(METHODS)
    assert (
        metrics[["box_iou", "mask_iou", "ebpg", "area"]]
        .apply(lambda c: c.between(0, 1).all())
        .all()
    )
    assert (timings["total_seconds"] > 0).all()
    assert (timings["segmentation_seconds"] > 0).all()
    components = [
        f"{c}_seconds"
        for c in ("forward", "backward", "map", "upsample", "region", "sampling", "surrogate")
    ]
    np.testing.assert_allclose(
        timings["total_seconds"], timings[[*components, "select_seconds"]].sum(axis=1)
    )
    by_method = timings.set_index("method")
    lime_rows = by_method.loc[["lime", "lime-batched"]]
    assert (lime_rows[["forward_seconds", "sampling_seconds", "surrogate_seconds"]] > 0).all().all()
    assert (lime_rows[["backward_seconds", "map_seconds", "region_seconds"]] == 0).all().all()
    assert (by_method.loc["secam", "region_seconds"] > 0).all()
    assert (by_method.loc["secam", "backward_seconds"] == 0).all()  # CAM: no backward
    assert (by_method.loc["gradcam", "backward_seconds"] > 0).all()
    assert (by_method.loc[["secam", "cam", "gradcam"], "sampling_seconds"] == 0).all()
    # map methods report the threads of the activate job (2), which ran their forward pass
    assert (by_method.loc[["secam", "cam", "gradcam"], "threads"] == 2).all()


def test_masks_match_their_rows(finished_run):
    root = finished_run / "explanations" / "efficientnet_lite0" / "secam"
    table = read_table(root / "shard00000.parquet", "explanations")
    masks = read_arrays(root / "shard00000.npz")
    labels = read_arrays(finished_run / "segments" / "shard00000.npz")["chelsea"]
    for row in table.itertuples():
        mask = masks[f"{row.image_id}/{row.selection}"]
        assert mask.shape == (300, 451)
        assert mask.mean() == pytest.approx(row.area)
        assert np.array_equal(mask, np.isin(labels, row.selected_regions))
        scores = np.asarray(row.region_scores)
        assert len(scores) == row.n_regions == labels.max() + 1
        assert scores[row.selected_regions[0]] == scores.max()
    top = table.set_index("selection").loc[["top2", "top3", "top4"], "selected_regions"]
    assert [len(r) for r in top] == [2, 3, 4]


def test_report_outputs(finished_run):
    markdown = (finished_run / "tables" / "summary.md").read_text()
    assert "| efficientnet_lite0 | secam | top3 |" in markdown
    info = json.loads((finished_run / "run_info.json").read_text())
    assert info["packages"]["torch"] != "not installed"
    assert info["config"]["lime"]["num_samples"] == 50
    with Image.open(finished_run / "figures" / "examples.png") as figure:
        width, height = figure.size
    assert width > 300 and height > 1500  # 27 rows of explanations


def test_quantitative_tables_and_timing_figure(finished_run):
    tables = finished_run / "tables"
    for name in ("accuracy", "quantitative", "paired", "timing"):
        frame = pd.read_csv(tables / f"{name}.csv")
        assert list(frame.columns) == list(TABLES[name])
        assert (tables / f"{name}.md").read_text().count("\n") > 2
        assert "\\begin{tabular}" in (tables / f"{name}.tex").read_text()
    accuracy = pd.read_csv(tables / "accuracy.csv").iloc[0]
    # the share of the staged images whose top-1 prediction is their label, from the run's files
    labels = read_table(finished_run / "manifest.parquet", "manifest").set_index("image_id")
    predictions = pd.concat(
        pd.read_parquet(path)
        for path in sorted(
            (finished_run / "activations" / "efficientnet_lite0").glob("shard*[0-9].parquet")
        )
    )
    correct = (
        predictions["predicted_index"].to_numpy()
        == labels.loc[predictions["image_id"], "class_index"].to_numpy()
    )
    assert (accuracy["model"], accuracy["n"]) == ("efficientnet_lite0", 2)
    assert accuracy["top1"] == pytest.approx(correct.mean())
    quantitative = pd.read_csv(tables / "quantitative.csv")
    assert (quantitative["n"] == 2).all()
    methods = quantitative[quantitative["method"].isin(METHODS)]
    assert len(methods) == PER_IMAGE
    # then the baselines: random k regions, a centred box at each explanation's area, all
    baselines = quantitative.iloc[len(methods) :]
    assert baselines["method"].iloc[:3].tolist() == ["random-regions"] * 3
    assert baselines["method"].iloc[-1] == "full-image"
    centred = baselines[baselines["method"].str.startswith("centre-box@")]
    assert len(centred) == PER_IMAGE
    secam = quantitative.set_index(["method", "selection"])
    for selection in ("top3", "thr70"):
        assert secam.loc[("centre-box@secam", selection), "area"] == pytest.approx(
            secam.loc[("secam", selection), "area"], rel=0.01
        )
    paired = pd.read_csv(tables / "paired.csv")
    assert set(paired["baseline"]) == {
        "lime",
        "lime-batched",
        "cam",
        "gradcam",
        "gradcampp",
        "secam_layercam",
    }
    timing = pd.read_csv(tables / "timing.csv")
    assert set(timing["method"]) == set(METHODS) and (timing["n"] == 2).all()
    # SeCAM and LIME are charged their segmentation, CAM is not
    charged = timing.set_index("method")["segmentation_median_seconds"]
    assert charged["secam"] > 0 and charged["lime"] > 0 and charged["cam"] == 0
    with Image.open(finished_run / "figures" / "timing.png") as figure:
        assert figure.size[0] > 600 and figure.size[1] > 300
    assert (finished_run / "figures" / "timing.pdf").stat().st_size > 1000


def test_baselines_and_matched_area(finished_run):
    manifest = read_table(finished_run / "manifest.parquet", "manifest").set_index("image_id")
    baselines = read_table(finished_run / "baselines.parquet", "metrics")
    metrics = read_table(finished_run / "metrics.parquet", "metrics")
    assert sorted(set(baselines["method"])) == ["full-image", "random-regions"]
    # random regions at top2-4, gap and suff90, and the full image, per image
    assert len(baselines) == 2 * 6
    full = baselines[baselines["method"] == "full-image"].set_index("image_id")
    for image_id, row in full.iterrows():
        box = manifest.loc[image_id, "boxes"][0]
        share = (
            (box[2] - box[0] + 1)
            * (box[3] - box[1] + 1)
            / (manifest.loc[image_id, "width"] * manifest.loc[image_id, "height"])
        )
        assert row["area"] == 1.0 and row["ebpg"] == pytest.approx(share)

    matched = read_table(finished_run / "matched.parquet", "matched")
    # every explanation of an image against the 6 other methods and 2 area baselines
    assert len(matched) == 2 * PER_IMAGE * 8
    assert not (matched["comparator"] == matched["method"]).any()
    exact = matched[matched["comparator"].isin(["cam", "gradcam", "gradcampp", "centre-box"])]
    assert np.allclose(exact["comparator_area"], exact["area"], rtol=0.01, atol=1e-4)
    own = metrics.set_index(["image_id", "method", "selection"])["area"]
    keys = list(zip(matched["image_id"], matched["method"], matched["selection"], strict=True))
    np.testing.assert_allclose(matched["area"], own.loc[keys].to_numpy())

    table = pd.read_csv(finished_run / "tables" / "matched_area.csv")
    assert list(table.columns) == list(TABLES["matched_area"])
    assert len(table) == PER_IMAGE * 8 * 3 and (table["n"] == 2).all()
    fixed = table.set_index(["method", "selection", "comparator", "metric"])
    # at the same selection the paper's comparison exists; a centred box has no selection
    assert np.isfinite(fixed.loc[("secam", "top3", "lime", "box_iou"), "fixed_difference"])
    assert np.isfinite(fixed.loc[("secam", "top3", "random-regions", "ebpg"), "fixed_difference"])
    assert np.isnan(fixed.loc[("secam", "top3", "centre-box", "ebpg"), "fixed_difference"])
    assert "\\begin{tabular}" in (finished_run / "tables" / "matched_area.tex").read_text()


def test_sizes_chosen_without_a_hand_picked_k(finished_run):
    tables = finished_run / "tables"
    metrics = read_table(finished_run / "metrics.parquet", "metrics")
    sizes = pd.read_csv(tables / "chosen_sizes.csv")
    assert list(sizes.columns) == list(TABLES["chosen_sizes"])
    region_methods = ["lime", "lime-batched", "secam", "secam_layercam", "random-regions"]
    assert sorted(set(sizes["method"])) == sorted(region_methods)
    assert len(sizes) == 2 * len(region_methods) and set(sizes["selection"]) == {"gap", "suff90"}
    for row in sizes[sizes["method"] != "random-regions"].itertuples():
        own = metrics[(metrics["method"] == row.method) & (metrics["selection"] == row.selection)]
        assert row.k_mean == pytest.approx(own["n_selected"].mean())
        assert 1 <= row.k_min <= row.k_median <= row.k_max
    against = pd.read_csv(tables / "chosen_vs_fixed.csv")
    assert list(against.columns) == list(TABLES["chosen_vs_fixed"])
    assert len(against) == 4 * 2 * 3  # four region methods with top-k, two sizes, three metrics
    assert set(against["fixed"]) <= {"top2", "top3", "top4"} and (against["n"] == 2).all()
    np.testing.assert_allclose(
        against["difference"], against["lift"] - against["fixed_lift"], atol=1e-5
    )
    claims = pd.read_csv(tables / "claims.csv")
    chosen = claims[claims["claim"].str.startswith("(e)")].iloc[0]
    assert chosen["verdict"] in {"holds", "does not hold", "mixed"}
    assert "suff90 vs top" in chosen["evidence"] and "gap vs top" in chosen["evidence"]
    # the paper's claims read the paper's selections only
    paper = claims[~claims["claim"].str.startswith("(e)")]
    assert not paper["evidence"].str.contains("suff90|gap", regex=True).any()


def test_sanity_randomisation(finished_run):
    per_image = read_table(
        finished_run / "sanity" / "efficientnet_lite0" / "shard00000.parquet", "sanity"
    )
    assert list(per_image.columns) == list(TABLES["sanity"])
    assert set(per_image["method"]) == set(METHODS)
    assert sorted(set(per_image["depth"])) == [1, 2, 3]
    assert per_image["spearman"].between(-1, 1).all() and per_image["mask_iou"].between(0, 1).all()
    # the sizes chosen by the model are left out: they rerun it on every prefix
    assert "suff90" not in set(per_image["selection"]) and "gap" in set(per_image["selection"])
    summary = pd.read_csv(finished_run / "tables" / "sanity.csv")
    assert list(summary.columns) == list(TABLES["sanity_summary"])
    verdicts = summary.dropna(subset=["verdict"])
    assert sorted(verdicts["method"]) == sorted(METHODS) and (verdicts["depth"] == 2).all()
    assert set(verdicts["verdict"]) <= {
        "changes with the model",
        "does not change with the model",
        "unclear",
    }
    with Image.open(finished_run / "figures" / "sanity.png") as figure:
        assert figure.size[0] > 600 and figure.size[1] > 300


def test_faithfulness_curves(finished_run):
    curves = read_table(finished_run / "faithfulness.parquet", "faithfulness")
    # every method on both images, LIME included (its subset is every image here)
    assert len(curves) == 2 * len(METHODS)
    for row in curves.itertuples():
        assert len(row.fractions) == len(row.deletion) == len(row.insertion) == 11
        assert row.fractions[0] == 0 and row.fractions[-1] == 1
        assert row.deletion[0] == pytest.approx(row.insertion[-1])  # the untouched image
        assert 0 <= row.deletion_auc <= 1 and 0 <= row.insertion_auc <= 1
    by_method = curves.set_index(["method", "image_id"])
    # CAM and SeCAM rank superpixels identically on a GAP model
    for image_id in ("chelsea", "coffee"):
        assert by_method.loc[("cam", image_id), "deletion_auc"] == pytest.approx(
            by_method.loc[("secam", image_id), "deletion_auc"]
        )
    summary = pd.read_csv(finished_run / "tables" / "faithfulness.csv")
    assert list(summary.columns) == list(TABLES["faithfulness_summary"])
    # what each explanation alone keeps of the class's probability, one value per selection
    metrics = read_table(finished_run / "metrics.parquet", "metrics")
    for row in curves.itertuples():
        own = metrics[(metrics["method"] == row.method) & (metrics["image_id"] == row.image_id)]
        assert sorted(row.selections) == sorted(own["selection"])
        kept = dict(zip(row.selections, row.kept, strict=True))
        assert all(value > 0 for value in kept.values())
        if "suff90" in kept:
            assert kept["suff90"] >= 0.9 - 1e-4  # by construction, up to batch rounding
    kept_table = pd.read_csv(finished_run / "tables" / "selection_faithfulness.csv")
    assert list(kept_table.columns) == list(TABLES["selection_faithfulness"])
    assert len(kept_table) == PER_IMAGE
    with Image.open(finished_run / "figures" / "faithfulness.png") as figure:
        assert figure.size[0] > 800


def test_claims_table(finished_run):
    claims = pd.read_csv(finished_run / "tables" / "claims.csv")
    assert claims.columns.tolist() == ["claim", "model", "evidence", "verdict"]
    assert set(claims["verdict"]) <= {"holds", "does not hold", "mixed", "not measured"}
    speed = claims[claims["claim"].str.startswith("(b)")].iloc[0]
    assert "LIME/SeCAM" in speed["evidence"] and speed["verdict"] != "not measured"
    localises = claims[claims["claim"].str.contains("beyond area and centre bias")]
    assert len(localises) == len(METHODS)
    assert localises["evidence"].str.contains("random-regions box_iou top3").any()
    no_gap = claims[claims["claim"].str.startswith("(d)")].iloc[0]
    assert no_gap["verdict"] == "not measured"  # EfficientNet-Lite0 has a GAP head


def test_paper_table_and_figures(finished_run):
    table = pd.read_csv(finished_run / "tables" / "table1.csv")
    assert table.columns.tolist() == list(TABLES["table_one"])
    row = table.iloc[0]
    assert row["image_id"] == "chelsea"
    # the ratios are the table's own times divided (speed itself is the benchmarks' business;
    # a loaded CI machine can squeeze LIME's 50 samples to a few CAM times)
    segmentation = row["segmentation_seconds"]
    assert segmentation > 0
    # the CSV keeps six significant digits (%.6g), so a sum and its rounded parts differ there
    assert row["lime_total_seconds"] == pytest.approx(row["lime_seconds"] + segmentation, rel=1e-5)
    assert row["secam_total_seconds"] == pytest.approx(
        row["secam_seconds"] + segmentation, rel=1e-5
    )
    assert row["lime_over_cam"] == pytest.approx(
        row["lime_total_seconds"] / row["cam_seconds"], rel=1e-3
    )
    assert row["lime_over_secam"] == pytest.approx(
        row["lime_total_seconds"] / row["secam_total_seconds"], rel=1e-3
    )
    assert row["lime_over_cam"] > 1
    sizes = {}
    for number in range(1, 6):
        with Image.open(finished_run / "figures" / f"figure{number}.png") as figure:
            sizes[number] = figure.size
            # not blank: the pixels vary
            assert np.asarray(figure.convert("L")).std() > 10
        assert (finished_run / "figures" / f"figure{number}.pdf").stat().st_size > 1000
    assert sizes[1][0] > 500  # the whole chelsea image at 120 dpi
    assert sizes[2][0] > sizes[2][1]  # three panels side by side
    # chelsea (tabby) is predicted as an Egyptian cat: the first misclassified image
    assert sizes[3][0] > 1000


def test_lime_batched_gives_the_packages_explanation(finished_run):
    root = finished_run / "explanations" / "efficientnet_lite0"
    for shard in ("shard00000", "shard00001"):
        package = read_table(root / "lime" / f"{shard}.parquet", "explanations")
        batched = read_table(root / "lime-batched" / f"{shard}.parquet", "explanations")
        for a, b in zip(package.itertuples(), batched.itertuples(), strict=True):
            scores = np.asarray(a.region_scores)
            np.testing.assert_allclose(
                b.region_scores, scores, rtol=0, atol=1e-5 * np.abs(scores).max()
            )


def test_paper_tables_two_and_three(finished_run):
    # Table II: the GAP model's grid, 11 rows x (1 model x 2 images); Table III: no such model.
    with Image.open(finished_run / "figures" / "table2.png") as grid:
        width, height = grid.size
        assert height > 3 * width  # eleven rows of two columns
        assert np.asarray(grid.convert("L")).std() > 10
    with Image.open(finished_run / "figures" / "table3.png") as placeholder:
        assert placeholder.size[1] < 400  # a one-line note: EfficientNet-Lite0 has GAP
    for n in (2, 3):
        assert (finished_run / "figures" / f"table{n}.pdf").stat().st_size > 1000


def test_segmentation_comparison(finished_run):
    table = pd.read_csv(finished_run / "tables" / "segmentation.csv")
    assert table.columns.tolist() == list(TABLES["segmentation"])
    # SeCAM: 6 selections and gap, LIME: 3 and gap, on each of slic (main), quickshift and
    # felzenszwalb; sufficient:P on the main algorithm only (it reruns the model)
    assert len(table) == 3 * (7 + 4) + 2
    compared_selections = set(table.loc[table["algorithm"] != "slic", "selection"])
    assert "gap" in compared_selections and "suff90" not in compared_selections
    assert set(table["algorithm"]) == {"slic", "quickshift", "felzenszwalb"}
    main = table[table["algorithm"] == "slic"]
    compared = table[table["algorithm"] != "slic"]
    assert main["agreement"].isna().all()
    assert compared["agreement"].between(0, 1).all()
    assert (table["regions_mean"] > 5).all()
    # the main rows repeat the main run's metrics exactly
    metrics = read_table(finished_run / "metrics.parquet", "metrics")
    secam_top3 = metrics[(metrics["method"] == "secam") & (metrics["selection"] == "top3")]
    row = main[(main["method"] == "secam") & (main["selection"] == "top3")].iloc[0]
    assert row["box_iou"] == pytest.approx(secam_top3["box_iou"].mean(), abs=1e-5)  # CSV rounding
    # the compared runs have their own superpixels, explanations and metrics
    for algorithm in ("quickshift", "felzenszwalb"):
        root = finished_run / "segcompare" / algorithm
        segments = read_table(root / "segments" / "shard00000.parquet", "segments")
        assert segments["algorithm"].tolist() == [algorithm]
        for method in ("secam", "lime"):
            read_table(
                root / "metrics" / "efficientnet_lite0" / method / "shard00000.parquet", "metrics"
            )
    claims = pd.read_csv(finished_run / "tables" / "claims.csv")
    segmentation_claim = claims[claims["claim"].str.startswith("(c)")].iloc[0]
    assert segmentation_claim["verdict"] != "not measured"
    assert "quickshift" in segmentation_claim["evidence"]
    with Image.open(finished_run / "figures" / "segmentation.png") as figure:
        assert figure.size[1] > figure.size[0]  # six rows (3 algorithms x 2 methods), 2 images
        assert np.asarray(figure.convert("L")).std() > 10


def test_logs_per_rule(finished_run):
    logs = sorted(
        p.relative_to(finished_run / "logs").as_posix()
        for p in (finished_run / "logs").rglob("*.log")
    )
    assert "stage.log" in logs and "summary.log" in logs
    assert "explain/efficientnet_lite0/lime/shard00001.log" in logs
    assert "baselines/efficientnet_lite0/shard00001.log" in logs


def test_each_job_writes_its_time_and_memory_beside_its_log(finished_run):
    """docs/outputs.md: each job's Snakemake benchmark table under benchmarks/, named as its log."""
    logs = {
        p.relative_to(finished_run / "logs").with_suffix("")
        for p in (finished_run / "logs").rglob("*.log")
    }
    tables = {
        p.relative_to(finished_run / "benchmarks").with_suffix("")
        for p in (finished_run / "benchmarks").rglob("*.tsv")
    }
    assert tables == logs
    segment = pd.read_csv(finished_run / "benchmarks" / "segment" / "shard00000.tsv", sep="\t")
    assert len(segment) == 1 and segment["s"].iloc[0] > 0 and segment["max_rss"].iloc[0] > 100


def test_html_report(finished_run):
    workdir = finished_run.parent
    report = workdir / "report.html"
    result = _snakemake(
        workdir, "--configfile", str(workdir / "config.yaml"), "--report", str(report)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = report.read_text(errors="replace")
    assert report.stat().st_size > 100_000
    for caption in (
        "Table I",
        "Figures 3-5",
        "bootstrap",
        "Table II",
        "Segmentation comparison",
        "beyond area and centre bias",
    ):
        assert caption in text, caption


def test_rerun_has_nothing_to_do(finished_run):
    workdir = finished_run.parent
    result = _snakemake(workdir, "--configfile", str(workdir / "config.yaml"), "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


def _planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """A dry run's "Job stats" table: rule -> number of jobs."""
    lines = (result.stdout + result.stderr).splitlines()
    start = lines.index("Job stats:") + 3  # past the header and its rule line
    planned = {}
    for line in lines[start:]:
        rule, count = line.split()
        if rule == "total":
            return planned
        planned[rule] = int(count)
    raise AssertionError("the job stats table has no total line")


def test_a_config_change_reruns_only_the_rules_that_read_it(finished_run):
    # A per-image rule's params are the config sections it reads: a new baselines seed, a
    # report option and one LIME method fewer rerun the baselines and the report, no model.
    workdir = finished_run.parent
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    config["methods"].remove("lime-batched")
    config.setdefault("baselines", {})["seed"] = 1
    config["report"]["example_images"] = 1
    changed = workdir / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))

    result = _snakemake(workdir, "--configfile", str(changed), "-n")

    assert result.returncode == 0, result.stderr[-3000:]
    planned = _planned_jobs(result)
    assert planned["baselines"] == len(list((finished_run / "baselines").rglob("*.parquet")))
    assert {"examples", "quantitative"} <= planned.keys()
    expensive = {"segment", "activate", "explain_maps", "explain_lime", "evaluate", "faithfulness"}
    assert not expensive & planned.keys(), planned


def test_a_user_model_from_a_factory_runs_through_the_workflow(tmp_path):
    """A ten-class classifier of the user's own, named as package.module:factory with a
    class-names file; the optional stages off, and the tables say what was not measured."""
    from ..user_models import CLASS_NAMES, tiny_classifier

    user_model_workdir(
        tmp_path,
        "tiny",
        "tests.user_models:tiny_classifier",
        methods=["secam", "cam"],
        selection={"top_k": [3], "thresholds": [0.8]},
        stages={"faithfulness": False, "baselines": False, "paper_figures": False},
    )
    # the factory's package is found on the Python path, as a researcher's installed one would be
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = run_snakemake(
        "--directory",
        str(tmp_path),
        "--cores",
        "2",
        "--configfile",
        str(tmp_path / "config.yaml"),
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = tmp_path / "results"

    predictions = read_table(results / "activations/tiny/shard00000.parquet", "predictions")
    (prediction,) = predictions.itertuples()
    assert prediction.head_path == "cam"
    assert prediction.target_label == CLASS_NAMES[prediction.target_index]
    assert prediction.predicted_index == -1  # "shape 3" is no ImageNet class
    # the CAM identity on the cached map: its mean plus the class's bias is the class's logit
    model = tiny_classifier()
    image = load_rgb(sample_image_path("chelsea"))
    from secam.models.preprocessing import Preprocessing

    with torch.no_grad():
        logits = model(Preprocessing.imagenet((224, 224))(image))[0]
    cam = read_arrays(results / "activations/tiny/shard00000.npz")["cam/chelsea"]
    target = prediction.target_index
    assert target == int(logits.argmax())
    assert cam.mean() + float(model.fc.bias.detach()[target]) == pytest.approx(
        float(logits[target]), abs=1e-5
    )

    metrics = read_table(results / "metrics.parquet", "metrics")
    assert sorted(set(zip(metrics["method"], metrics["selection"], strict=True))) == [
        ("cam", "thr80"),
        ("secam", "gap"),
        ("secam", "suff90"),  # the user's model runs on the kept regions too
        ("secam", "thr80"),
        ("secam", "top3"),
    ]
    assert not metrics["correct"].any()
    assert not (results / "faithfulness").exists() and not (results / "baselines").exists()
    assert not (results / "figures" / "figure1.png").exists()
    claims = pd.read_csv(results / "tables" / "claims.csv").set_index("claim")
    localisation = claims[claims.index.str.startswith("(a)")]
    assert len(localisation) and (localisation["verdict"] == "not measured").all()
    assert localisation["evidence"].str.contains("stages.baselines").all()
    tables = results / "tables"
    for name, stage in (
        ("faithfulness", "faithfulness"),
        ("selection_faithfulness", "faithfulness"),
        ("matched_area", "baselines"),
        ("chosen_vs_fixed", "baselines"),
    ):
        assert pd.read_csv(tables / f"{name}.csv").empty
        assert f"not measured: stages.{stage} is off" in (tables / f"{name}.md").read_text()
