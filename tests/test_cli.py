import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from secam.cli import _parser, main
from secam.config import load_schema
from secam.segmentation import segment
from secam.selection import Selection

from .conftest import FACTORY, SCHEMA_MAX_PIXELS, jpeg_claiming_size, sample_image_path
from .user_models import CLASS_NAMES, plant_code_running_weights

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


def test_cli_skips_each_unreadable_image_with_one_line_and_exits_1(tmp_path):
    bomb = jpeg_claiming_size(tmp_path / "bomb.JPEG", 20000, 20000)
    missing = tmp_path / "missing.JPEG"
    text = tmp_path / "not_an_image.JPEG"
    text.write_text("ImageId,PredictionString\n")
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (4, 40)).save(tiny)
    coffee = sample_image_path("coffee")  # 600x400 = 240000 pixels, over --max-pixels below
    good = sample_image_path("chelsea")  # 451x300 = 135300 pixels
    bad = [bomb, missing, text, tiny, coffee]
    out = tmp_path / "out"
    result = _run(
        "explain",
        str(bomb),
        str(good),
        *map(str, bad[1:]),
        "--max-pixels",
        "200000",
        "--method",
        "cam",
        "--select",
        "threshold:0.5",
        "--out",
        str(out),
    )
    assert result.returncode == 1, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["chelsea.json", "chelsea.png"]
    assert json.loads((out / "chelsea.json").read_text())["image"] == str(good)
    lines = [line for line in result.stderr.splitlines() if line.startswith("secam:")]
    assert len(lines) == len(bad), result.stderr
    for path, line in zip(bad, lines, strict=True):  # one line each, in order, naming the file
        assert line.startswith(f"secam: skipped {path}: ")
        assert sum(str(path) in other for other in result.stderr.splitlines()) == 1
    bomb_size = "image has 20000x20000 = 400000000 pixels, more than max_pixels = 200000"
    assert bomb_size in lines[0]
    assert lines[1].endswith("image file not found")
    assert "not a readable image" in lines[2]
    assert lines[3].endswith("image is 4x40 pixels, smaller than --min-side = 8")
    assert "image has 600x400 = 240000 pixels, more than max_pixels = 200000" in lines[4]


def test_cli_limits_default_to_the_workflow_schema():
    dataset = load_schema()["properties"]["dataset"]["properties"]
    args = _parser().parse_args(["explain", "image.JPEG", "--out", "out"])
    assert args.max_pixels == dataset["max_pixels"]["default"] == SCHEMA_MAX_PIXELS
    assert args.min_side == dataset["min_side"]["default"]
    for bad in ("0", "-3", "many"):
        with pytest.raises(SystemExit):
            _parser().parse_args(["explain", "x", "--out", "o", "--max-pixels", bad])


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--n-segments", "-5", "must be a whole number >= 1 (config key segmentation.n_segments)"),
        ("--n-segments", "0", "must be a whole number >= 1"),
        ("--n-segments", "2.5", "must be a whole number >= 1"),
        ("--compactness", "0", "must be a number > 0 (config key segmentation.compactness)"),
        ("--compactness", "nan", "must be a number > 0"),
        ("--compactness", "soft", "must be a number > 0"),
        ("--lime-samples", "0", "must be a whole number >= 1 (config key lime.num_samples)"),
        ("--seed", "-1", "must be a whole number >= 0 (config key lime.seed)"),
        ("--min-side", "0", "must be a whole number >= 1 (config key dataset.min_side)"),
        ("--select", "top-k:0", "k must be at least 1"),
        ("--select", "threshold:1.5", "the fraction must lie in (0, 1]"),
        ("--select", "threshold:0", "the fraction must lie in (0, 1]"),
        ("--select", "best:3", "use top-k:K, threshold:F, gap or sufficient:P"),
        ("--method", "shap", "invalid choice: 'shap'"),
        ("--segmentation", "watershed", "invalid choice: 'watershed'"),
        ("--device", "gpu", "expected auto, cpu, cuda, cuda:N or mps, not 'gpu'"),
    ],
)
def test_a_bad_argument_stops_at_parsing_with_one_line_naming_the_flag(
    flag, value, message, capsys
):
    with pytest.raises(SystemExit) as stopped:
        main(["explain", "image.JPEG", "--out", "out", flag, value])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith(f"secam explain: error: argument {flag}: ")
    assert message in error and repr(value) in error


def test_the_allowed_ranges_are_the_workflow_schemas(capsys):
    n_segments = load_schema()["properties"]["segmentation"]["properties"]["n_segments"]
    lowest = n_segments["minimum"]
    args = _parser().parse_args(
        ["explain", "x", "--out", "o", "--n-segments", str(lowest), "--compactness", "0.5"]
    )
    assert (args.n_segments, args.compactness) == (lowest, 0.5)
    assert args.select is None  # the method's kind decides: selection.SHOWN or SHOWN_HEATMAP
    assert _parser().parse_args(
        ["explain", "x", "--out", "o", "--select", "threshold:0.8"]
    ).select == (Selection("threshold", 0.8))
    with pytest.raises(SystemExit):
        _parser().parse_args(["explain", "x", "--out", "o", "--n-segments", str(lowest - 1)])
    assert f">= {lowest}" in capsys.readouterr().err


def test_the_cli_explains_with_a_factory_model_and_its_class_names(tmp_path, capsys):
    names = tmp_path / "classes.txt"
    names.write_text("\n".join(CLASS_NAMES) + "\n")
    image = sample_image_path("chelsea")
    status = main(
        ["explain", str(image), "--model", FACTORY, "--classes", str(names), "--out", str(tmp_path)]
    )
    assert status == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "chelsea.json").read_text())
    assert record["model"]["target_layer"] == "features"
    assert record["explained"]["label"] in CLASS_NAMES
    assert len(record["top5"]) == 5
    assert (tmp_path / "chelsea.png").is_file()


def test_an_error_meant_for_the_user_is_its_message_without_a_traceback(tmp_path):
    """Untrusted, missing or uncached weights and a missing class list: the message,
    ``secam: error: <message>``, exit status 2, no traceback; --debug adds the traceback."""
    image = str(sample_image_path("chelsea"))
    marker = tmp_path / "ran"
    planted = plant_code_running_weights(tmp_path / "planted.pt", marker)
    out = str(tmp_path / "out")
    cases = {
        "refusing weights file": ["--model", FACTORY, "--weights", str(planted)],
        "does not exist": ["--model", FACTORY, "--weights", str(tmp_path / "none.pt")],
        "class names file": ["--model", FACTORY, "--classes", str(tmp_path / "none.txt")],
        "are not cached": ["--model", "resnet18"],
    }
    environment = {**os.environ, "TORCH_HOME": str(tmp_path / "empty-cache")}
    for message, args in cases.items():
        result = subprocess.run(
            [sys.executable, "-m", "secam.cli", "explain", image, *args, "--out", out],
            capture_output=True,
            text=True,
            check=False,
            env=environment,
        )
        assert result.returncode == 2, result.stderr
        # the message alone (the uncached weights' one holds the command that fetches them)
        assert result.stderr.startswith("secam: error: ") and message in result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert not marker.exists()
    debug = _run("--debug", "explain", image, *cases["does not exist"], "--out", out)
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("secam: error: weights file")


def test_without_select_a_region_method_shows_three_regions_and_a_heatmap_its_threshold(
    tmp_path, capsys
):
    """The default selection is the paper figures' (secam.selection.SHOWN): SeCAM's three best
    regions; a heatmap method, which has no regions, is cut at 80 % of its maximum instead."""
    image = str(sample_image_path("chelsea"))
    for method, expected in (("secam", "top3"), ("cam", "thr80")):
        out = tmp_path / method
        assert main(["explain", image, "--method", method, "--out", str(out)]) == 0
        record = json.loads((out / "chelsea.json").read_text())
        assert record["parameters"]["selection"] == expected, capsys.readouterr().err
    assert len(record["selected_regions"]) == 0 and 0 < record["area"] < 1
