"""The example grid (the paper's Table II): its cells gathered from the explain stage's tables
and masks, then drawn over the embedded sample images."""

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from PIL import Image

from secam.artifacts import write_arrays, write_table
from secam.report.figures import ExampleCell, draw_examples, grid_size
from secam.report.overlay import DARKEN, DPI, FONT_SIZE

from ..conftest import sample_image_path
from .conftest import documented_table

SHAPES = {"chelsea": (300, 451), "coffee": (400, 600)}
table = partial(documented_table, fill=0)  # the documented columns, integer zeros


def explanation(image_id: str, method: str, selection: str, seconds: float) -> dict:
    return {
        "image_id": image_id,
        "model": "m",
        "method": method,
        "selection": selection,
        "selected_regions": [1, 2],
        "region_scores": [0.1, 0.5, 0.4],
        "truncated": False,
        "area": 0.25,
        "seconds": seconds,
    }


def box_mask(image_id: str, top: int, left: int, size: int) -> np.ndarray:
    mask = np.zeros(SHAPES[image_id], dtype=bool)
    mask[top : top + size, left : left + size] = True
    return mask


@pytest.fixture
def stage_outputs(tmp_path):
    """An explain stage's files: two shards of SeCAM, one of LIME, and the predictions."""
    masks = {
        ("m", "secam", "0"): {
            "chelsea/top2": box_mask("chelsea", 10, 20, 100),
            "chelsea/thr80": box_mask("chelsea", 50, 60, 80),
            "coffee/top2": box_mask("coffee", 100, 200, 150),
        },
        ("m", "lime", "0"): {"chelsea/top2": box_mask("chelsea", 0, 0, 60)},
    }
    rows = {
        ("m", "secam", "0"): [
            explanation("chelsea", "secam", "top2", 0.0123),
            explanation("chelsea", "secam", "thr80", 0.02),
            explanation("coffee", "secam", "top2", 0.03),
        ],
        ("m", "lime", "0"): [explanation("chelsea", "lime", "top2", 4.5)],
        # a shard without the wanted images: its masks are never read
        ("m", "lime", "1"): [explanation("rocket", "lime", "top2", 5.0)],
    }
    explanations, mask_paths = {}, {}
    for key, key_rows in rows.items():
        name = "_".join(key)
        explanations[key] = tmp_path / f"{name}.parquet"
        write_table(
            table("explanations", key_rows),
            explanations[key],
            "explanations",
        )
        mask_paths[key] = tmp_path / f"{name}.npz"
        if key in masks:
            write_arrays(mask_paths[key], masks[key])
    predictions = tmp_path / "predictions.parquet"
    predicted = [("chelsea", 285), ("coffee", -1), ("rocket", 3)]
    write_table(
        table(
            "predictions",
            [{"image_id": i, "model": "m", "predicted_index": p} for i, p in predicted],
        ),
        predictions,
        "predictions",
    )
    return explanations, mask_paths, [predictions], masks


@pytest.fixture
def manifest() -> pd.DataFrame:
    """The staged manifest of the two images, indexed by image id as the report reads it."""
    rows = []
    for image_id, class_index, boxes in (
        ("chelsea", 281, [[0, 0, 415, 299]]),
        ("coffee", 967, [[174, 17, 410, 312], [10, 10, 49, 29]]),
    ):
        path = sample_image_path(image_id)
        rows.append(
            {
                "image_id": image_id,
                "source": str(path),
                "offset": -1,
                "size_bytes": path.stat().st_size,
                "class_index": class_index,
                "boxes": boxes,
            }
        )
    return pd.DataFrame(rows).set_index("image_id", drop=False)


def test_gather_picks_exactly_the_requested_images(stage_outputs, manifest):
    explanations, masks, predictions, arrays = stage_outputs
    cells = ExampleCell.gather(manifest, ["chelsea"], explanations, masks, predictions)
    found = sorted((c.image_id, c.method, c.selection) for c in cells)
    assert found == [("chelsea", "lime", "top2"), ("chelsea", "secam", "thr80"),
                     ("chelsea", "secam", "top2")]  # fmt: skip
    for cell in cells:
        assert cell.model == "m" and cell.predicted == 285
        key = ("m", cell.method, "0")
        assert np.array_equal(cell.mask, arrays[key][f"chelsea/{cell.selection}"])
        assert isinstance(cell.seconds, float)
    assert {(c.method, c.selection): c.seconds for c in cells} == {
        ("lime", "top2"): 4.5,
        ("secam", "thr80"): 0.02,
        ("secam", "top2"): 0.0123,
    }


def test_gather_charges_the_segmentation_to_superpixel_methods(stage_outputs, manifest, tmp_path):
    # end to end as in Table I: SeCAM and LIME cannot run without their image's superpixels,
    # CAM's thresholded pixels need none
    explanations, masks, predictions, _ = stage_outputs
    cam = ("m", "cam", "0")
    explanations = {**explanations, cam: tmp_path / "cam.parquet"}
    masks = {**masks, cam: tmp_path / "cam.npz"}
    write_table(
        table("explanations", [explanation("chelsea", "cam", "thr80", 0.01)]),
        explanations[cam],
        "explanations",
    )
    write_arrays(masks[cam], {"chelsea/thr80": box_mask("chelsea", 5, 5, 50)})
    plain = ExampleCell.gather(manifest, ["chelsea"], explanations, masks, predictions)
    charged = ExampleCell.gather(
        manifest, ["chelsea"], explanations, masks, predictions, {"chelsea": 0.25, "coffee": 9.0}
    )
    key = lambda cell: (cell.method, cell.selection)  # noqa: E731
    before = {key(cell): cell.seconds for cell in plain}
    assert {key(cell): cell.seconds - before[key(cell)] for cell in charged} == pytest.approx(
        {
            ("cam", "thr80"): 0.0,
            ("lime", "top2"): 0.25,
            ("secam", "thr80"): 0.25,
            ("secam", "top2"): 0.25,
        }
    )


def test_gather_of_both_images_and_of_none(stage_outputs, manifest):
    explanations, masks, predictions, _ = stage_outputs
    cells = ExampleCell.gather(manifest, ["coffee", "chelsea"], explanations, masks, predictions)
    assert sorted(c.image_id for c in cells) == ["chelsea"] * 3 + ["coffee"]
    coffee = next(c for c in cells if c.image_id == "coffee")
    assert coffee.predicted == -1 and coffee.mask.shape == SHAPES["coffee"]
    assert ExampleCell.gather(manifest, [], explanations, masks, predictions) == []
    assert ExampleCell.gather(manifest, ["china"], explanations, masks, predictions) == []


def test_example_grid_rows_columns_and_cells(stage_outputs, manifest, tmp_path, drawn, chelsea):
    explanations, masks, predictions, _ = stage_outputs
    cells = ExampleCell.gather(manifest, ["chelsea", "coffee"], explanations, masks, predictions)
    out = tmp_path / "grid" / "examples.png"
    draw_examples(cells, manifest, [out, out.with_suffix(".pdf")])
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    with Image.open(out) as written:
        # 3 rows (LIME top2, SeCAM top2, SeCAM thr80) x 2 columns (chelsea, coffee)
        width, height = grid_size(3, 2)
        assert written.format == "PNG"
        assert written.size == (round(width * DPI), round(height * DPI))
    (figure,) = drawn
    axes = np.array(figure.axes).reshape(3, 2)
    assert [axis.get_ylabel() for axis in axes[:, 0]] == [
        "LIME\n(2 segments)",
        "SeCAM\n(2 segments)",
        "SeCAM\n(80 % of max)",
    ]
    texts = [axes[0, c].title for c in range(2)] + [axis.yaxis.label for axis in axes.ravel()]
    assert min(text.get_fontsize() for text in texts) >= FONT_SIZE
    # one model: named once above the grid, not over every column
    assert figure.get_suptitle() == "m"
    assert axes[0, 0].get_title() == "L: tabby\nP: Egyptian cat"
    assert axes[0, 1].get_title() == "L: espresso\nP: other"
    # LIME did not explain coffee: that cell says so
    assert [t.get_text() for t in axes[0, 1].texts] == ["n/a"] and not axes[0, 1].images
    assert axes[0, 0].get_xlabel() == "Time: 4.5 s"
    assert axes[1, 0].get_xlabel() == "Time: 0.0123 s"
    # thumbnails: every second pixel of images wider than 320
    shown = np.asarray(axes[1, 0].images[0].get_array())
    assert shown.shape == (150, 226, 3)
    assert np.array_equal(shown[20, 30], chelsea[40, 60])  # inside the mask: as it was
    assert np.array_equal(shown[100, 150], (chelsea[200, 300] * DARKEN).astype(np.uint8))
    assert np.asarray(axes[1, 1].images[0].get_array()).shape == (200, 300, 3)
    # the ground-truth boxes, scaled with the thumbnail
    boxes = [p for p in axes[1, 1].patches if isinstance(p, Rectangle)]
    assert len(boxes) == 2
    assert boxes[0].get_xy() == (174 / 2 - 0.5, 17 / 2 - 0.5)
    assert (boxes[0].get_width(), boxes[0].get_height()) == (237 / 2, 296 / 2)
    assert len(axes[2, 1].patches) == 0  # n/a cell: no boxes either


def test_example_grid_of_two_models_names_each_column(stage_outputs, manifest, tmp_path, drawn):
    explanations, masks, predictions, _ = stage_outputs
    (cell, *_) = ExampleCell.gather(manifest, ["chelsea"], explanations, masks, predictions)
    draw_examples([cell, replace(cell, model="n")], manifest, [tmp_path / "examples.png"])
    (figure,) = drawn
    assert figure.get_suptitle() == ""
    assert [axis.get_title() for axis in figure.axes] == [
        "m\nL: tabby\nP: Egyptian cat",
        "n\nL: tabby\nP: Egyptian cat",
    ]


def test_example_grid_without_cells_is_an_empty_figure(tmp_path, manifest, drawn):
    out = tmp_path / "examples.png"
    draw_examples([], manifest, [out])
    with Image.open(out) as written:
        width, height = grid_size(1, 1)
        assert written.size == (round(width * DPI), round(height * DPI))
    (figure,) = drawn
    assert len(figure.axes) == 1 and not figure.axes[0].images
