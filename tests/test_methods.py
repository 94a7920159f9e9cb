"""The method catalogue: what each method reads, and the paper's choice of map for each head."""

from __future__ import annotations

import pytest

from secam.activations import SOURCES
from secam.methods import METHODS, ORDER, map_sources, method_spec


def test_auto_is_cam_on_a_gap_linear_head_and_the_gradient_map_otherwise():
    secam = method_spec("secam")
    assert secam.resolved_source("cam") == "cam"
    assert secam.resolved_source("gradient") == "gradient"
    assert method_spec("secam_layercam").resolved_source("cam") == "layercam"
    with pytest.raises(ValueError, match="reads no activation map"):
        method_spec("lime").resolved_source("cam")


def test_cam_applies_only_to_a_gap_linear_head():
    assert method_spec("cam").applies_to("cam")
    assert not method_spec("cam").applies_to("gradient")
    assert method_spec("secam").applies_to("gradient")  # the gradient path needs no GAP
    assert method_spec("gradcam").applies_to("gradient")


def test_the_maps_to_compute_are_deduplicated_and_follow_the_head():
    methods = ["secam", "cam", "gradcam", "lime", "secam_gradcam"]
    assert map_sources(methods, "cam") == ["cam", "gradcam"]
    # without a CAM head, CAM is dropped and SeCAM reads the gradient map
    assert map_sources(methods, "gradient") == ["gradcam", "gradient"]
    assert map_sources(["lime", "lime-batched"], "cam") == []


def test_every_method_is_ordered_named_and_reads_a_map_that_exists():
    assert sorted(ORDER) == sorted(METHODS)
    for spec in METHODS.values():
        assert spec.kind in ("regions", "pixels", "lime")
        assert spec.display_name
        for head in ("cam", "gradient"):
            if spec.source is not None and spec.applies_to(head):
                assert spec.resolved_source(head) in SOURCES
    assert method_spec("secam_gradcampp").display_name == "SeCAM over Grad-CAM++"
    with pytest.raises(ValueError, match="unknown method 'secamm'"):
        method_spec("secamm")


def test_the_registries_keyed_by_method_or_map_agree_with_the_method_table():
    """Each table keyed by a method or a map name covers exactly the methods that need it: the
    maps (the paper's two and the CAM family), the LIME scorers, the display names and the
    runtime guesses of the LIME jobs."""
    from secam.lime import SCORERS
    from secam.methods import DISPLAY, PIXEL_SOURCES
    from secam.scheduler import EXPECTED_SECONDS_PER_IMAGE

    assert set(SOURCES) == {*PIXEL_SOURCES, "cam", "gradient"}
    lime_methods = {name for name, spec in METHODS.items() if spec.kind == "lime"}
    assert set(SCORERS) == lime_methods == set(EXPECTED_SECONDS_PER_IMAGE["explain_lime"])
    assert {name for name in METHODS if not name.startswith("secam_")} == set(DISPLAY)
