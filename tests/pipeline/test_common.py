import pytest

from secam.pipeline.common import batch_size_for


@pytest.mark.parametrize(
    ("setting", "device", "expected"),
    [(8, "cuda", 8), ({"cpu": 4, "cuda": 64}, "cuda", 64), ({"cpu": 4, "cuda": 64}, "mps", 4)],
)
def test_batch_size_per_device(setting, device, expected):
    assert batch_size_for(setting, device) == expected


def test_lime_subset_is_seeded_and_the_limit_takes_its_first_images():
    from secam.pipeline.common import lime_subset

    ids = [f"img{i:03d}" for i in range(100)]
    subset = lime_subset(ids, 40, seed=0)
    assert len(subset) == 40 and subset == lime_subset(list(reversed(ids)), 40, seed=0)
    assert subset != lime_subset(ids, 40, seed=1)
    limited = lime_subset(ids, 40, seed=0, limit=10)
    assert limited == set(sorted(subset)[:10])  # every compared image is in the main subset
    assert lime_subset(ids, None, seed=0, limit=5) == set(ids[:5])
