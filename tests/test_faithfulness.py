import numpy as np

from secam.faithfulness import blurred, region_curves

SIZE, CELL = 64, 8


def _scene():
    """A bright square object on black, an 8x8 grid of superpixels, and a classifier whose
    probability is the object's remaining brightness."""
    image = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    image[8:32, 8:32] = 255
    rows, cols = np.indices((SIZE, SIZE))
    labels = (rows // CELL) * (SIZE // CELL) + cols // CELL
    object_mask = image[..., 0] > 0

    def classify(batch: np.ndarray) -> np.ndarray:
        brightness = batch[:, object_mask, 0].mean(axis=1) / 255.0
        return np.stack([1 - brightness, brightness], axis=1)

    return image, labels, object_mask, classify


def test_perfect_explanation_deletes_faster_and_inserts_faster_than_random():
    image, labels, object_mask, classify = _scene()
    n = labels.max() + 1
    perfect = np.array([object_mask[labels == r].mean() for r in range(n)])
    rng = np.random.default_rng(0)
    random_auc = [
        region_curves(classify, image, labels, rng.random(n), 1, steps=16) for _ in range(5)
    ]
    ideal = region_curves(classify, image, labels, perfect, 1, steps=16)
    assert ideal.deletion[0] == ideal.insertion[-1] == 1.0  # untouched image
    assert ideal.deletion_auc < min(c.deletion_auc for c in random_auc)
    assert ideal.insertion_auc > max(c.insertion_auc for c in random_auc)
    assert ideal.fractions[0] == 0 and ideal.fractions[-1] == 1


def test_curves_are_monotone_for_the_perfect_order():
    image, labels, object_mask, classify = _scene()
    n = labels.max() + 1
    perfect = np.array([object_mask[labels == r].mean() for r in range(n)])
    curves = region_curves(classify, image, labels, perfect, 1, steps=8)
    assert np.all(np.diff(curves.deletion) <= 1e-9)
    assert np.all(np.diff(curves.insertion) >= -1e-9)


def test_blur_keeps_colours_and_removes_detail():
    image, *_ = _scene()
    soft = blurred(image)
    assert soft.dtype == np.uint8 and soft.shape == image.shape
    assert abs(float(soft.mean()) - float(image.mean())) < 8
    assert soft.std() < image.std()
