"""Command line: ``secam explain IMAGE... --model M --method secam --select top-k:3 --out DIR``."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from secam.artifacts import write_text
from secam.classes import ClassList
from secam.config import EMBEDDED_MODEL, default, parse_number
from secam.errors import SecamError
from secam.explainers import Explanation, explain_image, parse_class
from secam.imaging import ImageReadError, load_rgb
from secam.methods import ORDER
from secam.models import LoadedModel, load_model
from secam.models.preprocessing import FACTORY_INPUT_SIZE
from secam.models.registry import resolve_device
from secam.models.user import is_factory
from secam.provenance import provenance
from secam.report.overlay import draw_overlay
from secam.segmentation import ALGORITHMS, DEFAULTS
from secam.selection import SHOWN, SHOWN_HEATMAP, Selection


def _config_number(*keys: str) -> Callable[[str], int | float]:
    """An argparse type: a number within the bounds of config key ``keys`` in the schema, so a
    bad flag stops at parsing with a line naming the flag and the allowed range."""

    def parse(text: str) -> int | float:
        try:
            return parse_number(text, *keys)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _selection(text: str) -> Selection:
    try:
        return Selection.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _device(text: str) -> str:
    try:
        resolve_device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(
            f"expected auto, cpu, cuda, cuda:N or mps, not {text!r}"
        ) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="secam", description=__doc__)
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an error, show its traceback as well as its message",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    explain = commands.add_parser("explain", help="explain images: an overlay PNG and a JSON each")
    explain.add_argument("images", nargs="+", type=Path, help="image files")
    explain.add_argument(
        "--model",
        default=EMBEDDED_MODEL,
        help="efficientnet_lite0 (embedded), efficientnet_lite1 or efficientnet_lite2 (real "
        "ImageNet weights, offline), a torchvision model name, or your own model as "
        "package.module:factory (a function returning the nn.Module)",
    )
    explain.add_argument(
        "--weights",
        default="DEFAULT",
        help="torchvision weights name, DEFAULT, or 'none' for random weights; for a "
        "package.module:factory model, a local state-dict file (loaded with weights_only)",
    )
    explain.add_argument(
        "--classes",
        type=Path,
        default=None,
        help="class names in the model's output order, one per line (default: ImageNet's)",
    )
    explain.add_argument(
        "--input-size",
        type=_config_number("model_options", "MODEL", "input_size", "items"),
        nargs=2,
        default=FACTORY_INPUT_SIZE,
        metavar=("HEIGHT", "WIDTH"),
        help="input size of a package.module:factory model (ImageNet normalisation)",
    )
    explain.add_argument("--target-layer", default=None, help="module name (default: detected)")
    explain.add_argument("--device", type=_device, default=default("device"))
    explain.add_argument("--method", default="secam", choices=ORDER)
    explain.add_argument(
        "--segmentation", default=default("segmentation", "algorithm"), choices=ALGORITHMS
    )
    explain.add_argument(
        "--n-segments",
        type=_config_number("segmentation", "n_segments"),
        default=DEFAULTS["slic"]["n_segments"],
        help="SLIC only",
    )
    explain.add_argument(
        "--compactness",
        type=_config_number("segmentation", "compactness"),
        default=DEFAULTS["slic"]["compactness"],
        help="SLIC only",
    )
    explain.add_argument(
        "--select",
        type=_selection,
        default=None,
        help="top-k:K (region methods), threshold:F (fraction of the max), gap (largest score "
        f"drop) or sufficient:P (fewest regions keeping P of the probability); default "
        f"{SHOWN.name}, and {SHOWN_HEATMAP.name} for a heatmap method",
    )
    explain.add_argument(
        "--target", default=None, help="class to explain: index, wnid or label (default: predicted)"
    )
    explain.add_argument(
        "--lime-samples",
        type=_config_number("lime", "num_samples"),
        default=default("lime", "num_samples"),
    )
    explain.add_argument(
        "--seed", type=_config_number("lime", "seed"), default=default("lime", "seed")
    )
    explain.add_argument(
        "--max-pixels",
        type=_config_number("dataset", "max_pixels"),
        default=default("dataset", "max_pixels"),
        help="skip images with more pixels, read from the header before any decode "
        "(decompression-bomb guard; default %(default)s, as dataset.max_pixels)",
    )
    explain.add_argument(
        "--min-side",
        type=_config_number("dataset", "min_side"),
        default=default("dataset", "min_side"),
        help="skip images with a shorter side in pixels (default %(default)s, as dataset.min_side)",
    )
    explain.add_argument("--out", type=Path, required=True, help="output folder")
    return parser


def _class_info(index: int, probabilities, classes: ClassList) -> dict:  # type: ignore[no-untyped-def]
    return {
        "index": index,
        "wnid": classes.wnids[index],
        "label": classes.labels[index],
        "probability": float(probabilities[index]),
    }


def _segmentation(args: argparse.Namespace) -> dict[str, object]:
    """The algorithm and its parameters (the --n-segments/--compactness flags are SLIC's)."""
    if args.segmentation == "slic":
        params = {
            **DEFAULTS["slic"],
            "n_segments": args.n_segments,
            "compactness": args.compactness,
        }
    else:
        params = dict(DEFAULTS[args.segmentation])
    return {"algorithm": args.segmentation, **params}


def _record(
    image_path: Path, model: LoadedModel, explanation: Explanation, args: argparse.Namespace
) -> dict:
    top5 = explanation.probabilities.argsort()[::-1][:5]
    classes = model.classes
    return {
        "image": str(image_path),
        "height": int(explanation.mask.shape[0]),
        "width": int(explanation.mask.shape[1]),
        "model": {
            "name": model.name,
            "weights": model.weights,
            "target_layer": model.target_layer,
            "head_path": model.head_path,
            "device": model.device_name(),
        },
        "method": explanation.method,
        "map_source": explanation.map_source,
        "parameters": {
            "segmentation": _segmentation(args),
            "selection": explanation.selection.name,
            "lime_samples": args.lime_samples,
            "seed": args.seed,
        },
        "prediction": _class_info(explanation.predicted, explanation.probabilities, classes),
        "top5": [_class_info(int(i), explanation.probabilities, classes) for i in top5],
        "explained": _class_info(explanation.target, explanation.probabilities, classes),
        "n_regions": int(explanation.labels.max()) + 1,
        "region_scores": [float(s) for s in explanation.region_scores],
        "selected_regions": [int(r) for r in explanation.selected_regions],
        "truncated": explanation.truncated,
        "area": float(explanation.mask.mean()),
        "seconds": explanation.seconds,
        "versions": provenance()["packages"],
    }


def _read(path: Path, max_pixels: int, min_side: int) -> np.ndarray:
    """The image as staging would accept it: size checked from the header, then decoded."""
    image = load_rgb(path, max_pixels)
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise ImageReadError(
            f"image is {width}x{height} pixels, smaller than --min-side = {min_side}", path
        )
    return image


def explain_command(args: argparse.Namespace) -> int:
    """Explain each image; an unreadable one is skipped with one line on stderr, exit status 1."""
    selection = args.select
    weights = None if str(args.weights).lower() == "none" else args.weights
    if is_factory(args.model) and weights == "DEFAULT":
        weights = None  # the factory's own weights
    model = load_model(
        args.model,
        weights=weights,
        target_layer=args.target_layer,
        device=args.device,
        classes=args.classes,
        input_size=tuple(args.input_size),
    )
    target = None if args.target is None else parse_class(args.target, model.classes)
    failures = 0
    for path in args.images:
        try:
            image = _read(path, args.max_pixels, args.min_side)
        except ImageReadError as error:
            # one line per image, whatever PIL's message holds; the others go on
            reason = " ".join(error.reason.split())
            print(f"secam: skipped {path}: {reason}", file=sys.stderr)
            failures += 1
            continue
        explanation = explain_image(
            model,
            image,
            args.method,
            selection,
            target,
            segmentation=_segmentation(args),
            lime_options={"num_samples": args.lime_samples, "seed": args.seed},
        )
        record = _record(path, model, explanation, args)
        stem = args.out / path.stem
        write_text(stem.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
        title = (
            f"{model.name} · {explanation.method} · {explanation.selection.name} · "
            f"{model.classes.short_label(explanation.target)}"
        )
        draw_overlay(
            image,
            explanation.labels,
            explanation.mask,
            explanation.selected_regions,
            stem.with_suffix(".png"),
            title,
        )
        print(f"{path}: explained {record['explained']['label']!r} -> {stem}.png, {stem}.json")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; an error meant for the user (:class:`secam.errors.SecamError`) is one
    line on stderr and exit status 2, with its traceback only under ``--debug``. Any other
    exception is a fault of secam and keeps its traceback."""
    args = _parser().parse_args(argv)
    try:
        return explain_command(args)
    except SecamError as error:
        if args.debug:
            traceback.print_exc()
        print(f"secam: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
