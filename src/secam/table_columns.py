"""The columns of every table the workflow writes, each with its meaning and unit.

docs/artifacts.md is generated from :data:`TABLES` (``python -m secam.generated_docs``) and a test
fails when it is stale; every writer checks its frame against it (:func:`check_columns`).
"""

from __future__ import annotations

import pandas as pd

from secam.metrics import MASK_METRICS, METRIC_NAMES, METRICS


def _one_of(names: tuple[str, ...]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}"


# name -> {column: description}
TABLES: dict[str, dict[str, str]] = {
    "manifest": {
        "image_id": "image identifier (file name without extension)",
        "source": "image file, or `<archive>::<member>` for an image inside a tar archive",
        "offset": "byte offset of the member's data inside the archive (-1 for a plain file)",
        "size_bytes": "size of the image file in bytes",
        "wnid": "WordNet id of the image's class",
        "class_index": "class index in the standard 1000-class order (0-based)",
        "label": "human-readable class label",
        "width": "image width in pixels (from the file header)",
        "height": "image height in pixels (from the file header)",
        "boxes": "ground-truth boxes of the class, list of [xmin, ymin, xmax, ymax], 0-based "
        "pixel indices, both ends inclusive",
        "n_boxes": "number of boxes",
        "sha256": "SHA-256 of the image file's bytes",
        "shard": "shard this image belongs to (unit of work of every later rule)",
        "notes": "fixes applied while staging (clipped boxes, dropped boxes, colour conversion)",
    },
    "rejected": {
        "image_id": "image identifier ('' when unknown)",
        "path": "file concerned ('' when there is none)",
        "reason": "why the item was refused, in words",
    },
    "segments": {
        "image_id": "image identifier",
        "algorithm": "segmentation algorithm",
        "n_regions": "number of superpixels",
        "seconds": "wall time of the segmentation (s)",
    },
    "predictions": {
        "image_id": "image identifier",
        "model": "model name",
        "head_path": "'cam' (global average pooling + one linear layer) or 'gradient'",
        "target_index": "class explained (index)",
        "target_label": "class explained (label)",
        "top5_indices": "the five most probable classes, most probable first",
        "top5_probs": "their softmax probabilities",
        "predicted_index": "the top-1 class in the standard 1000-class order, matched by wnid "
        "or label for a model with its own classes (-1: not an ImageNet class)",
        "device": "device name the model ran on",
    },
    "map_timings": {
        "image_id": "image identifier",
        "model": "model name",
        "source": "activation map: cam, gradient, gradcam, gradcampp, layercam or scorecam",
        "batch_size": "images that went through the model together with this one",
        "forward_seconds": "this image's share of the batch's preprocessing + forward (s)",
        "backward_seconds": "its share of the batch's backward (s); 0 for maps without gradients",
        "map_seconds": "its share of turning the pass into this source's maps on the feature "
        "grid (s); Score-CAM's masked forwards are here",
        "seconds": "forward + backward + map: what this map cost for this image (s)",
        "threads": "torch intra-op threads of the job that ran the model",
    },
    "explanations": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "method name (see docs/methods.md, 'Methods')",
        "selection": "top2/top3/top4 (k highest regions) or thr80/thr70/thr60 (at least that "
        "share of the maximum score)",
        "target_index": "class explained (index)",
        "n_regions": "superpixels in the image's segmentation (0 for pixel methods)",
        "selected_regions": "ids of the selected superpixels, best first (empty for pixel methods)",
        "region_scores": "score of every superpixel, by region id (empty for pixel methods)",
        "truncated": "true when k exceeded the number of regions",
        "area": "share of the image covered by the explanation (0-1)",
        "seconds": "time of this explanation (s), its share of shared work included",
    },
    "timings": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "method",
        "total_seconds": "time of one explanation (s): the sum of the components below, "
        "segmentation excepted",
        "forward_seconds": "preprocessing + forward passes (s): the image's share of its batch "
        "for map methods, every perturbed batch for LIME",
        "backward_seconds": "the image's share of the backward (s); gradient maps only",
        "map_seconds": "the map on the feature grid from the captured pass (s)",
        "upsample_seconds": "bilinear upsampling of the map to the image resolution (s)",
        "region_seconds": "region mean (SeCAM) or nothing (s)",
        "sampling_seconds": "LIME: drawing the perturbation masks and building the perturbed "
        "images (s); 0 for the others",
        "surrogate_seconds": "LIME: fitting the weighted ridge surrogate (s); 0 for the others",
        "select_seconds": "turning scores into a mask (s), mean over the selections",
        "segmentation_seconds": "the shared segmentation of this image, not in total_seconds (s)",
        "batch_size": "images per forward batch (map methods) or perturbed images per batch (LIME)",
        "device": "device name",
        "torch_version": "torch version",
        "threads": "torch intra-op threads of the job that ran the model (for the map methods the "
        "activate job's)",
    },
    "metrics": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "method",
        "selection": "selection (see explanations)",
        "label_index": "ground-truth class index",
        "predicted_index": "top-1 class in the standard 1000-class order "
        "(predictions.predicted_index)",
        "target_index": "class explained",
        "correct": "top-1 prediction equals the label",
        "area": "share of the image covered by the explanation (0-1)",
        "n_regions": "superpixels in the image's segmentation (0 for pixel methods)",
        "n_selected": "superpixels the explanation holds (0 for pixel methods and centred boxes)",
        "truncated": "true when k exceeded the number of superpixels: the selection holds them all",
        **{metric.name: metric.description for metric in METRICS},
        "seconds": "time of the explanation (s)",
    },
    "summary": {
        "model": "model name",
        "method": "method",
        "selection": "selection",
        "n": "images",
        "box_iou": "mean box IoU",
        "mask_iou": "mean mask IoU",
        "ebpg": "mean EBPG",
        "area": "mean explanation area (share of the image)",
        "median_seconds": "median time per explanation (s)",
    },
    "quantitative": {
        "model": "model name",
        "method": "method",
        "selection": "selection",
        "n": "images",
        **{
            f"{metric}{suffix}": f"{what} of {metric}"
            for metric in METRIC_NAMES
            for suffix, what in (
                ("", "mean"),
                ("_low", "95 % bootstrap CI, lower end"),
                ("_high", "95 % bootstrap CI, upper end"),
            )
        },
        "area": "mean explanation area (share of the image)",
        "truncated": "images whose selection was truncated: fewer superpixels than k",
    },
    "accuracy": {
        "model": "model name",
        "n": "staged images the model classified",
        "top1": "share of them whose top-1 class (predictions.predicted_index) is the label: a "
        "wrong preprocessing shows as a drop",
        "top1_low": "95 % bootstrap CI, lower end",
        "top1_high": "95 % bootstrap CI, upper end",
    },
    "segmentation": {
        "algorithm": "superpixel algorithm (slic, quickshift, felzenszwalb)",
        "model": "model name",
        "method": "superpixel method (SeCAM or LIME)",
        "selection": "selection",
        "n": "images",
        "regions_mean": "mean number of superpixels per image",
        "regions_median": "median number of superpixels per image",
        "area": "mean explanation area (share of the image)",
        "box_iou": "mean box IoU",
        "box_iou_low": "95 % bootstrap CI of box_iou, lower end",
        "box_iou_high": "95 % bootstrap CI of box_iou, upper end",
        "ebpg": "mean EBPG",
        "ebpg_low": "95 % bootstrap CI of ebpg, lower end",
        "ebpg_high": "95 % bootstrap CI of ebpg, upper end",
        "mask_iou": "mean mask IoU",
        "agreement": (
            "mean IoU of this explanation's mask with the main algorithm's explanation of the"
            " same image, model, method and selection (empty on the main algorithm's rows)"
        ),
        "agreement_low": "95 % bootstrap CI of agreement, lower end",
        "agreement_high": "95 % bootstrap CI of agreement, upper end",
    },
    "paired": {
        "model": "model name",
        "selection": "selection shared by both methods",
        "baseline": "the method SeCAM is compared with",
        "metric": _one_of(METRIC_NAMES),
        "n": "images with both explanations",
        "difference": "mean of SeCAM minus baseline, image by image",
        "difference_low": "95 % bootstrap CI of that mean, lower end",
        "difference_high": "95 % bootstrap CI of that mean, upper end",
        "wilcoxon_p": "two-sided Wilcoxon signed-rank p-value of the differences",
    },
    "matched": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "the method whose explanation sets the area",
        "selection": "that explanation's selection",
        "comparator": "another method of the run, random-regions or centre-box, drawn at that "
        "explanation's area (heatmaps: thresholded; region methods: whole superpixels in score "
        "order, the count closest to the area; centre-box: a centred rectangle)",
        "area": "share of the image covered by the method's explanation (0-1)",
        "comparator_area": "share covered by the comparator's mask (0-1)",
        "box_iou": "the comparator's box IoU (see metrics)",
        "mask_iou": "the comparator's mask IoU",
        "ebpg": "the comparator's EBPG",
    },
    "matched_area": {
        "model": "model name",
        "method": "the method whose explanation sets the area",
        "selection": "that explanation's selection",
        "comparator": "what it is compared with at the same area",
        "metric": _one_of(MASK_METRICS),
        "n": "images with both",
        "area": "mean area of the method's explanations (share of the image)",
        "comparator_area": "mean area of the comparator's matched masks",
        "fixed_difference": "method minus comparator at the same selection, as in the paper "
        "(empty where the comparator has no such selection)",
        "fixed_low": "95 % bootstrap CI of fixed_difference, lower end",
        "fixed_high": "95 % bootstrap CI of fixed_difference, upper end",
        "difference": "method minus comparator at the method's area, image by image (mean)",
        "difference_low": "95 % bootstrap CI of difference, lower end",
        "difference_high": "95 % bootstrap CI of difference, upper end",
        "wilcoxon_p": "two-sided Wilcoxon signed-rank p-value of the matched differences",
    },
    "chosen_sizes": {
        "model": "model name",
        "method": "region method (random-regions included)",
        "selection": "a size chosen without a hand-picked k: gap or sufficient (suffPP)",
        "n": "images",
        "k_mean": "superpixels selected, mean",
        "k_q1": "superpixels selected, first quartile",
        "k_median": "superpixels selected, median",
        "k_q3": "superpixels selected, third quartile",
        "k_min": "superpixels selected, fewest",
        "k_max": "superpixels selected, most",
        "all_regions": "share of images whose selection holds every superpixel",
        "area": "mean explanation area (share of the image)",
    },
    "chosen_vs_fixed": {
        "model": "model name",
        "method": "region method",
        "selection": "a size chosen without a hand-picked k (gap, suffPP)",
        "fixed": "the method's best top-k for this metric: the largest mean lift",
        "metric": _one_of(MASK_METRICS),
        "n": "images with both",
        "lift": "the selection's metric minus random-regions' at its area, mean",
        "fixed_lift": "the same for the best top-k, mean",
        "difference": "lift minus fixed_lift, image by image (mean)",
        "difference_low": "95 % bootstrap CI of difference, lower end",
        "difference_high": "95 % bootstrap CI of difference, upper end",
        "wilcoxon_p": "two-sided Wilcoxon signed-rank p-value of the differences",
    },
    "faithfulness": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "method",
        "target_index": "class explained",
        "n_regions": "superpixels of the image",
        "fractions": "share of the superpixels removed or inserted at each step",
        "deletion": "probability of the class with the best superpixels blurred, per step",
        "insertion": "probability of the class with only the best superpixels kept, per step",
        "deletion_auc": "area under the deletion curve (lower is more faithful)",
        "insertion_auc": "area under the insertion curve (higher is more faithful)",
        "selections": "the method's selections of the image (explanations.selection)",
        "kept": "per selection, the class's probability with only its explanation mask kept "
        "(the rest blurred) over its probability on the whole image",
        "seconds": "time to compute both curves (s)",
    },
    "table_one": {
        "model": "model name",
        "image_id": "the first image LIME explained",
        "lime_seconds": "LIME's time on it, segmentation left out (s)",
        "cam_seconds": "CAM's time on it (s; NaN where the head has no CAM); CAM needs no "
        "segmentation",
        "secam_seconds": "SeCAM's time on it, segmentation left out (s)",
        "segmentation_seconds": "the image's segmentation, which SeCAM and LIME share (s)",
        "lime_total_seconds": "LIME end to end: lime_seconds + segmentation_seconds (s)",
        "secam_total_seconds": "SeCAM end to end: secam_seconds + segmentation_seconds (s)",
        "lime_over_cam": "LIME's end-to-end time over CAM's",
        "lime_over_secam": "LIME's end-to-end time over SeCAM's",
    },
    "faithfulness_summary": {
        "model": "model name",
        "method": "method",
        "n": "images",
        **{
            f"{metric}{suffix}": f"{what} of {metric}"
            for metric in ("deletion_auc", "insertion_auc")
            for suffix, what in (
                ("", "mean"),
                ("_low", "95 % bootstrap CI, lower end"),
                ("_high", "95 % bootstrap CI, upper end"),
            )
        },
    },
    "selection_faithfulness": {
        "model": "model name",
        "method": "method",
        "selection": "selection",
        "n": "images",
        "kept": "mean share of the class's probability on the whole image that the explanation "
        "alone keeps, the rest blurred (faithfulness.kept)",
        "kept_low": "95 % bootstrap CI, lower end",
        "kept_high": "95 % bootstrap CI, upper end",
        "kept_median": "its median",
    },
    "timing": {
        "model": "model name",
        "method": "method",
        "device": "device",
        "n": "explanations timed",
        "median_seconds": "median time per explanation, segmentation left out (s): "
        "timings.total_seconds",
        "q1_seconds": "its first quartile (s)",
        "q3_seconds": "its third quartile (s)",
        "segmentation_median_seconds": "median time of the segmentation the method needs (s): "
        "the image's SLIC (or other algorithm) for SeCAM and LIME, 0 for pixel methods",
        "end_to_end_median_seconds": "median time per explanation with that segmentation (s), "
        "what claim (b) is decided on",
        "end_to_end_q1_seconds": "its first quartile (s)",
        "end_to_end_q3_seconds": "its third quartile (s)",
    },
    "sanity": {
        "image_id": "image identifier",
        "model": "model name",
        "method": "method",
        "depth": "layer groups randomised, from the head down (1: the head alone; cascading)",
        "randomised": "the deepest layer group randomised at this depth (`head`, then the "
        "blocks before the target layer, last first; see secam.randomisation)",
        "selection": "selection of the masks compared",
        "target_index": "class explained: the trained model's, for every randomised model",
        "spearman": "Spearman rank correlation with the trained model's explanation: of the "
        "region scores (SeCAM, LIME) or of the full-resolution maps (heatmap methods); 1 when "
        "both are constant, 0 when one is",
        "mask_iou": "IoU of the selected mask with the trained model's at this selection (1 when "
        "both are empty)",
    },
    "sanity_summary": {
        "model": "model name",
        "method": "method",
        "depth": "layer groups randomised, from the head down",
        "randomised": "the deepest layer group randomised at this depth",
        "n": "images",
        **{
            f"{measure}{suffix}": f"{what} of {measure} over the images (mask IoU: each "
            "image's mean over the method's selections)"
            for measure in ("spearman", "mask_iou")
            for suffix, what in (
                ("", "mean"),
                ("_low", "95 % bootstrap CI, lower end"),
                ("_high", "95 % bootstrap CI, upper end"),
            )
        },
        "verdict": "on the row of depth 2 (head and last block randomised): 'changes with the "
        "model' when spearman_high < 0.5, 'does not change with the model' when spearman_low "
        "> 0.5, 'unclear' otherwise or with fewer than two images; empty on the other rows",
    },
}


def check_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the declared columns, in order; fail on a mismatch."""
    expected = list(TABLES[table])
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in TABLES[table]]
    if missing or extra:
        raise ValueError(f"table {table!r}: missing columns {missing}, undeclared columns {extra}")
    return frame[expected]


def empty_table(table: str) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLES[table]})
