"""Row order of every table: methods and baselines in paper order, selections top-k first."""

import pandas as pd

from secam.report.ordering import ordered


def test_rows_follow_paper_order_then_the_given_ranks():
    rows = [
        ("b", "lime", "top2", "ebpg"),
        ("a", "full-image", "all", "box_iou"),
        ("a", "centre-box@secam", "thr80", "box_iou"),
        ("a", "random-regions", "top3", "box_iou"),
        ("a", "secam", "thr60", "box_iou"),
        ("a", "secam", "thr80", "ebpg"),
        ("a", "secam", "thr80", "box_iou"),
        ("a", "secam", "top4", "box_iou"),
        ("a", "secam", "top2", "box_iou"),
        ("a", "centre-box@lime", "top2", "box_iou"),
        ("a", "lime", "top2", "box_iou"),
    ]
    frame = pd.DataFrame(rows, columns=["model", "method", "selection", "metric"])
    frame.index = range(100, 100 + len(frame))

    result = ordered(
        frame, "method", "selection", "metric", ranks={"metric": ["box_iou", "ebpg"].index}
    )

    assert list(result.itertuples(index=False, name=None)) == [
        ("a", "lime", "top2", "box_iou"),
        ("a", "secam", "top2", "box_iou"),
        ("a", "secam", "top4", "box_iou"),
        ("a", "secam", "thr80", "box_iou"),
        ("a", "secam", "thr80", "ebpg"),
        ("a", "secam", "thr60", "box_iou"),
        ("a", "random-regions", "top3", "box_iou"),
        ("a", "centre-box@lime", "top2", "box_iou"),
        ("a", "centre-box@secam", "thr80", "box_iou"),
        ("a", "full-image", "all", "box_iou"),
        ("b", "lime", "top2", "ebpg"),
    ]
    assert list(result.index) == list(range(len(frame)))


def test_other_columns_sort_by_value_and_an_empty_frame_passes_through():
    frame = pd.DataFrame(
        {
            "model": ["m", "m", "m"],
            "method": ["cam", "cam", "cam"],
            "device": ["cuda", "cpu", "mps"],
        }
    )
    assert ordered(frame, "method", "device")["device"].tolist() == ["cpu", "cuda", "mps"]
    empty = frame.iloc[:0]
    assert ordered(empty, "method").empty
