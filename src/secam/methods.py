"""The explanation methods the pipeline compares, and what each is made of.

A method is one of three kinds:

- ``regions``: SeCAM — a Block-1 map averaged inside each superpixel, selected by top-k or by a
  share of the best region. ``secam`` uses the paper's map (``auto``: CAM on a GAP + linear head,
  the gradient map otherwise); ``secam_<source>`` is SeCAM over another CAM-family map.
- ``pixels``: a CAM-family heatmap thresholded pixel by pixel (CAM, Grad-CAM, ...).
- ``lime``: LIME on the same superpixels, selected by top-k: ``lime`` with the reference
  package, ``lime-batched`` the same explanation with the perturbed images built on the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from secam.errors import InputError

PIXEL_SOURCES = ("cam", "gradcam", "gradcampp", "layercam", "scorecam")
DISPLAY = {
    "cam": "CAM",
    "gradcam": "Grad-CAM",
    "gradcampp": "Grad-CAM++",
    "layercam": "LayerCAM",
    "scorecam": "Score-CAM",
    "lime": "LIME",
    "lime-batched": "LIME (batched)",
    "secam": "SeCAM",
}


def paper_source(head_path: str) -> str:
    """The paper's Block-1 map (the ``auto`` source): CAM on a global-average-pooling + linear
    head (``head_path`` "cam"), the gradient map dy^c/dA^k(x, y) otherwise."""
    return "cam" if head_path == "cam" else "gradient"


def secam_method(source: str) -> str:
    """The method that is SeCAM over ``source``'s map: ``secam`` for the paper's (``auto``),
    ``secam_<source>`` for another CAM-family map."""
    name = "secam" if source == "auto" else f"secam_{source}"
    if name not in METHODS:
        choices = ", ".join(["auto", *PIXEL_SOURCES[1:]])
        raise InputError(f"SeCAM source {source!r}: one of {choices}")
    return name


@dataclass(frozen=True)
class MethodSpec:
    name: str
    kind: str  # "regions", "pixels" or "lime"
    source: str | None  # Block-1 map source ("auto" = the paper's choice for the head)

    @property
    def display_name(self) -> str:
        if self.name.startswith("secam_"):
            return f"SeCAM over {DISPLAY[self.source or '']}"
        return DISPLAY[self.name]

    @property
    def segmented(self) -> bool:
        """Whether the method needs the image's superpixels (SeCAM and LIME do, CAM does not):
        its end-to-end time counts the segmentation."""
        return self.kind != "pixels"

    def resolved_source(self, head_path: str) -> str:
        """The concrete map this method reads for a model with ``head_path``."""
        if self.source == "auto":
            return paper_source(head_path)
        if self.source is None:
            raise ValueError(f"{self.name} reads no activation map")
        return self.source

    def applies_to(self, head_path: str) -> bool:
        """CAM exists only on a global-average-pooling + linear head."""
        return not (self.source == "cam" and head_path != "cam")


METHODS: dict[str, MethodSpec] = {
    "secam": MethodSpec("secam", "regions", "auto"),
    **{f"secam_{s}": MethodSpec(f"secam_{s}", "regions", s) for s in PIXEL_SOURCES[1:]},
    **{s: MethodSpec(s, "pixels", s) for s in PIXEL_SOURCES},
    "lime": MethodSpec("lime", "lime", None),
    "lime-batched": MethodSpec("lime-batched", "lime", None),
}
ORDER = (
    "lime",
    "lime-batched",
    *PIXEL_SOURCES,
    "secam",
    *(f"secam_{s}" for s in PIXEL_SOURCES[1:]),
)


def method_spec(name: str) -> MethodSpec:
    try:
        return METHODS[name]
    except KeyError:
        raise InputError(f"unknown method {name!r}; one of {', '.join(ORDER)}") from None


def map_sources(methods: list[str], head_path: str) -> list[str]:
    """The concrete maps the activate stage must compute for these methods, in a fixed order."""
    needed = set()
    for name in methods:
        spec = method_spec(name)
        if spec.source is not None and spec.applies_to(head_path):
            needed.add(spec.resolved_source(head_path))
    return sorted(needed)
