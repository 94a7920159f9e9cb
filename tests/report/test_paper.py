"""The paper's Table I and figures (secam.report.paper) on a run built by hand: the six embedded
sample images staged in two shards, with block superpixels, maps, predictions and masks written
as the stages write them."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from PIL import Image

from secam.artifacts import write_arrays, write_table
from secam.report import paper
from secam.report.figures import grid_size
from secam.report.overlay import DPI, FONT_SIZE, HEAT_LABEL, OUTLINE, PAGE_WIDTH
from secam.report.paper import (
    RunData,
    explanation_grid,
    figure_misclassified,
    figure_one,
    figure_two,
    misclassified,
    table_one,
)
from secam.staging import stage_dataset
from secam.table_columns import TABLES

from ..conftest import SAMPLE

MODEL = "m"
RIGHT = "always-right"  # a second model, predictions for shard00000 only, every one correct
WRONG = {"china": 1, "grace_hopper": 2, "rocket": 3}  # predicted_index, not the label
LIME_IDS = ["chelsea", "coffee"]  # LIME explained these only
SELECTIONS = {"top2": 2, "top3": 3, "top4": 4, "thr80": 1, "thr70": 2, "thr60": 5}
PLACEHOLDER_SIZE = (PAGE_WIDTH / 2 * DPI, DPI)  # half a page wide, one inch high


def _blocks(height: int, width: int, size: int = 100) -> np.ndarray:
    """Superpixels as a grid of size x size blocks, numbered from 0 row by row."""
    columns = -(-width // size)
    rows = np.arange(height)[:, None] // size
    return (rows * columns + np.arange(width)[None, :] // size).astype(np.int32)


def _predictions(rows: pd.DataFrame, model: str, predicted: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": rows["image_id"].tolist(),
            "model": model,
            "head_path": "cam",
            # the label, not the prediction: only predicted_index tells the wrong images apart
            "target_index": rows["class_index"].tolist(),
            "target_label": "",
            "top5_indices": [[p, 0, 1, 2, 3] for p in predicted],
            "top5_probs": [[0.5, 0.2, 0.1, 0.1, 0.1]] * len(rows),
            "predicted_index": predicted,
            "device": "cpu",
        }
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> RunData:
    root = tmp_path_factory.mktemp("paper")
    manifest = stage_dataset(
        SAMPLE / "LOC_val_solution.csv", SAMPLE / "images", shard_size=4
    ).manifest
    assert manifest.groupby("shard").size().tolist() == [4, 2]
    rng = np.random.default_rng(0)
    segments, maps, predictions, masks = {}, {}, {}, {}
    for shard, rows in manifest.groupby("shard"):
        labels = {r.image_id: _blocks(r.height, r.width) for r in rows.itertuples()}
        # file names that say nothing: RunData finds every file by its key
        segments[(shard,)] = root / f"{shard}-a.npz"
        write_arrays(segments[(shard,)], labels)
        maps[(MODEL, shard)] = root / f"{shard}-b.npz"
        write_arrays(
            maps[(MODEL, shard)],
            {
                f"{source}/{image_id}": rng.standard_normal((7, 7)).astype(np.float32)
                for source in ("cam", "gradcam")
                for image_id in labels
            },
        )
        predicted = [WRONG.get(r.image_id, r.class_index) for r in rows.itertuples()]
        predictions[(MODEL, shard)] = root / f"{shard}-c.parquet"
        write_table(
            _predictions(rows, MODEL, predicted), predictions[(MODEL, shard)], "predictions"
        )
        if shard == "shard00000":
            predictions[(RIGHT, shard)] = root / f"{shard}-d.parquet"
            correct = _predictions(rows, RIGHT, rows["class_index"].tolist())
            write_table(correct, predictions[(RIGHT, shard)], "predictions")
        for method, explained in (("secam", list(labels)), ("lime", LIME_IDS)):
            masks[(MODEL, method, shard)] = root / f"{shard}-{method}-e.npz"
            write_arrays(
                masks[(MODEL, method, shard)],
                {
                    f"{image_id}/{selection}": labels[image_id] < regions
                    for image_id in explained
                    if image_id in labels
                    for selection, regions in SELECTIONS.items()
                },
            )
    return RunData(
        manifest, segments=segments, maps=maps, predictions_files=predictions, masks=masks
    )


@pytest.fixture
def placeholders(monkeypatch) -> list[str]:
    """The notes of every placeholder figure drawn while the test runs."""
    notes: list[str] = []
    draw = paper._placeholder

    def recording(text, outputs):
        notes.append(text)
        draw(text, outputs)

    monkeypatch.setattr(paper, "_placeholder", recording)
    return notes


def _outputs(tmp_path, name: str) -> list:
    return [tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"]


def _written(outputs: list, min_bytes: int) -> tuple[int, int]:
    """The PNG's pixel size, once both files are checked to be real PNG and PDF documents."""
    png, pdf = outputs
    assert png.stat().st_size > min_bytes and pdf.stat().st_size > min_bytes
    assert pdf.read_bytes().startswith(b"%PDF")
    with Image.open(png) as image:
        assert image.format == "PNG"
        return image.size


def test_the_paper_figures_find_files_by_key_not_by_path(tmp_path):
    import numpy as np
    import pandas as pd

    from secam.artifacts import write_arrays
    from secam.report.paper import RunData

    labels, masks = tmp_path / "x.npz", tmp_path / "y.npz"  # names that say nothing
    write_arrays(labels, {"i1": np.arange(4, dtype=np.int32).reshape(2, 2)})
    write_arrays(masks, {"i1/top3": np.eye(2, dtype=bool)})
    data = RunData(
        pd.DataFrame({"image_id": ["i1"], "shard": ["shard00007"]}),
        segments={("shard00007",): labels},
        masks={("m", "secam", "shard00007"): masks},
    )
    assert data.labels("i1").max() == 3
    assert data.mask("m", "secam", "i1", "top3").tolist() == [[True, False], [False, True]]
    assert data.mask("m", "cam", "i1", "top3") is None
    assert data.predictions("m").empty


def test_run_data_keeps_a_bounded_number_of_archives_open_and_reads_arrays_on_demand(
    tmp_path, monkeypatch
):
    """The figures' memory does not grow with the run: RunData holds at most OPEN_ARCHIVES shard
    archives open, the least recently used closed first, and reads only the arrays asked for."""
    shards = [f"shard{n:05d}" for n in range(paper.OPEN_ARCHIVES + 4)]
    files = {}
    for number, shard in enumerate(shards):
        files[("m", "secam", shard)] = tmp_path / f"{shard}.npz"
        write_arrays(files[("m", "secam", shard)], {f"i{number}/top3": np.full((2, 2), number)})
    data = RunData(
        pd.DataFrame({"image_id": [f"i{n}" for n in range(len(shards))], "shard": shards}),
        masks=files,
    )
    opened = []
    monkeypatch.setattr(
        paper,
        "open_arrays_until_closed",
        lambda path: opened.append(path) or np.load(path, allow_pickle=False),
    )
    for _ in range(2):  # the second pass reopens what the first closed
        for number in range(len(shards)):
            assert data.mask("m", "secam", f"i{number}", "top3").tolist() == [[number] * 2] * 2
            assert len(data._archives) <= paper.OPEN_ARCHIVES
    assert len(opened) == 2 * len(shards)
    archive = next(iter(data._archives.values()))
    assert archive.fid is not None  # still open; the evicted ones were closed
    data.mask("m", "secam", "i0", "top3")  # most recent: used again without reopening
    data.mask("m", "secam", "i0", "top3")
    assert len(opened) == 2 * len(shards) + 1


def test_run_data_reads_each_shards_artifacts(data):
    rocket = data.labels("rocket")  # shard00001
    assert rocket.shape == (427, 640) and rocket.max() == 5 * 7 - 1
    assert np.array_equal(data.labels("chelsea"), _blocks(300, 451))
    heat = data.heatmap(MODEL, "chelsea")
    assert heat.shape == (300, 451) and heat.dtype == np.float32
    assert data.heatmap(MODEL, "rocket", "gradcam").shape == (427, 640)
    assert data.heatmap(MODEL, "chelsea", "layercam") is None  # a source the run did not map
    assert data.heatmap(RIGHT, "chelsea") is None  # a model without maps
    assert np.array_equal(data.mask(MODEL, "secam", "rocket", "top3"), rocket < 3)
    assert data.mask(MODEL, "lime", "rocket", "top3") is None  # LIME did not explain it
    predictions = data.predictions(MODEL)
    assert sorted(predictions.index) == sorted(data.manifest["image_id"])  # both shards
    assert predictions.loc["china", "predicted_index"] == 1
    assert data.predictions(MODEL) is predictions  # read once
    assert len(data.predictions(RIGHT)) == 4
    assert data.predictions("unknown").empty
    assert data.image("coffee").shape == (400, 600, 3)


def test_table_one_is_lime_against_cam_and_secam_on_the_first_image_lime_explained():
    timings = pd.DataFrame(
        [
            # model, image_id, method, total_seconds, segmentation_seconds (the image's)
            ("b7", "img2", "lime", 30.0, 0.2),  # a later image: not the one compared
            ("b7", "img2", "cam", 0.25, 0.2),
            ("b7", "img1", "lime", 12.0, 0.4),
            ("b7", "img1", "cam", 0.5, 0.4),
            ("b7", "img1", "secam", 0.6, 0.4),
            ("b7", "img1", "gradcam", 0.7, 0.4),
            ("a1", "img3", "lime", 8.0, 1.0),  # no CAM on this model's head
            ("a1", "img3", "secam", 2.0, 1.0),
            ("no-lime", "img1", "cam", 1.0, 0.1),  # LIME never ran: no row
        ],
        columns=["model", "image_id", "method", "total_seconds", "segmentation_seconds"],
    )
    table = table_one(timings)
    assert list(table.columns) == list(TABLES["table_one"])
    assert table["model"].tolist() == ["a1", "b7"]
    rows = table.set_index("model")
    # by hand: b7 compares on img1 (the first id LIME explained), a1 on img3
    assert rows.loc["b7", "image_id"] == "img1"
    assert rows.loc["b7", ["lime_seconds", "cam_seconds", "secam_seconds"]].tolist() == [
        12.0,
        0.5,
        0.6,
    ]
    # end to end, LIME and SeCAM carry the image's segmentation and CAM does not
    assert rows.loc["b7", "segmentation_seconds"] == 0.4
    assert rows.loc["b7", "lime_total_seconds"] == pytest.approx(12.4)
    assert rows.loc["b7", "secam_total_seconds"] == pytest.approx(1.0)
    assert rows.loc["b7", "lime_over_cam"] == pytest.approx(12.4 / 0.5)
    assert rows.loc["b7", "lime_over_secam"] == pytest.approx(12.4 / 1.0)
    assert rows.loc["a1", "image_id"] == "img3"
    assert np.isnan(rows.loc["a1", "cam_seconds"]) and np.isnan(rows.loc["a1", "lime_over_cam"])
    assert rows.loc["a1", "lime_over_secam"] == pytest.approx(9.0 / 3.0)
    nothing = table_one(timings[timings["method"] != "lime"])
    assert nothing.empty and list(nothing.columns) == list(TABLES["table_one"])


def test_misclassified_are_the_images_whose_prediction_is_not_the_label(data):
    labels = data.manifest.set_index("image_id")["class_index"]
    assert all(labels[image_id] != predicted for image_id, predicted in WRONG.items())
    assert misclassified(data, MODEL) == ["china", "grace_hopper", "rocket"]  # by id
    assert misclassified(data, MODEL, count=2) == ["china", "grace_hopper"]
    assert misclassified(data, RIGHT) == []
    assert misclassified(data, "unknown") == []


def test_figures_write_png_and_pdf(data, tmp_path, placeholders, monkeypatch):
    one = _outputs(tmp_path, "figure1")
    figure_one(data, one)
    # chelsea, the first image by id, at one inch per 80 pixels
    assert _written(one, 100_000) == pytest.approx((451 / 80 * DPI, 300 / 80 * DPI), abs=1)

    two = _outputs(tmp_path, "figure2")
    figure_two(data, [MODEL, RIGHT], LIME_IDS, two)
    # a page wide, a row per model
    assert _written(two, 100_000) == pytest.approx((PAGE_WIDTH * DPI, 4.0 * DPI), abs=1)

    wrong = _outputs(tmp_path, "figure3")
    figure_misclassified(data, MODEL, misclassified(data, MODEL)[0], wrong)
    assert _written(wrong, 100_000) == pytest.approx((PAGE_WIDTH * DPI, 2.6 * DPI), abs=1)

    grid = _outputs(tmp_path, "table2")
    timings = pd.DataFrame(
        {
            "model": MODEL,
            "method": ["lime", "cam", "secam", "secam"],
            "image_id": ["chelsea", "chelsea", "chelsea", "rocket"],
            "total_seconds": [9.5, 0.01, 0.02, 0.03],
            "segmentation_seconds": [0.2, 0.2, 0.2, 0.3],
        }
    )
    drawn = []
    save = paper._save
    monkeypatch.setattr(
        paper, "_save", lambda figure, paths: drawn.append(figure) or save(figure, paths)
    )
    # rocket has no LIME masks and no LIME time: those cells read n/a
    explanation_grid(data, timings, [MODEL], ["chelsea", "rocket"], grid, "unused")
    # times end to end as in Table I: LIME and SeCAM carry the image's segmentation, CAM does not
    times = {
        (axis.get_ylabel() or "", axis.get_xlabel())
        for axis in drawn[0].axes[: 2 * len(paper.GRID_ROWS)]
    }
    assert {("CAM", "Time: 0.01 s"), ("SeCAM\n(2 segments)", "Time: 0.22 s")} <= times
    assert ("LIME\n(2 segments)", "Time: 9.7 s") in times
    # two columns (model x image), one row per GRID_ROWS entry
    width, height = grid_size(len(paper.GRID_ROWS), 2, label_width=0.8)
    assert _written(grid, 100_000) == pytest.approx((width * DPI, height * DPI), abs=1)
    assert placeholders == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(  # no temporary left beside them
        f"{name}.{suffix}"
        for name in ("figure1", "figure2", "figure3", "table2")
        for suffix in ("pdf", "png")
    )


def test_placeholders_when_nothing_qualifies(data, tmp_path, placeholders):
    nobody = RunData(data.manifest.iloc[:0])
    figure_one(nobody, _outputs(tmp_path, "figure1"))
    figure_two(data, [MODEL], [], _outputs(tmp_path, "figure2"))
    figure_misclassified(
        data, RIGHT, (misclassified(data, RIGHT) or [None])[0], _outputs(tmp_path, "figure3")
    )
    explanation_grid(data, pd.DataFrame(), [], ["chelsea"], _outputs(tmp_path, "table3"), "no VGG")
    assert placeholders == [
        "no image in this run",
        "LIME explained no image in this run",
        f"{RIGHT} classified every image of this run correctly",
        "no VGG",
    ]
    for name in ("figure1", "figure2", "figure3", "table3"):
        assert _written(_outputs(tmp_path, name), 1_000) == pytest.approx(PLACEHOLDER_SIZE, abs=1)


def _boxes_drawn(axis) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of the dashed box rectangles on ``axis``."""
    return [
        (*p.get_xy(), p.get_width(), p.get_height())
        for p in axis.patches
        if isinstance(p, Rectangle) and p.get_linestyle() == "--"
    ]


def _expected_boxes(data, image_id: str, step: int) -> list[tuple[float, float, float, float]]:
    return [
        (xmin / step - 0.5, ymin / step - 0.5, (xmax - xmin + 1) / step, (ymax - ymin + 1) / step)
        for xmin, ymin, xmax, ymax in data.row(image_id)["boxes"]
    ]


def _colorbars(figure) -> list:
    return [axis for axis in figure.axes if axis.get_label() == "<colorbar>"]


def _outlined(axis) -> bool:
    shown = np.asarray(axis.images[0].get_array())
    return bool((shown == OUTLINE).all(axis=-1).any())


def test_figure_two_draws_boxes_outlines_and_a_colour_bar(data, tmp_path, drawn):
    figure_two(data, [MODEL], LIME_IDS, _outputs(tmp_path, "figure2"))
    (figure,) = drawn
    inputs, lime, cam = (axis for axis in figure.axes if axis.get_label() != "<colorbar>")
    # chelsea (451 pixels wide) is shown at every second pixel
    for axis in (inputs, lime, cam):
        assert _boxes_drawn(axis) == _expected_boxes(data, "chelsea", 2)
    assert _outlined(lime) and not _outlined(inputs)
    (bar,) = _colorbars(figure)
    assert bar.get_ylabel() == HEAT_LABEL
    assert cam.images[1].get_clim() == (0, 1)  # every map over its own maximum
    assert min(axis.title.get_fontsize() for axis in (inputs, lime, cam)) >= FONT_SIZE


def test_grid_cells_carry_boxes_and_the_heat_rows_a_colour_bar(data, tmp_path, drawn):
    timings = pd.DataFrame(
        {
            "model": MODEL,
            "method": "secam",
            "image_id": "chelsea",
            "total_seconds": [0.02],
            "segmentation_seconds": [0.1],
        }
    )
    explanation_grid(data, timings, [MODEL], ["chelsea", "rocket"], _outputs(tmp_path, "t2"), "")
    (figure,) = drawn
    cells = np.array([a for a in figure.axes if a.get_label() != "<colorbar>"]).reshape(
        len(paper.GRID_ROWS), 2
    )
    rocket_step = 2  # 640 pixels wide
    for r, (method, selection) in enumerate(paper.GRID_ROWS):
        assert _boxes_drawn(cells[r, 0]) == _expected_boxes(data, "chelsea", 2)
        assert _boxes_drawn(cells[r, 1]) == _expected_boxes(data, "rocket", rocket_step)
        if selection is not None and method == "secam":
            assert _outlined(cells[r, 0])
    (bar,) = _colorbars(figure)
    assert bar.get_ylabel() == HEAT_LABEL
    labels = [cells[r, 0].get_ylabel() for r in range(len(paper.GRID_ROWS))]
    assert labels[3:5] == ["CAM", "Grad-CAM"]
    texts = [cells[0, c].title for c in range(2)] + [cells[r, 0].yaxis.label for r in range(11)]
    assert min(text.get_fontsize() for text in texts) >= FONT_SIZE
