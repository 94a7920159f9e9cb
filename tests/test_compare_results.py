"""benchmarks/compare_results.py, the check that a change moved no result: timings aside, every
table and array must be equal."""

import numpy as np
import pandas as pd

from .conftest import benchmark_module

compare_results = benchmark_module("compare_results")


def _results(root, box_iou, seconds, empty_dtype):
    (root / "tables").mkdir(parents=True)
    pd.DataFrame({"image_id": ["a", "b"], "box_iou": box_iou, "total_seconds": seconds}).to_parquet(
        root / "metrics.parquet"
    )
    pd.DataFrame(
        {"image_id": pd.Series(dtype=object), "ebpg": pd.Series(dtype=empty_dtype)}
    ).to_parquet(root / "empty.parquet")
    pd.DataFrame({"claim": ["(b) x"], "evidence": ["SeCAM/cam time 1.1x"]}).to_csv(
        root / "tables" / "claims.csv", index=False
    )
    np.savez(root / "masks.npz", a=np.array([1, 2], dtype=np.uint8))


def _compare(monkeypatch, a, b) -> int:
    monkeypatch.setattr("sys.argv", ["compare_results.py", str(a), str(b)])
    return compare_results.main()


def test_equal_results_up_to_timings(tmp_path, monkeypatch, capsys):
    _results(tmp_path / "a", [0.5, 0.25], [1.0, 2.0], object)
    _results(tmp_path / "b", [0.5, 0.25], [3.0, 4.0], float)  # other times, empty dtype
    assert _compare(monkeypatch, tmp_path / "a", tmp_path / "b") == 0
    assert "identical" in capsys.readouterr().out


def test_a_changed_number_or_a_missing_table_is_a_difference(tmp_path, monkeypatch, capsys):
    _results(tmp_path / "a", [0.5, 0.25], [1.0, 2.0], float)
    _results(tmp_path / "b", [0.5, 0.2500001], [1.0, 2.0], float)
    assert _compare(monkeypatch, tmp_path / "a", tmp_path / "b") == 1
    assert "metrics.parquet" in capsys.readouterr().out
    _results(tmp_path / "c", [0.5, 0.25], [1.0, 2.0], float)
    (tmp_path / "c" / "metrics.parquet").unlink()
    assert _compare(monkeypatch, tmp_path / "a", tmp_path / "c") == 1
    assert "metrics.parquet: only in A" in capsys.readouterr().out
