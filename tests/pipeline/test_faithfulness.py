"""The faithfulness stage on the two embedded photographs, in two steps: the curves run from the
unmodified image's probability to the blurred image's, through the method's best superpixels."""

import numpy as np
import pytest
from scipy.integrate import trapezoid

from secam.artifacts import read_arrays, read_table, write_table
from secam.faithfulness import blurred
from secam.imaging import load_rgb
from secam.lime import probability_fn
from secam.pipeline.common import lime_subset
from secam.pipeline.explain import ExplanationOutputs, run_explain_lime
from secam.pipeline.faithfulness import run_faithfulness
from secam.regions import upsample
from secam.selection import rank_regions, regions_mask
from secam.table_columns import empty_table

from ..conftest import sample_image_path

MODEL = "efficientnet_lite0"
CLOSE = {"rtol": 1e-4, "atol": 1e-6}  # one image alone, or in a batch of four


def _faithfulness(sample_run, method, explanations, masks, out):
    run_faithfulness(
        method,
        MODEL,
        sample_run.config,
        sample_run.inputs,
        sample_run.maps,
        explanations,
        masks,
        out,
    )
    return read_table(out, "faithfulness")


def _region_scores(sample_run, method, image_id, labels, size):
    """SeCAM's region scores, or the mean of CAM's upsampled map in each superpixel."""
    if method == "secam":
        table = read_table(sample_run.explanations["secam"], "explanations")
        return np.asarray(table.loc[table["image_id"] == image_id, "region_scores"].iloc[0])
    heatmap = upsample(read_arrays(sample_run.maps)[f"cam/{image_id}"], size).numpy()
    sums = np.bincount(labels.reshape(-1), weights=heatmap.reshape(-1).astype(np.float64))
    return sums / np.bincount(labels.reshape(-1))


@pytest.mark.parametrize("method", ["secam", "cam"])
def test_curves_run_from_the_image_to_its_blurred_copy(
    sample_run, embedded_model, method, tmp_path
):
    outputs = sample_run.outputs[method]
    curves = _faithfulness(
        sample_run, method, outputs.explanations, outputs.masks, tmp_path / "curves.parquet"
    )
    explanations = read_table(outputs.explanations, "explanations")
    masks = read_arrays(outputs.masks)
    assert sorted(curves["image_id"]) == ["chelsea", "coffee"]
    assert (curves["method"] == method).all() and (curves["model"] == MODEL).all()
    predictions = read_table(sample_run.inputs.predictions, "predictions").set_index("image_id")
    labels = read_arrays(sample_run.inputs.labels)
    classify = probability_fn(embedded_model)
    for row in curves.itertuples():
        target = int(predictions.loc[row.image_id, "target_index"])
        assert row.target_index == target
        image, regions = load_rgb(sample_image_path(row.image_id)), labels[row.image_id]
        assert row.n_regions == int(regions.max()) + 1
        # steps: 2 gives none, about half, and all of the superpixels
        fractions = np.asarray(row.fractions)
        assert len(fractions) == 3 and fractions[0] == 0 and fractions[-1] == 1
        half = round(fractions[1] * row.n_regions)
        assert abs(half - row.n_regions / 2) <= 0.5

        whole, background = image, blurred(image)
        scores = _region_scores(sample_run, method, row.image_id, regions, image.shape[:2])
        order = rank_regions(scores)
        best = regions_mask(regions, order[:half])[..., None]
        expected_deletion = classify(
            np.stack([whole, np.where(best, background, whole), background])
        )[:, target]
        expected_insertion = classify(
            np.stack([background, np.where(best, whole, background), whole])
        )[:, target]
        # deletion starts at the unmodified image's probability, insertion ends there
        np.testing.assert_allclose(row.deletion, expected_deletion, **CLOSE)
        np.testing.assert_allclose(row.insertion, expected_insertion, **CLOSE)
        assert row.deletion[0] == pytest.approx(row.insertion[-1], abs=1e-6)
        assert row.deletion[-1] == pytest.approx(row.insertion[0], abs=1e-6)
        assert row.deletion[0] > row.deletion[-1]  # blurring the whole image loses the class

        # each selection's mask alone, the rest blurred, over the whole image's probability
        own = explanations[explanations["image_id"] == row.image_id]
        assert list(row.selections) == own["selection"].tolist()
        kept_images = [
            np.where(masks[f"{row.image_id}/{name}"][..., None], whole, background)
            for name in row.selections
        ]
        expected_kept = classify(np.stack(kept_images))[:, target] / expected_insertion[-1]
        np.testing.assert_allclose(row.kept, expected_kept, **CLOSE)
        if method == "secam":  # sufficient:0.9 keeps 90 % by its construction
            kept = dict(zip(row.selections, row.kept, strict=True))
            assert kept["suff90"] >= 0.9 - 1e-4

        assert 0 <= row.deletion_auc <= 1 and 0 <= row.insertion_auc <= 1
        assert row.deletion_auc == pytest.approx(trapezoid(row.deletion, fractions))
        assert row.insertion_auc == pytest.approx(trapezoid(row.insertion, fractions))
        assert row.seconds > 0


def test_a_lime_subset_gets_curves_for_that_subset_only(sample_run, tmp_path):
    # LIME on one of the two images (lime.max_images: 1), eight samples
    outputs = ExplanationOutputs(
        tmp_path / "lime.parquet", tmp_path / "lime.npz", tmp_path / "lime.timings.parquet"
    )
    run_explain_lime("lime-batched", MODEL, sample_run.config, sample_run.inputs, outputs)
    subset = lime_subset(["chelsea", "coffee"], 1, 0)
    assert len(subset) == 1
    explained = read_table(outputs.explanations, "explanations")
    assert set(explained["image_id"]) == subset

    curves = _faithfulness(
        sample_run, "lime-batched", outputs.explanations, outputs.masks, tmp_path / "curves.parquet"
    )
    assert curves["image_id"].tolist() == sorted(subset)
    (row,) = curves.itertuples()
    assert row.method == "lime-batched"
    assert row.target_index == explained["target_index"].iloc[0]
    assert len(row.deletion) == len(row.insertion) == 3
    assert row.deletion[0] == pytest.approx(row.insertion[-1], abs=1e-6)


def test_no_explanation_gives_an_empty_table(sample_run, tmp_path):
    write_table(empty_table("explanations"), tmp_path / "none.parquet", "explanations")
    curves = _faithfulness(
        sample_run,
        "secam",
        tmp_path / "none.parquet",
        sample_run.outputs["secam"].masks,
        tmp_path / "curves.parquet",
    )
    assert curves.empty
