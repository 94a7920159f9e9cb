import json
import subprocess
import sys

import numpy as np
import pytest

from secam.classes import imagenet_classes
from secam.explainer import explain_image, parse_class, parse_selection
from secam.segmentation import segment
from secam.selection import Selection

from .conftest import sample_image_path

CAT_BOX = (0, 0, 415, 299)  # data/sample/LOC_val_solution.csv


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "secam.cli", *args], capture_output=True, text=True, check=False
    )


def test_cli_on_chelsea_writes_png_and_json_with_the_top_region_on_the_cat(tmp_path):
    image = sample_image_path("chelsea")
    result = _run(
        "explain",
        str(image),
        "--model",
        "efficientnet_lite0",
        "--method",
        "secam",
        "--segmentation",
        "slic",
        "--n-segments",
        "50",
        "--select",
        "top-k:3",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "chelsea.png").stat().st_size > 10_000
    record = json.loads((tmp_path / "chelsea.json").read_text())
    assert record["prediction"]["wnid"] in {"n02123045", "n02123159", "n02124075"}
    assert record["explained"] == record["prediction"]
    assert record["model"]["head_path"] == "cam" and record["map_source"] == "cam"
    scores = np.array(record["region_scores"])
    assert len(scores) == record["n_regions"] and len(record["selected_regions"]) == 3
    top = record["selected_regions"][0]
    assert scores[top] == scores.max()
    # the top region, recomputed from the same SLIC parameters, lies inside the cat's box
    from secam.imaging import load_rgb

    labels = segment(load_rgb(image), n_segments=50, compactness=10)
    rows, cols = np.nonzero(labels == top)
    assert cols.min() >= CAT_BOX[0] and cols.max() <= CAT_BOX[2]
    assert rows.min() >= CAT_BOX[1] and rows.max() <= CAT_BOX[3]
    assert record["seconds"]["forward"] > 0 and record["versions"]["torch"]


def test_cli_explains_another_class_and_reports_bad_arguments(tmp_path):
    image = str(sample_image_path("coffee"))
    result = _run(
        "explain",
        image,
        "--method",
        "gradcam",
        "--select",
        "threshold:0.7",
        "--target",
        "coffee mug",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "coffee.json").read_text())
    assert record["explained"]["label"] == "coffee mug"
    assert record["region_scores"] == [] and 0 < record["area"] < 1
    bad = _run("explain", image, "--select", "top-k:0", "--out", str(tmp_path))
    assert bad.returncode == 2 and "k must be at least 1" in bad.stderr
    unknown = _run("explain", image, "--target", "unicorn", "--out", str(tmp_path))
    assert unknown.returncode == 2 and "unknown class 'unicorn'" in unknown.stderr


def test_selection_and_class_parsing():
    assert parse_selection("top-k:4") == Selection("top_k", 4)
    assert parse_selection("threshold:0.6") == Selection("threshold", 0.6)
    assert parse_selection("thr80") == Selection("threshold", 0.8)
    with pytest.raises(ValueError):
        parse_selection("threshold:1.5")
    assert imagenet_classes().wnids[285] == "n02124075"
    assert parse_class("285") == 285
    assert parse_class("n02123045") == 281
    assert parse_class("Tabby cat") == 281
    with pytest.raises(ValueError):
        parse_class("1000")


def test_explain_image_matches_the_pipeline_blocks(embedded_model, chelsea):
    explanation = explain_image(embedded_model, chelsea, "secam", Selection("threshold", 0.7))
    best = explanation.region_scores.max()
    kept = set(np.flatnonzero(explanation.region_scores >= 0.7 * best))
    assert set(explanation.selected_regions.tolist()) == kept
    assert np.array_equal(explanation.mask, np.isin(explanation.labels, list(kept)))
    with pytest.raises(ValueError, match="threshold"):
        explain_image(embedded_model, chelsea, "cam", Selection("top_k", 3))
