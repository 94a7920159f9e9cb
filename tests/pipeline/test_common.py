import os

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


def test_progress_lines_give_the_rate_and_what_is_left_on_a_fake_clock():
    from secam.pipeline.common import Progress

    now = [100.0]  # 18 s per image: a line after the first, then every 30 s, then at the end
    lines: list[str] = []
    progress = Progress("lime m shard00001", 5, clock=lambda: now[0], emit=lines.append)
    for _ in progress.track(range(5)):
        now[0] += 18.0
    assert lines == [
        "lime m shard00001: 1/5 images, 18 s/image, about 1 min left",  # 4 x 18 = 72 s
        "lime m shard00001: 3/5 images, 18 s/image, about 36 s left",  # 54 - 18 >= 30
        "lime m shard00001: 5/5 images, 18 s/image, done in 2 min",  # 90 s
    ]


def test_progress_is_silent_between_lines_and_after_a_failure():
    from secam.pipeline.common import Progress

    now = [0.0]
    lines: list[str] = []
    progress = Progress("faithfulness", 400, clock=lambda: now[0], emit=lines.append, every=30)
    for index in progress.track(range(400)):
        now[0] += 0.25  # 120 images between two lines
        if index == 300:
            break  # a loop that stops early (an error) claims no "done"
    assert len(lines) == 3  # after image 1, 121 and 241
    assert lines[1] == "faithfulness: 121/400 images, 0.25 s/image, about 1 min left"
    assert lines[2] == "faithfulness: 241/400 images, 0.25 s/image, about 40 s left"
    assert not any("done" in line for line in lines)


def test_durations_read_as_a_person_would_say_them():
    from secam.pipeline.common import duration

    assert [duration(s) for s in (0.4, 40, 59.6, 480, 3599, 7500)] == [
        "0 s",
        "40 s",
        "1 min",
        "8 min",
        "1 h 0 min",
        "2 h 5 min",
    ]


def test_a_job_is_held_to_its_threads(monkeypatch):
    """torch's pools, numba's, the BLAS and OpenMP pools already loaded, and the variables
    that size the ones loaded later, all set to the job's thread count."""
    import numba
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from secam.pipeline.common import THREAD_VARIABLES, limit_threads

    interop = []
    monkeypatch.setattr(torch, "set_num_interop_threads", interop.append)
    for variable in THREAD_VARIABLES:
        monkeypatch.setenv(variable, "8")
    before, numba_before = torch.get_num_threads(), numba.get_num_threads()
    with threadpool_limits(limits=None):  # restores the pools' limits on leaving
        try:
            assert limit_threads(1) == 1
            assert torch.get_num_threads() == 1 and interop == [1]
            assert numba.get_num_threads() == 1
            assert {pool["num_threads"] for pool in threadpool_info()} == {1}
            assert {os.environ[variable] for variable in THREAD_VARIABLES} == {"1"}
            assert limit_threads(0) == 1  # never none
        finally:
            torch.set_num_threads(before)
            numba.set_num_threads(numba_before)
