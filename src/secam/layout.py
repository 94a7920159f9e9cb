"""The results folder's layout: every path a run reads or writes under ``results``, spelled once.

The workflow's rules build their inputs, outputs and logs from :class:`ResultsLayout`, and the
report receives its per-shard files as mappings from what a file holds (model, method,
algorithm, shard) to its path, built here: no code recovers a name from a path's folders.

Templates carry Snakemake-style wildcards, ``{algorithm}``, ``{model}``, ``{method}`` and
``{shard}``; :meth:`ResultsLayout.fill` fills one, :meth:`ResultsLayout.files` fills one for
every combination of wildcard values. This module imports neither Snakemake nor torch.
"""

from __future__ import annotations

import itertools
import string
from collections.abc import Sequence
from dataclasses import dataclass

WILDCARDS = ("algorithm", "model", "method", "shard")

# The merged tables of the collect rule, ``<name>.parquet`` at the top of the results folder.
MERGED = ("metrics", "timings", "faithfulness", "baselines", "matched")

# Under tables/: name -> formats written.
REPORT_TABLES = {
    "summary": ("csv", "md"),
    "sanity": ("csv", "md"),
    **{
        name: ("csv", "md", "tex")
        for name in (
            "accuracy",
            "quantitative",
            "paired",
            "matched_area",
            "chosen_sizes",
            "chosen_vs_fixed",
            "timing",
            "faithfulness",
            "selection_faithfulness",
            "claims",
            "table1",
            "segmentation",
        )
    },
}
# Under figures/: name -> formats written. Tables II and III of the paper are image grids.
FIGURES = {
    name: ("png", "pdf")
    for name in (
        "examples",
        "timing",
        "faithfulness",
        *(f"figure{n}" for n in range(1, 6)),
        "table2",
        "table3",
        "segmentation",
        "sanity",
    )
}

# Under logs/: one log per rule (by the rule's name) and wildcard set; under benchmarks/, the
# same names with .tsv: each job's time and memory.
LOGS = {
    "stage": "stage.log",
    "segment": "segment/{shard}.log",
    "activate": "activate/{model}/{shard}.log",
    "explain": "explain/{model}/{method}/{shard}.log",
    "evaluate": "evaluate/{model}/{method}/{shard}.log",
    "baselines": "baselines/{model}/{shard}.log",
    "faithfulness": "faithfulness/{model}/{method}/{shard}.log",
    "segment_compared": "segcompare/{algorithm}/segment/{shard}.log",
    "explain_compared": "segcompare/{algorithm}/explain/{model}/{method}/{shard}.log",
    "evaluate_compared": "segcompare/{algorithm}/evaluate/{model}/{method}/{shard}.log",
    "collect": "collect.log",
    "summary": "summary.log",
    "examples": "examples.log",
    "quantitative": "quantitative.log",
    "paper_outputs": "paper_outputs.log",
    "segmentation_comparison": "segmentation_comparison.log",
    "sanity": "sanity/{model}/{shard}.log",
    "sanity_report": "sanity_report.log",
}

# The per-shard artifacts the segmentation comparison writes again for every compared
# algorithm, with the same names and tables as the main run's.
COMPARED = (
    "segment_labels",
    "segment_table",
    "explanation_table",
    "explanation_masks",
    "timings",
    "metrics",
)


def wildcards_of(template: str) -> tuple[str, ...]:
    """The wildcards of ``template`` in the order they appear."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    unknown = sorted(set(names) - set(WILDCARDS))
    if unknown:
        raise ValueError(f"{template}: unknown wildcards {unknown}")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class ResultsLayout:
    """The paths of a results folder ``root``; each property is a template."""

    root: str

    def _under(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    # --- staging -----------------------------------------------------------------------------
    @property
    def manifest(self) -> str:
        """The staged images (table ``manifest``)."""
        return self._under("manifest.parquet")

    @property
    def rejected(self) -> str:
        """The items staging refused, and why (table ``rejected``)."""
        return self._under("rejected.parquet")

    # --- per shard ---------------------------------------------------------------------------
    @property
    def segment_labels(self) -> str:
        """Superpixel label images of a shard (NPZ, key ``<image_id>``)."""
        return self._under("segments/{shard}.npz")

    @property
    def segment_table(self) -> str:
        """Superpixel counts and times of a shard (table ``segments``)."""
        return self._under("segments/{shard}.parquet")

    @property
    def activation_maps(self) -> str:
        """A model's maps of a shard (NPZ, key ``<source>/<image_id>``)."""
        return self._under("activations/{model}/{shard}.npz")

    @property
    def predictions(self) -> str:
        """A model's predictions of a shard (table ``predictions``)."""
        return self._under("activations/{model}/{shard}.parquet")

    @property
    def map_timings(self) -> str:
        """The time of each of a model's maps of a shard (table ``map_timings``)."""
        return self._under("activations/{model}/{shard}.map_timings.parquet")

    @property
    def explanation_table(self) -> str:
        """A method's explanations of a shard (table ``explanations``)."""
        return self._under("explanations/{model}/{method}/{shard}.parquet")

    @property
    def explanation_masks(self) -> str:
        """A method's explanation masks of a shard (NPZ, key ``<image_id>/<selection>``)."""
        return self._under("explanations/{model}/{method}/{shard}.npz")

    @property
    def timings(self) -> str:
        """A method's times of a shard (table ``timings``)."""
        return self._under("timings/{model}/{method}/{shard}.parquet")

    @property
    def metrics(self) -> str:
        """A method's localisation metrics of a shard (table ``metrics``)."""
        return self._under("metrics/{model}/{method}/{shard}.parquet")

    @property
    def faithfulness(self) -> str:
        """A method's deletion and insertion curves of a shard (table ``faithfulness``)."""
        return self._under("faithfulness/{model}/{method}/{shard}.parquet")

    @property
    def baselines(self) -> str:
        """A model's sanity baselines of a shard (table ``metrics``)."""
        return self._under("baselines/{model}/{shard}.parquet")

    @property
    def matched(self) -> str:
        """Every explanation of a model and shard redrawn at its area (table ``matched``)."""
        return self._under("matched/{model}/{shard}.parquet")

    @property
    def sanity(self) -> str:
        """A model's randomisation test of a shard, every method (table ``sanity``)."""
        return self._under("sanity/{model}/{shard}.parquet")

    @property
    def sanity_heatmaps(self) -> str:
        """The figure images' heatmaps of that test (NPZ, key ``<image_id>/<method>/<depth>``,
        depth 0 the trained model)."""
        return self._under("sanity/{model}/{shard}.npz")

    # --- the segmentation comparison: the main run's artifacts for another algorithm --------
    @property
    def comparison_root(self) -> str:
        """The folder of one compared algorithm's artifacts (same layout as the main run's)."""
        return self._under("segcompare/{algorithm}")

    def compared(self, artifact: str) -> str:
        """The template of a per-shard ``artifact`` (one of :data:`COMPARED`, a property's name)
        for a compared ``{algorithm}``."""
        if artifact not in COMPARED:
            raise ValueError(f"{artifact!r} is not rerun by the segmentation comparison")
        main: str = getattr(self, artifact)
        return self.comparison_root + main.removeprefix(self.root)

    # --- merged and reported -----------------------------------------------------------------
    def merged(self, name: str) -> str:
        """The all-shards table ``name`` (one of :data:`MERGED`) the collect rule writes."""
        if name not in MERGED:
            raise ValueError(f"no merged table {name!r}; known: {', '.join(MERGED)}")
        return self._under(f"{name}.parquet")

    @property
    def run_info(self) -> str:
        """Versions, platform and the validated configuration of the run (JSON)."""
        return self._under("run_info.json")

    def table(self, name: str, fmt: str) -> str:
        """``tables/<name>.<fmt>``, one of :data:`REPORT_TABLES`."""
        if fmt not in REPORT_TABLES.get(name, ()):
            raise ValueError(f"no table {name}.{fmt}")
        return self._under(f"tables/{name}.{fmt}")

    def figure(self, name: str, fmt: str) -> str:
        """``figures/<name>.<fmt>``, one of :data:`FIGURES`."""
        if fmt not in FIGURES.get(name, ()):
            raise ValueError(f"no figure {name}.{fmt}")
        return self._under(f"figures/{name}.{fmt}")

    def log(self, rule: str) -> str:
        """The log template of ``rule`` (by the rule's name, :data:`LOGS`)."""
        if rule not in LOGS:
            raise ValueError(f"no log for rule {rule!r}")
        return self._under(f"logs/{LOGS[rule]}")

    def benchmark(self, rule: str) -> str:
        """The benchmark table of ``rule``'s jobs (wall time, peak RSS, CPU time: Snakemake's
        ``benchmark:`` columns), beside its log under benchmarks/, with the log's wildcards."""
        if rule not in LOGS:
            raise ValueError(f"no benchmark for rule {rule!r}")
        return self._under(f"benchmarks/{LOGS[rule].removesuffix('.log')}.tsv")

    # --- everything ----------------------------------------------------------------------------
    def templates(self) -> dict[str, str]:
        """Every template of the layout by a name that says what it is."""
        names = [
            "manifest",
            "rejected",
            "segment_labels",
            "segment_table",
            "activation_maps",
            "predictions",
            "map_timings",
            "explanation_table",
            "explanation_masks",
            "timings",
            "metrics",
            "faithfulness",
            "baselines",
            "matched",
            "sanity",
            "sanity_heatmaps",
            "run_info",
        ]
        return {
            **{name: getattr(self, name) for name in names},
            **{f"compared_{name}": self.compared(name) for name in COMPARED},
            **{f"merged_{name}": self.merged(name) for name in MERGED},
            **{
                f"table_{name}_{fmt}": self.table(name, fmt)
                for name, formats in REPORT_TABLES.items()
                for fmt in formats
            },
            **{
                f"figure_{name}_{fmt}": self.figure(name, fmt)
                for name, formats in FIGURES.items()
                for fmt in formats
            },
            **{f"log_{rule}": self.log(rule) for rule in LOGS},
            **{f"benchmark_{rule}": self.benchmark(rule) for rule in LOGS},
        }

    # --- filling -----------------------------------------------------------------------------
    @staticmethod
    def fill(template: str, **wildcards: str) -> str:
        """``template`` with its wildcards replaced; every wildcard must be given, and no other."""
        expected = set(wildcards_of(template))
        if set(wildcards) != expected:
            raise ValueError(
                f"{template} takes the wildcards {sorted(expected)}, given {sorted(wildcards)}"
            )
        return template.format(**wildcards)

    @staticmethod
    def files(template: str, **values: Sequence[str]) -> dict[tuple[str, ...], str]:
        """``template`` filled for every combination of ``values`` (wildcard -> its values):
        the key of a path is the tuple of its wildcard values in the order of the keyword
        arguments, and the paths come in the order of :func:`itertools.product`, as Snakemake's
        ``expand`` lists them. Every wildcard of the template must be given values."""
        names = list(values)
        if set(names) != set(wildcards_of(template)):
            raise ValueError(
                f"{template} takes the wildcards {sorted(wildcards_of(template))}, given {names}"
            )
        return {
            combination: ResultsLayout.fill(template, **dict(zip(names, combination, strict=True)))
            for combination in itertools.product(*values.values())
        }
