"""The stopwatch: seconds per component, accumulated over laps, waiting for the device."""

import time
from types import SimpleNamespace

import pytest
import torch

from secam import timing
from secam.timing import Stopwatch


@pytest.fixture
def clock(monkeypatch):
    """A fake perf_counter that advances only when told to."""
    now = SimpleNamespace(value=100.0)

    def advance(seconds: float) -> None:
        now.value += seconds

    monkeypatch.setattr(timing, "time", SimpleNamespace(perf_counter=lambda: now.value))
    return advance


def test_laps_of_one_component_accumulate(clock):
    watch = Stopwatch()
    with watch.lap("forward"):
        clock(1.5)
    clock(10.0)  # time between laps is not counted
    with watch.lap("forward"):
        clock(0.25)
    with watch.lap("surrogate"):
        clock(2.0)
    assert watch.seconds == {"forward": 1.75, "surrogate": 2.0}
    assert watch["forward"] == 1.75 and watch["surrogate"] == 2.0


def test_an_unknown_component_reads_zero_without_being_added():
    watch = Stopwatch()
    assert watch["backward"] == 0.0
    assert watch.seconds == {}


def test_nested_laps_each_count_their_own_span(clock):
    watch = Stopwatch()
    with watch.lap("outer"):
        clock(1.0)
        with watch.lap("inner"):
            clock(2.0)
        with watch.lap("inner"):
            clock(3.0)
        clock(0.5)
    assert watch.seconds == {"outer": 6.5, "inner": 5.0}


def test_a_lap_that_raises_is_still_counted(clock):
    watch = Stopwatch()
    with pytest.raises(RuntimeError, match="boom"), watch.lap("forward"):
        clock(0.75)
        raise RuntimeError("boom")
    assert watch["forward"] == 0.75


def test_a_lap_measures_real_time():
    watch = Stopwatch("cpu")
    with watch.lap("sleep"):
        time.sleep(0.05)
    assert 0.05 <= watch["sleep"] < 5
    assert watch.device == torch.device("cpu")


def test_a_cuda_watch_waits_for_the_device_at_both_ends(clock, monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device: events.append(("sync", device)))
    watch = Stopwatch("cuda")
    with watch.lap("forward"):
        events.append("work")
        clock(1.0)
    device = torch.device("cuda")
    assert events == [("sync", device), "work", ("sync", device)]
    assert watch["forward"] == 1.0


def test_a_cpu_watch_never_synchronizes(monkeypatch):
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device: pytest.fail("synchronized"))
    watch = Stopwatch(torch.device("cpu"))
    with watch.lap("forward"):
        pass
    assert set(watch.seconds) == {"forward"} and watch["forward"] >= 0
