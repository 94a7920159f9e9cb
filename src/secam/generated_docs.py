"""The generated references: docs/artifacts.md from :data:`secam.table_columns.TABLES` and
config/README.md from the configuration schema.

``python -m secam.generated_docs`` (from the repository root) writes both; ``--check`` writes
nothing and exits 1 naming each file that differs from what would be written. The output is a
function of the declarations alone (no dates), so a test can keep the committed files in step.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from secam.config import load_schema
from secam.layout import COMPARED, REPORT_TABLES, ResultsLayout, wildcards_of
from secam.pipeline.report import COLLECTED
from secam.table_columns import TABLES

COMMAND = "python -m secam.generated_docs"
ARTIFACTS_MD = Path("docs/artifacts.md")
CONFIG_README = Path("config/README.md")
SHIPPED_CONFIG = Path("config/config.yaml")

# Which files hold each table. The layout spells every path; what a file holds is otherwise said
# only by the writer that passes the table's name to write_table / check_columns, so the
# association is restated here: stage outputs by their ResultsLayout property, report tables by
# their name under tables/. (Merged tables come from the collect rule's COLLECTED.)
STAGE_ARTIFACTS: dict[str, tuple[str, ...]] = {
    "manifest": ("manifest",),
    "rejected": ("rejected",),
    "segments": ("segment_table",),
    "predictions": ("predictions",),
    "map_timings": ("map_timings",),
    "explanations": ("explanation_table",),
    "timings": ("timings",),
    "metrics": ("metrics", "baselines"),
    "faithfulness": ("faithfulness",),
    "matched": ("matched",),
    "sanity": ("sanity",),
}
REPORT_TABLE_OF: dict[str, str] = {
    "accuracy": "accuracy",
    "summary": "summary",
    "quantitative": "quantitative",
    "segmentation": "segmentation",
    "paired": "paired",
    "matched_area": "matched_area",
    "chosen_sizes": "chosen_sizes",
    "chosen_vs_fixed": "chosen_vs_fixed",
    "faithfulness_summary": "faithfulness",
    "selection_faithfulness": "selection_faithfulness",
    "table_one": "table1",
    "timing": "timing",
    "sanity_summary": "sanity",
}

# The shipped experiment configurations, one line each (a test checks every file is listed).
EXPERIMENTS: dict[str, str] = {
    "config/config.yaml": "the default run, offline: SeCAM, CAM, Grad-CAM and LIME with the "
    "embedded EfficientNet-Lite0 on the six embedded photographs of `data/sample`.",
    "config/ilsvrc-sample.yaml": "the comparison with EfficientNet-Lite0, -Lite1 and -Lite2 on "
    "the 204 images of the shared ILSVRC2012 validation sample (`../shared/ilsvrc-val-sample`), "
    "LIME on a seeded subset of 30, with the segmentation comparison.",
    "config/paper.yaml": "the paper's settings: ResNet50, InceptionV3 and VGG16 with torchvision's "
    "ImageNet weights (placed in the torch hub cache beforehand), one image per class plus the "
    "paper's example classes.",
    ".test/config/config.yaml": "the tiny CI configuration: two embedded images, LIME with 50 "
    "samples, every kind of method and the segmentation comparison.",
    ".test/config/scale.yaml": "the scale and robustness tests' configuration: one embedded "
    "image, SeCAM and LIME with 20 samples.",
}


# --- docs/artifacts.md ----------------------------------------------------------------------------
def table_files(table: str, layout: ResultsLayout) -> dict[str, list[str]]:
    """The files of ``layout`` that hold ``table``, by role ("per shard", "segmentation
    comparison", "merged", "report", or "one per run" for staging's), roles without files left
    out."""
    artifacts = STAGE_ARTIFACTS.get(table, ())
    written = [getattr(layout, artifact) for artifact in artifacts]
    report = REPORT_TABLE_OF.get(table)
    files = {
        "one per run": [path for path in written if "shard" not in wildcards_of(path)],
        "per shard": [path for path in written if "shard" in wildcards_of(path)],
        "segmentation comparison": [layout.compared(a) for a in artifacts if a in COMPARED],
        "merged": [layout.merged(name) for name, held in COLLECTED.items() if held == table],
        "report": [layout.table(report, fmt) for fmt in REPORT_TABLES[report]] if report else [],
    }
    files = {role: paths for role, paths in files.items() if paths}
    if not files:
        raise ValueError(f"table {table!r}: no file named for it in secam.generated_docs")
    return files


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: one line, pipes escaped, and angle brackets outside
    code spans escaped so that ``<archive>`` is not taken for an HTML tag."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):  # even parts lie outside code spans
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def render_artifacts() -> str:
    """docs/artifacts.md: every table of :data:`TABLES`, its files and its columns."""
    layout = ResultsLayout("results")
    lines = [
        "# Artifact tables",
        "",
        f"<!-- Generated by `{COMMAND}` from `secam.table_columns.TABLES`; "
        "do not edit by hand. -->",
        "",
        "Every table the workflow writes, its columns in the order they have in the files. The",
        "declarations live in `src/secam/table_columns.py` (`TABLES`): every writer and reader",
        f"checks a table's columns against them, and `{COMMAND}` regenerates this page from them.",
        "Paths are relative to the working directory with the default `results: results`;",
        "wildcards in braces: `{shard}` a shard of the manifest, `{model}` and `{method}` as in",
        "the configuration, `{algorithm}` a segmentation algorithm of `segmentation.compare`.",
        "Parquet tables carry their declared columns exactly; the CSV report tables too, and their",
        "`.md` and `.tex` files render them for reading.",
        "",
        "Tables: " + ", ".join(f"[`{name}`](#{name})" for name in TABLES) + ".",
    ]
    for table, columns in TABLES.items():
        lines += ["", f"## {table}", ""]
        files = table_files(table, layout).items()
        lines += [
            "Files: "
            + "; ".join(f"{role} " + ", ".join(f"`{p}`" for p in paths) for role, paths in files)
            + "."
        ]
        lines += ["", "| column | meaning |", "|---|---|"]
        lines += [f"| `{column}` | {_cell(meaning)} |" for column, meaning in columns.items()]
    return "\n".join(lines) + "\n"


# --- config/README.md -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfigKey:
    """One documented key of the schema: ``name`` in dotted form (``<model>`` stands for a
    key of a free-form mapping), its schema node, and whether it is a leaf."""

    name: str
    node: dict[str, Any]
    required: bool
    leaf: bool

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


MODEL_PLACEHOLDER = "<model>"


def config_keys(schema: Mapping[str, Any] | None = None) -> list[ConfigKey]:
    """Every key of the schema in declared order, depth first: leaves, and the mappings that
    hold keys (listed before their keys)."""
    return list(_walk(schema if schema is not None else load_schema(), ""))


def _walk(node: Mapping[str, Any], prefix: str) -> Iterator[ConfigKey]:
    required = set(node.get("required", ()))
    for key, sub in node.get("properties", {}).items():
        name = f"{prefix}{key}"
        extra = sub.get("additionalProperties")
        if "properties" in sub:
            yield ConfigKey(name, sub, key in required, leaf=False)
            yield from _walk(sub, f"{name}.")
        elif isinstance(extra, dict) and "properties" in extra:
            yield ConfigKey(name, sub, key in required, leaf=False)
            yield from _walk(extra, f"{name}.{MODEL_PLACEHOLDER}.")
        else:
            yield ConfigKey(name, sub, key in required, leaf=True)


def yaml_value(value: Any) -> str:
    """``value`` as it is written in the YAML configuration, on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


_PLURAL = {"string": "strings", "integer": "integers", "number": "numbers", "boolean": "booleans"}


def describe_type(node: Mapping[str, Any], schema: Mapping[str, Any], plural: bool = False) -> str:
    """A schema node's type in words: "integer ≥ 1", "one of slic, quickshift", "list of ..."."""
    if "$ref" in node:
        target = node["$ref"].removeprefix("#/$defs/")
        return describe_type(schema["$defs"][target], schema, plural)
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            return ", or ".join(
                describe_type(option, schema, plural) for option in node[combinator]
            )
    if "enum" in node:
        return "one of " + ", ".join(yaml_value(value) for value in node["enum"])
    kinds = node.get("type", "object")
    if isinstance(kinds, list):
        return " or ".join(describe_type({**node, "type": kind}, schema, plural) for kind in kinds)
    if kinds == "null":
        return "null"
    if kinds == "array":
        return _describe_array(node, schema)
    if kinds == "object":
        return _describe_mapping(node, schema)
    word = _PLURAL[kinds] if plural else kinds
    if kinds == "string" and node.get("minLength"):
        word = "non-empty " + word
    return " ".join([word, *_bounds(node)])


def _bounds(node: Mapping[str, Any]) -> list[str]:
    low, high = node.get("minimum"), node.get("maximum")
    open_low = node.get("exclusiveMinimum")
    if high is not None and (low is not None or open_low is not None):
        left = f"[{low}" if low is not None else f"({open_low}"
        return [f"in {left}, {high}]"]
    if low is not None:
        return [f"≥ {low}"]
    if open_low is not None:
        return [f"> {open_low}"]
    if high is not None:
        return [f"≤ {high}"]
    return []


def _describe_array(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    items = node.get("items", {})
    if "enum" in items:
        text = "list of values from " + ", ".join(map(yaml_value, items["enum"]))
    else:
        text = f"list of {describe_type(items, schema, plural=True)}"
    least, most = node.get("minItems"), node.get("maxItems")
    qualifiers = [
        f"exactly {least}" if least is not None and least == most else "",
        f"at least {least}" if least and least != most else "",
        "no repeats" if node.get("uniqueItems") else "",
    ]
    qualifiers = [q for q in qualifiers if q]
    return text + (f" ({', '.join(qualifiers)})" if qualifiers else "")


def _describe_mapping(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """A mapping given as a value (a section's keys are rows of their own)."""
    properties = node.get("properties", {})
    if isinstance(node.get("additionalProperties"), dict) and not properties:
        return "mapping of model name to the keys below"
    if not properties:
        return "mapping"
    required = set(node.get("required", ()))
    keys = ", ".join(f"{key}{' (required)' if key in required else ''}" for key in properties)
    values = {describe_type(sub, schema, plural=True) for sub in properties.values()}
    return f"mapping of {keys} to {values.pop()}" if len(values) == 1 else f"mapping of {keys}"


def _lookup(config: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    node: Any = config
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def describe_default(key: ConfigKey, shipped: Mapping[str, Any]) -> str:
    """The schema's default (or "required" / "none"), and config/config.yaml's value where it
    differs from the default or where there is none."""
    has_default = "default" in key.node
    if has_default:
        text = f"`{yaml_value(key.node['default'])}`"
    else:
        text = "required" if key.required else "none"
    is_shipped, value = _lookup(shipped, key.path)
    if is_shipped and key.leaf and (not has_default or value != key.node["default"]):
        text += f"; `{SHIPPED_CONFIG.as_posix()}`: `{yaml_value(value)}`"
    return text


def _config_intro() -> list[str]:
    experiments = [f"- `{path}`: {line}" for path, line in EXPERIMENTS.items()]
    return [
        "# Configuration",
        "",
        f"<!-- Generated by `{COMMAND}` from `src/secam/resources/config.schema.yaml`"
        " (`workflow/schemas/config.schema.yaml`); do not edit by hand. -->",
        "",
        "The workflow reads `config/config.yaml`, the default run, which works offline on the",
        "embedded model and images. To run something else, edit that file, or write your own",
        "YAML holding only the keys you change and pass it with",
        "`snakemake --cores 2 --configfile my.yaml`: Snakemake loads `config/config.yaml` (the",
        "Snakefile's `configfile:`) and merges each `--configfile` over it, mapping into mapping,",
        "so `segmentation: {n_segments: 30}` changes that key alone and keeps the other",
        "`segmentation` keys; a list or a scalar is replaced as a whole. `--config key=value`",
        "overrides a top-level key last (`--config results=/tmp/run`); nested keys are easiest",
        "to change in a `--configfile`. The merged configuration is then validated against the",
        "schema before any job runs: an unknown key, a missing required key or a bad value stops",
        "the run with a message that names the key, and the defaults below fill every key left",
        "out.",
        "",
        "Shipped configurations:",
        "",
        *experiments,
        "",
        "## Keys",
        "",
        "Every key, nested keys in dotted form; `<model>` stands for a name listed in `models`.",
        "*Default* is the schema's; where `config/config.yaml` sets another value, or one for a",
        "key without default, that value follows.",
    ]


def render_config_readme(
    shipped: Mapping[str, Any], schema: Mapping[str, Any] | None = None
) -> str:
    """config/README.md: the introduction and every key of the schema; ``shipped`` is the
    content of config/config.yaml."""
    schema = schema if schema is not None else load_schema()
    lines = [*_config_intro(), "", "| key | type | default | meaning |", "|---|---|---|---|"]
    for key in config_keys(schema):
        kind = describe_type(key.node, schema) if key.leaf else "section: the keys below"
        if key.name == "model_options":
            kind = _describe_mapping(key.node, schema)
        row = [
            f"`{key.name}`",
            _cell(kind),
            _cell(describe_default(key, shipped)),
            _cell(key.node.get("description", "")),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


# --- command --------------------------------------------------------------------------------------
def rendered(shipped_config: Path = SHIPPED_CONFIG) -> dict[str, str]:
    """The generated references by kind ("artifacts", "config")."""
    shipped = yaml.safe_load(shipped_config.read_text()) or {}
    return {"artifacts": render_artifacts(), "config": render_config_readme(shipped)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    parser.add_argument("--artifacts", type=Path, default=ARTIFACTS_MD, help="%(default)s")
    parser.add_argument("--config-readme", type=Path, default=CONFIG_README, help="%(default)s")
    parser.add_argument("--shipped-config", type=Path, default=SHIPPED_CONFIG, help="%(default)s")
    args = parser.parse_args(argv)
    texts = rendered(args.shipped_config)
    targets = {args.artifacts: texts["artifacts"], args.config_readme: texts["config"]}
    stale = [path for path, text in targets.items() if _read(path) != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run `{COMMAND}` from the repository root", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(targets[path])
        print(f"wrote {path}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


if __name__ == "__main__":
    sys.exit(main())
