"""README and code agree: every declared column is documented; the workflow lints clean and is
formatted."""

import re
import subprocess
import sys

import pytest
import yaml

from secam.artifacts import TABLES
from secam.config import load_schema

from .conftest import REPO

README = (REPO / "README.md").read_text()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_column_is_documented(table):
    section = README.split(f"<!-- table:{table} -->")[1].split("<!-- /table -->")[0]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert documented == list(TABLES[table])


def _leaf_keys(schema: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        keys.extend(_leaf_keys(sub, f"{name}.") if "properties" in sub else [name])
    return keys


def test_every_config_key_is_documented():
    section = README.split("## Configuration")[1]
    keys = _leaf_keys(load_schema())
    assert "dataset.sample.per_class" in keys and "lime.seed" in keys
    for key in keys:
        assert f"| `{key}` |" in section, key


def test_readme_commands_exist():
    assert "snakemake --cores 2" in README
    assert "python -m pytest" in README
    ci = (REPO / ".ci" / "run").read_text()
    assert "python -m pytest" in ci


def test_environment_file_names_every_dependency():
    pyproject = (REPO / "pyproject.toml").read_text()
    block = pyproject.split("dependencies = [")[1].split("]")[0]
    names = re.findall(r'"([A-Za-z0-9_.\-]+)', block)
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = " ".join(str(d) for d in environment["dependencies"] if isinstance(d, str))
    listed += " " + " ".join(
        next(d for d in environment["dependencies"] if isinstance(d, dict))["pip"]
    )
    aliases = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
    for name in names:
        assert aliases.get(name, name) in listed, name


def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_snakemake_files_are_formatted():
    """snakefmt (with pyproject.toml's [tool.snakefmt] and [tool.black]) would change nothing."""
    result = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "workflow", "Snakefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_reliability_section_names_real_tests():
    """Every promise of README "Reliability" names the test that checks it, and that test
    exists."""
    section = README.split("## Reliability")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 8
    for row in rows[1:]:
        named = re.findall(r"`(tests/[a-z_/]+\.py)(?:::([a-z0-9_]+))?`", row.split(" | ")[-1])
        assert named, f"no test named for: {row[:80]}"
        for path, test in named:
            source = (REPO / path).read_text()
            assert not test or f"def {test}(" in source, f"{path}::{test}"
    for reference in re.findall(r"`(tests/[a-z_/]+\.py)::([a-z0-9_]+)`", README):
        assert f"def {reference[1]}(" in (REPO / reference[0]).read_text(), reference


def test_the_python_example_runs(monkeypatch):
    """README "From Python, on any classifier": the example runs as printed."""
    section = README.split("### From Python, on any classifier")[1]
    code = section.split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result, heatmap = namespace["result"], namespace["heatmap"]
    assert result.mask.shape == result.map.shape == namespace["image"].shape[:2]
    assert len(result.selected_regions) == 3
    assert result.class_name in namespace["names"] and heatmap.target == 3
