"""The public API on a researcher's own classifier: ``from secam import SeCAM`` on any nn.Module;
and its building blocks the CLI uses (explain_image, the selection and class parsers)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import secam
from secam import CAM, LIME, GradCAM, SeCAM, wrap_model
from secam.activations import CAMMapper
from secam.classes import imagenet_classes
from secam.explainers import explain_image, parse_class
from secam.faithfulness import blurred
from secam.lime import probability_fn
from secam.selection import Selection, gap_size, rank_regions

from .user_models import CLASS_NAMES


def test_the_public_names_import_from_the_package_root():
    assert {"SeCAM", "CAM", "GradCAM", "LIME", "load_model", "wrap_model"} <= set(secam.__all__)
    with pytest.raises(AttributeError):
        secam.NoSuchThing  # noqa: B018


def test_secam_on_a_user_classifier_returns_map_scores_selection_and_mask(tiny, chelsea):
    explainer = SeCAM(tiny, classes=CLASS_NAMES)
    assert explainer.model.target_layer == "features"
    assert explainer.model.head_path == "cam"
    result = explainer(chelsea, selection="top-k:3")

    with torch.no_grad():
        logits = tiny(explainer.model.preprocessing(chelsea))[0]
    assert result.predicted == int(logits.argmax()) == result.target
    assert result.class_name == CLASS_NAMES[result.target]
    assert result.probabilities.shape == (10,)
    assert result.map.shape == result.mask.shape == chelsea.shape[:2]
    # Eq. 4: each region's score is the full-resolution map's mean inside it, so the scores
    # weighted by the region sizes give back the map's total (the region-mean identity)
    areas = np.bincount(result.labels.ravel())
    assert np.isclose((areas * result.region_scores).sum(), result.map.astype(np.float64).sum())
    # signed, never rectified: the least likely class's map goes below zero
    lowest = explainer(chelsea, target=int(logits.argmin()))
    assert lowest.map.min() < 0 < result.map.max()
    best = np.argsort(-result.region_scores, kind="stable")[:3]
    assert result.selected_regions.tolist() == best.tolist()
    assert np.array_equal(result.mask, np.isin(result.labels, best))


def test_the_cam_identity_holds_on_the_user_classifier(tiny, chelsea):
    """For a GAP + linear head, the CAM map's spatial mean plus the bias is the class's logit."""
    model = SeCAM(tiny).model
    inputs = model.preprocessing(chelsea)
    maps = CAMMapper(model)(inputs)
    with torch.no_grad():
        logits = tiny(inputs)[0]
        features = tiny.features(inputs)
    assert tuple(maps.maps.shape) == (1, *features.shape[-2:])
    target = int(maps.targets[0])
    assert torch.allclose(maps.maps[0].mean() + tiny.fc.bias[target], logits[target], atol=1e-5)
    every_class = torch.einsum("khw,ck->chw", features[0], tiny.fc.weight)
    assert torch.allclose(every_class.mean(dim=(1, 2)) + tiny.fc.bias, logits, atol=1e-5)


def test_a_class_is_chosen_by_name_or_index_and_every_method_shares_the_interface(tiny, chelsea):
    by_name = SeCAM(tiny, classes=CLASS_NAMES)(chelsea, target="shape 4")
    by_index = SeCAM(tiny, classes=CLASS_NAMES)(chelsea, target=4)
    assert by_name.target == by_index.target == 4
    assert np.array_equal(by_name.mask, by_index.mask)
    with pytest.raises(ValueError, match="unknown class"):
        SeCAM(tiny, classes=CLASS_NAMES)(chelsea, target="tabby")

    cam = CAM(tiny)(chelsea, target=4)
    assert cam.selection == Selection("threshold", 0.8)
    assert cam.region_scores.size == 0 and cam.mask.any()
    # SeCAM averages the very map CAM thresholds
    assert np.allclose(cam.map, by_index.map)
    assert GradCAM(tiny)(chelsea, target=4).map.min() >= 0  # Grad-CAM is rectified
    lime = LIME(tiny, num_samples=40)(chelsea, target=4)
    assert lime.region_scores.size == int(lime.labels.max()) + 1
    assert lime.selected_regions.size == 3


def test_class_names_must_match_the_outputs_and_may_come_from_a_file(tiny, tmp_path):
    with pytest.raises(ValueError, match="10 outputs but 3 class names"):
        wrap_model(tiny, classes=["a", "b", "c"])
    names = tmp_path / "classes.txt"
    names.write_text("\n".join(CLASS_NAMES) + "\n")
    assert wrap_model(tiny, classes=names).classes.labels == tuple(CLASS_NAMES)
    assert wrap_model(tiny).classes.labels[3] == "class 3"  # 10 outputs: not ImageNet's


def test_method_options_choose_the_method_and_unknown_ones_are_refused(tiny, chelsea):
    over_gradcam = SeCAM(tiny, source="gradcam")
    assert over_gradcam.method == "secam_gradcam"
    assert over_gradcam(chelsea).map_source == "gradcam"
    assert LIME(tiny, batched=True).method == "lime-batched"
    with pytest.raises(TypeError, match="takes no option"):
        GradCAM(tiny, num_samples=3)
    with pytest.raises(ValueError, match="SeCAM source"):
        SeCAM(tiny, source="lime").method  # noqa: B018


def test_selection_and_class_parsing():
    assert Selection.parse("top-k:4") == Selection("top_k", 4)
    assert Selection.parse("threshold:0.6") == Selection("threshold", 0.6)
    assert Selection.parse("thr80") == Selection("threshold", 0.8)
    assert Selection.parse("gap") == Selection("gap", 0.0)
    assert Selection.parse("sufficient:0.9") == Selection.parse("suff90")
    for text in ("threshold:1.5", "sufficient:0", "gap:2"):
        with pytest.raises(ValueError):
            Selection.parse(text)
    assert imagenet_classes().wnids[285] == "n02124075"
    classes = imagenet_classes()
    assert parse_class("285", classes) == 285
    assert parse_class("n02123045", classes) == 281
    assert parse_class("Tabby cat", classes) == 281
    with pytest.raises(ValueError):
        parse_class("1000", classes)


def test_explain_image_matches_the_pipeline_blocks(embedded_model, chelsea):
    explanation = explain_image(embedded_model, chelsea, "secam", Selection("threshold", 0.7))
    best = explanation.region_scores.max()
    kept = set(np.flatnonzero(explanation.region_scores >= 0.7 * best))
    assert set(explanation.selected_regions.tolist()) == kept
    assert np.array_equal(explanation.mask, np.isin(explanation.labels, list(kept)))
    with pytest.raises(ValueError, match="threshold"):
        explain_image(embedded_model, chelsea, "cam", Selection("top_k", 3))


@pytest.mark.parametrize("method", ["secam", "lime-batched"])
def test_sufficient_keeps_the_shortest_prefix_found_by_classifying_every_prefix(
    embedded_model, chelsea, method
):
    """sufficient:P on a real photograph equals a brute-force loop: classify the image with only
    the best k regions kept (the others blurred), k = 1, 2, ..., one image per forward pass, and
    stop at the first k that keeps P of the class's probability on the whole image."""
    options = {"lime_options": {"num_samples": 64, "batch_size": 16}} if method != "secam" else {}
    share = 0.9
    explanation = explain_image(
        embedded_model, chelsea, method, Selection.parse(f"sufficient:{share}"), **options
    )
    classify = probability_fn(embedded_model)
    target, labels = explanation.target, explanation.labels
    full = classify(chelsea[None])[0, target]
    background = blurred(chelsea)
    order = rank_regions(explanation.region_scores)
    kept = []
    for k in range(1, order.size + 1):
        image = np.where(np.isin(labels, order[:k])[..., None], chelsea, background)
        kept.append(classify(image[None])[0, target])
        if kept[-1] >= share * full:
            break
    assert explanation.selected_regions.tolist() == order[:k].tolist()
    assert np.array_equal(explanation.mask, np.isin(labels, order[:k]))
    assert 1 < k < order.size  # a real choice: neither the best region alone nor all of them
    assert max(kept[:-1]) < share * full <= kept[-1]
    gap = explain_image(embedded_model, chelsea, method, Selection.parse("gap"), **options)
    assert gap.selected_regions.tolist() == order[: gap_size(explanation.region_scores)].tolist()
