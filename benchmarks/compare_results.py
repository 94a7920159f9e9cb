"""Compare the results of two workflow runs, table by table, timings aside.

A check, not a test: after a change that must not move any number, run the tiny workflow before
and after it and compare the two results folders. Every Parquet table under either folder and
every ``tables/*.csv`` is read from both sides and compared with ``pandas.testing.
assert_frame_equal`` (exact: no tolerance), after dropping what differs from run to run:

- timing columns: any name containing ``seconds`` or ``_over_`` (time ratios), and ``threads``,
  ``device``, ``torch_version``, ``batch_size``;
- timing tables: ``tables/timing.csv``, ``tables/table1.csv`` (the paper's Table I: times only),
  and any other CSV named with ``--skip``;
- timing rows: the claims whose evidence is a time ratio (``tables/claims.csv``, claim (b)).

A column present in only one folder is named, and the common columns are compared; a table
present in only one folder counts as a difference; two empty tables are equal whatever their
columns' dtypes. Every NPZ archive (superpixels, maps, masks)
is compared too, array by array, bit for bit. Prints each table compared, its columns and any
difference; exits 1 if there is a difference.

Usage: python benchmarks/compare_results.py A B [--skip NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

RUN_DEPENDENT = {"threads", "device", "torch_version", "batch_size"}
TIMING_TABLES = {"timing.csv", "table1.csv"}
# (table, column, pattern): rows of a table that report times, left out like timing columns
TIMING_ROWS = (("tables/claims.csv", "evidence", r"\btime\b"),)


def is_timing_column(name: str) -> bool:
    return "seconds" in name or "_over_" in name or name in RUN_DEPENDENT


def tables_under(root: Path, skip: set[str]) -> set[str]:
    """Relative paths of the Parquet tables (anywhere) and of ``tables/*.csv``."""
    found = {str(p.relative_to(root)) for p in root.rglob("*.parquet") if p.is_file()}
    found |= {
        str(p.relative_to(root))
        for p in (root / "tables").glob("*.csv")
        if p.is_file() and p.name not in skip
    }
    return found


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def without_timing_rows(frame: pd.DataFrame, relative: str) -> pd.DataFrame:
    for table, column, pattern in TIMING_ROWS:
        if relative == table and column in frame.columns:
            frame = frame[~frame[column].astype(str).str.contains(pattern, regex=True)]
    return frame


def compare(a: Path, b: Path, relative: str) -> list[str]:
    """Problems found in one table (empty when equal); prints what was compared."""
    left = without_timing_rows(read(a / relative), relative)
    right = without_timing_rows(read(b / relative), relative)
    left = left.drop(columns=[c for c in left.columns if is_timing_column(str(c))])
    right = right.drop(columns=[c for c in right.columns if is_timing_column(str(c))])
    only_left = [c for c in left.columns if c not in right.columns]
    only_right = [c for c in right.columns if c not in left.columns]
    common = [c for c in left.columns if c in right.columns]
    print(f"{relative}: {len(left)} vs {len(right)} rows; columns {', '.join(map(str, common))}")
    for side, columns in (("A", only_left), ("B", only_right)):
        if columns:
            print(f"  note: only in {side}: {', '.join(map(str, columns))}")
    if left.empty and right.empty:
        # no values to differ; an empty column's dtype depends on how the empty frame was built
        return []
    try:
        pd.testing.assert_frame_equal(
            left[common].reset_index(drop=True),
            right[common].reset_index(drop=True),
            check_exact=True,
            check_dtype=True,
        )
    except AssertionError as error:
        return [f"{relative}: {error}"]
    return []


def compare_arrays(a: Path, b: Path, relative: str) -> list[str]:
    """Problems found in one NPZ archive: keys on one side only, or arrays that differ."""
    with np.load(a / relative) as left, np.load(b / relative) as right:
        keys_a, keys_b = set(left.files), set(right.files)
        problems = [f"{relative}: key {k} only in A" for k in sorted(keys_a - keys_b)]
        problems += [f"{relative}: key {k} only in B" for k in sorted(keys_b - keys_a)]
        for key in sorted(keys_a & keys_b):
            if not np.array_equal(left[key], right[key]) or left[key].dtype != right[key].dtype:
                problems.append(f"{relative}: array {key} differs")
    print(f"{relative}: {len(keys_a & keys_b)} arrays")
    return problems


def arrays_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*.npz") if p.is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="results folder of the reference run")
    parser.add_argument("b", type=Path, help="results folder of the run to check")
    parser.add_argument("--skip", nargs="*", default=[], help="more tables/*.csv to leave out")
    args = parser.parse_args()
    for root in (args.a, args.b):
        if not root.is_dir():
            parser.error(f"{root} is not a folder")
    skip = TIMING_TABLES | set(args.skip)
    in_a, in_b = tables_under(args.a, skip), tables_under(args.b, skip)
    problems = [f"{relative}: only in A ({args.a})" for relative in sorted(in_a - in_b)]
    problems += [f"{relative}: only in B ({args.b})" for relative in sorted(in_b - in_a)]
    both = sorted(in_a & in_b)
    for relative in both:
        problems += compare(args.a, args.b, relative)
    arrays_a, arrays_b = arrays_under(args.a), arrays_under(args.b)
    problems += [f"{relative}: only in A" for relative in sorted(arrays_a - arrays_b)]
    problems += [f"{relative}: only in B" for relative in sorted(arrays_b - arrays_a)]
    archives = sorted(arrays_a & arrays_b)
    for relative in archives:
        problems += compare_arrays(args.a, args.b, relative)
    print(
        f"\n{len(both)} tables and {len(archives)} NPZ archives compared "
        f"(skipped as timing: {', '.join(sorted(skip))})"
    )
    if problems:
        print(f"{len(problems)} difference(s):")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print("identical (timing columns aside; arrays bit for bit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
