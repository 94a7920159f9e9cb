import torch

from secam.activations import SharedPass, make_mapper
from secam.timing import Stopwatch


def test_one_shared_pass_gives_every_sources_own_maps(embedded_model, sample_batch):
    sources = ["cam", "gradient", "gradcam", "gradcampp", "layercam"]
    targets = [5, 281, 967, 652, 670, 657]
    watch = Stopwatch()
    capture, maps = SharedPass(embedded_model, sources)(sample_batch, targets, watch)
    assert capture.targets.tolist() == targets and capture.gradients is not None
    for source in sources:
        alone = make_mapper(embedded_model, source)(sample_batch, targets).maps
        torch.testing.assert_close(maps[source], alone, atol=1e-5, rtol=1e-4)
    laps = {"forward", "backward", *(f"map:{s}" for s in sources)}
    assert set(watch.seconds) == laps and all(watch[lap] > 0 for lap in laps)
    # without gradient sources there is no backward at all
    watch = Stopwatch()
    capture, _ = SharedPass(embedded_model, ["cam"])(sample_batch[:2], None, watch)
    assert capture.gradients is None and "backward" not in watch.seconds
