"""The generated references (docs/artifacts.md, config/README.md) match the declarations they are
generated from; the LICENSE and the Snakemake workflow catalog's metadata file are in place."""

import re
import subprocess
import sys

import pytest
import yaml

from secam import generated_docs
from secam.config import default, load_schema
from secam.table_columns import TABLES

from .conftest import REPO

ARTIFACTS = REPO / generated_docs.ARTIFACTS_MD
CONFIG_README = REPO / generated_docs.CONFIG_README


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return generated_docs.rendered(REPO / generated_docs.SHIPPED_CONFIG)


@pytest.mark.parametrize(("kind", "path"), [("artifacts", ARTIFACTS), ("config", CONFIG_README)])
def test_committed_reference_is_current(rendered, kind, path):
    command = generated_docs.COMMAND
    assert path.is_file(), f"{path} is missing: run `{command}` from the repository root"
    assert path.read_text() == rendered[kind], (
        f"{path.relative_to(REPO)} is stale: run `{command}` from the repository root"
    )


def _schema_leaf_keys(schema: dict, prefix: str = "") -> list[str]:
    """Dotted names of the keys that hold values (the walk README's old check made)."""
    keys = []
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        keys.extend(_schema_leaf_keys(sub, f"{name}.") if "properties" in sub else [name])
    return keys


def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n")[1].split("\n## ")[0]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_is_documented(table):
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", _section(ARTIFACTS.read_text(), table), re.M)
    assert documented == list(TABLES[table])


def _rows(text: str) -> dict[str, list[str]]:
    """config/README.md's key table: key -> its cells (type, default, meaning)."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^\| `([^`]+)` \| (.*) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2).split(" | ")
    return rows


def test_every_config_key_is_documented():
    rows = _rows(CONFIG_README.read_text())
    keys = _schema_leaf_keys(load_schema())
    assert "dataset.sample.per_class" in keys and "lime.seed" in keys
    assert set(keys) <= set(rows), sorted(set(keys) - set(rows))
    # the keys of every model's options, and every leaf has a meaning
    assert "model_options.<model>.factory" in rows
    leaves = [key.name for key in generated_docs.config_keys() if key.leaf]
    assert set(leaves) - set(keys) == {f"model_options.<model>.{k}" for k in _model_option_keys()}
    assert [key for key in leaves if not rows[key][2].strip()] == []


def _model_option_keys() -> list[str]:
    return list(load_schema()["properties"]["model_options"]["additionalProperties"]["properties"])


def test_defaults_shown_are_the_schema_defaults():
    rows = _rows(CONFIG_README.read_text())
    with_defaults = [
        key for key in generated_docs.config_keys() if key.leaf and "default" in key.node
    ]
    checked = 0
    for key in with_defaults:
        if "<model>" in key.name:
            continue
        shown = rows[key.name][1].split(";")[0]
        assert shown == f"`{generated_docs.yaml_value(default(*key.path))}`", key.name
        checked += 1
    assert checked > 40
    assert rows["segmentation.n_segments"][1] == "`50`"
    assert rows["lime.batch_size"][1] == "`{cpu: 4, cuda: 250}`"


def test_shipped_values_are_shown_where_they_differ_or_nothing_is_default():
    rows = _rows(CONFIG_README.read_text())
    shipped = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert rows["models"][1] == f"required; `config/config.yaml`: `[{shipped['models'][0]}]`"
    assert rows["dataset.images"][1].endswith(f"`{shipped['dataset']['images']}`")
    # equal to the default: no second value
    assert shipped["segmentation"]["n_segments"] == default("segmentation", "n_segments")
    assert "config.yaml" not in rows["segmentation.n_segments"][1]


def test_types_are_readable():
    rows = _rows(CONFIG_README.read_text())
    assert rows["segmentation.algorithm"][0] == "one of slic, quickshift, felzenszwalb"
    assert rows["dataset.sample.per_class"][0] == "integer ≥ 1 or null"
    assert rows["selection.thresholds"][0] == "list of numbers in (0, 1] (no repeats)"
    assert rows["dataset.synsets"][0] == "string or null"
    assert rows["activation.batch_size"][0].startswith("integer ≥ 1, or mapping of cpu (required)")


def test_every_shipped_configuration_is_listed():
    shipped = sorted(
        path.relative_to(REPO).as_posix()
        for pattern in ("config/*.yaml", ".test/config/*.yaml")
        for path in REPO.glob(pattern)
    )
    assert sorted(generated_docs.EXPERIMENTS) == shipped
    text = CONFIG_README.read_text()
    assert all(f"- `{path}`:" in text for path in shipped)


def test_table_files_come_from_the_layout():
    from secam.layout import ResultsLayout

    layout = ResultsLayout("out")
    files = generated_docs.table_files("metrics", layout)
    assert files["merged"] == [layout.merged("metrics"), layout.merged("baselines")]
    assert layout.baselines in files["per shard"]
    assert generated_docs.table_files("faithfulness_summary", layout)["report"][0] == (
        layout.table("faithfulness", "csv")
    )
    assert all(generated_docs.table_files(table, layout) for table in TABLES)


def test_a_configfile_is_merged_over_the_default_one(tmp_path):
    """config/README.md: a --configfile holding some keys of a section keeps the others from
    config/config.yaml (no "dataset.annotations is missing") and its own values arrive (the
    bad n_segments is named)."""
    partial = tmp_path / "partial.yaml"
    partial.write_text(
        yaml.safe_dump(
            {
                "results": str(tmp_path / "results"),
                "dataset": {"shard_size": 2},
                "segmentation": {"n_segments": 0},
            }
        )
    )
    command = [sys.executable, "-m", "snakemake", "-n", "--nolock", "--cores", "1"]
    result = subprocess.run(
        [*command, "--configfile", str(partial)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config key 'segmentation.n_segments': 0 is less than the minimum of 1" in output
    assert "dataset.annotations" not in output and "is missing" not in output


def test_check_reports_a_stale_file_and_writes_nothing(tmp_path):
    artifacts, config_readme = tmp_path / "artifacts.md", tmp_path / "README.md"
    args = ["--artifacts", str(artifacts), "--config-readme", str(config_readme)]
    args += ["--shipped-config", str(REPO / generated_docs.SHIPPED_CONFIG)]
    assert generated_docs.main(args) == 0
    assert artifacts.read_text() == ARTIFACTS.read_text()
    assert generated_docs.main([*args, "--check"]) == 0
    config_readme.write_text(config_readme.read_text().replace("SLIC", "SLIK"))
    command = [sys.executable, "-m", "secam.generated_docs", *args, "--check"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert str(config_readme) in result.stderr and str(artifacts) not in result.stderr
    assert "SLIK" in config_readme.read_text()


def test_catalog_file_names_real_files():
    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())
    usage = catalog["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment", "report"}
    assert usage["software-stack-deployment"]["conda"] is True and usage["report"] is True
    assert {"desc", "flags"} <= set(usage["mandatory-flags"])
    mentioned = re.findall(r"[\w.-]+/[\w./-]+\.\w+", usage["mandatory-flags"]["desc"])
    assert "config/config.yaml" in mentioned and "config/README.md" in mentioned
    assert [path for path in mentioned if not (REPO / path).exists()] == []
    assert (REPO / "data" / "sample").is_dir() and (REPO / "environment.yml").is_file()


def test_license_is_the_one_pyproject_names():
    pyproject = (REPO / "pyproject.toml").read_text()
    licence = (REPO / "LICENSE").read_text()
    assert re.search(r'^license = \{ text = "MIT" \}$', pyproject, re.M)
    assert licence.startswith("MIT License") and "the secam-pipeline authors" in licence
