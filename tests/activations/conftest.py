"""Fixtures of the CAM-family tests: the embedded sample, preprocessed for the embedded model."""

import pytest

from secam.imaging import load_rgb

from ..conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_batch(embedded_model):
    images = [load_rgb(p) for p in sorted((SAMPLE / "images").iterdir())]
    return embedded_model.preprocessing(images)


@pytest.fixture(scope="module")
def real_batch(embedded_model):
    images = [load_rgb(p) for p in sorted((SAMPLE / "images").iterdir())[:3]]
    return embedded_model.preprocessing(images)
