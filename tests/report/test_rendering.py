"""The report's tables as a reader sees them: Markdown and LaTeX cells, headers, widths."""

import pandas as pd

from secam.report.rendering import compact, render
from secam.report.tables import chosen_sizes, paired_differences, quantitative, timing_table

from .conftest import sample_metrics


def test_tex_and_markdown_cells_hold_the_value_with_its_interval():
    metrics = sample_metrics()
    table = quantitative(metrics, resamples=200)
    shown = compact(table)
    first = table.iloc[0]
    expected = f"{first['box_iou']:.2f} [{first['box_iou_low']:.2f}, {first['box_iou_high']:.2f}]"
    assert shown["IoU (box)"].iloc[0] == expected
    assert not any(c.endswith(("low", "high")) for c in shown.columns)
    metrics_shown = [c for c in shown.columns if "[" in str(shown[c].iloc[0])]
    assert len(metrics_shown) == 4  # energy EBPG is all n/a here
    tex = render(table, "tex")
    assert expected in tex
    # the model heads its rows: one column fewer than the compact table, whatever the run
    header = tex.splitlines()[2]
    assert header.count("&") + 1 == len(shown.columns) - 1 <= 11
    assert "\\multicolumn{10}{l}{\\textit{m}}" in tex
    assert f"| {expected} |" in render(table, "md")
    # the CSV keeps one column per number, at full precision
    assert render(table, "csv").splitlines()[0].split(",") == list(table.columns)


def test_every_report_table_fits_eleven_columns_in_tex():
    metrics = sample_metrics()
    timings = pd.DataFrame(
        {
            "model": "m",
            "method": "secam",
            "device": "cpu",
            "total_seconds": [1.0, 2.0],
            "segmentation_seconds": [0.5, 0.5],
        }
    )
    chosen = metrics.assign(selection="suff90", n_selected=3, n_regions=40)
    for frame in (
        quantitative(metrics, resamples=50),
        paired_differences(metrics, resamples=50),
        timing_table(timings),
        chosen_sizes(chosen),
    ):
        header = render(frame, "tex").splitlines()[2]
        assert header.count("&") + 1 <= 11
    assert render(timing_table(timings), "md").splitlines()[2].count("1.5 [1.25, 1.75]") == 1
