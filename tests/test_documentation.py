"""README and docs agree with the code: the commands, links, files and config keys they name
exist, the numbers they show equal the files that hold them, the Python example runs, and the
workflow lints clean and is formatted."""

import importlib.util
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from secam.config import load_schema

from .conftest import REPO, benchmark_module

README_PATH = REPO / "README.md"
README = README_PATH.read_text()
# Every page a reader follows from the README; config/README.md is generated from the schema.
PAGES = [README_PATH, *sorted((REPO / "docs").glob("*.md"))]
LINKED_PAGES = PAGES + [p for p in [REPO / "config" / "README.md"] if p.exists()]
README_MAX_LINES = 200

SETUP_AND_RUN = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/snakemake --cores 2"
)
SETUP_AND_TEST = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'
)

# Names the documentation's commands use for files the reader writes themselves.
PLACEHOLDER_FILES = {"my.yaml"}
REPOSITORY_PREFIXES = (
    "config/",
    "data/",
    "workflow/",
    "profiles/",
    "benchmarks/",
    "tests/",
    "docs/",
    ".test/",
)
REPOSITORY_SUFFIXES = (".yaml", ".yml", ".py", ".smk")

TIED_TABLE = re.compile(r"<!-- from (\S+) -->\n(.*?)<!-- /from -->", re.DOTALL)
TEST_REFERENCE = re.compile(r"`(tests/[a-z_/]+\.py)(?:::([a-z0-9_]+))?`")


def _page_id(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _without_code(text: str) -> str:
    """Markdown outside fenced code blocks and inline code spans."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


def _fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


# ---- the two commands and the environment ------------------------------------------------


def test_readme_commands_exist():
    assert SETUP_AND_RUN in README
    assert SETUP_AND_TEST in README
    ci = (REPO / ".ci" / "run").read_text()
    assert SETUP_AND_TEST in ci, "CI must run the README's test command"


def test_ci_runs_every_command_the_readme_shows_in_the_environment_its_first_makes():
    """.ci/readme_commands.py runs README's commands (read from README, the test extra not yet
    installed) before the test command; the ones it leaves say why and are still in README."""
    spec = importlib.util.spec_from_file_location(
        "readme_commands", REPO / ".ci/readme_commands.py"
    )
    assert spec is not None and spec.loader is not None
    readme_commands = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_commands)
    blocks = readme_commands.readme_blocks(README)
    commands = [code for language, code in blocks if language == "bash"]
    assert commands[0] == SETUP_AND_RUN
    assert set(readme_commands.NOT_RUN) <= set(commands)
    run = [code for _, code in blocks if code not in readme_commands.NOT_RUN]
    assert any("--report" in code for code in run) and any("secam explain" in code for code in run)
    assert ("python", _fenced_blocks(README, "python")[0]) in blocks
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.index("python3 .ci/readme_commands.py") < ci.index(SETUP_AND_TEST)


def test_readme_is_a_first_page():
    assert len(README.splitlines()) <= README_MAX_LINES


# What a dependency's extra brings, which conda lists as packages of their own.
EXTRA_PACKAGES = {("snakemake", "reports"): ["pygments"]}


def test_environment_file_names_every_dependency():
    pyproject = (REPO / "pyproject.toml").read_text()
    block = pyproject.split("\ndependencies = [\n")[1].split("\n]\n")[0]
    dependencies = re.findall(r'^\s*"([^"]+)"', block, flags=re.MULTILINE)
    assert len(dependencies) > 10
    names = []
    for requirement in dependencies:
        name, extras = re.match(r"([A-Za-z0-9_.\-]+)(?:\[([^\]]+)\])?", requirement).groups()
        names.append(name)
        for extra in (extras or "").split(","):
            names += EXTRA_PACKAGES.get((name, extra.strip()), [])
    assert "pygments" in names  # the README's report command needs it
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = " ".join(str(d) for d in environment["dependencies"] if isinstance(d, str))
    listed += " " + " ".join(
        next(d for d in environment["dependencies"] if isinstance(d, dict))["pip"]
    )
    aliases = {"torch": "pytorch", "matplotlib": "matplotlib-base"}
    for name in names:
        assert aliases.get(name, name) in listed, name


# ---- links, files, config keys and tests named by the documentation -----------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.MULTILINE | re.DOTALL)
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE):
        slug, n = _slug(heading), 1
        while slug in anchors:
            slug, n = f"{_slug(heading)}-{n}", n + 1
        anchors.add(slug)
    return anchors


def _broken_links(path: Path) -> list[str]:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", _without_code(path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    return broken


@pytest.mark.parametrize("page", LINKED_PAGES, ids=_page_id)
def test_every_relative_link_resolves(page):
    assert _broken_links(page) == []


def test_broken_links_are_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#a-code-heading) [self](#top) [web](https://example.org)\n"
        "[gone](missing.md) [bad anchor](other.md#nothing)\n\n# Top\n"
        "```\n[in code](ignored.md)\n```\n"
    )
    assert _broken_links(page) == [
        "missing.md: no such file",
        "other.md#nothing: no heading #nothing in other.md",
    ]


def _schema_has_key(dotted: str) -> bool:
    node = load_schema()
    for part in dotted.split("."):
        properties = node.get("properties", {})
        if part not in properties:
            return False
        node = properties[part]
    return True


def _command_problems(block: str) -> list[str]:
    """Paths in a bash block that do not exist and ``--config`` keys the schema lacks."""
    problems = []
    for line in block.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        in_config = False
        for token in tokens:
            if token.startswith("-"):
                in_config = token == "--config"
                continue
            if in_config and "=" in token:
                key = token.split("=", 1)[0]
                if not _schema_has_key(key):
                    problems.append(f"--config {key}: not a config key")
                continue
            for word in token.split("="):
                looks_like_path = word.startswith(REPOSITORY_PREFIXES) or word.endswith(
                    REPOSITORY_SUFFIXES
                )
                if looks_like_path and word not in PLACEHOLDER_FILES and not (REPO / word).exists():
                    problems.append(f"{word}: no such file")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_command_blocks_name_real_files_and_config_keys(page):
    blocks = _fenced_blocks(page.read_text(), "bash")
    assert [p for block in blocks for p in _command_problems(block)] == []


def test_command_problems_are_found():
    block = (
        "snakemake --configfile config/nothing.yaml --config results=x lime.seed=1 \\\n"
        "    lime.sede=2 --cores 2  # my.yaml in a comment\n"
        "snakemake --configfile my.yaml --set-threads segment=8 profiles/slurm\n"
    )
    assert _command_problems(block) == [
        "config/nothing.yaml: no such file",
        "--config lime.sede: not a config key",
    ]


def test_every_named_test_exists():
    references = [
        (page, path, name)
        for page in LINKED_PAGES
        for path, name in TEST_REFERENCE.findall(page.read_text())
    ]
    assert len(references) > 10
    for page, path, name in references:
        assert (REPO / path).exists(), f"{_page_id(page)}: {path}"
        assert not name or f"def {name}(" in (REPO / path).read_text(), f"{path}::{name}"


def test_reliability_page_names_a_test_for_every_case():
    """docs/reliability.md: every row of the table names the test that checks it."""
    text = (REPO / "docs" / "reliability.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 8
    for row in rows[1:]:
        assert TEST_REFERENCE.findall(row.split(" | ")[-1]), f"no test named for: {row[:80]}"


# ---- numbers tied to the files that hold them ------------------------------------------------

NUMBER = r"[+−-]?\d+(?:\.\d+)?"
WITH_INTERVAL = re.compile(rf"({NUMBER}) \[({NUMBER}), ({NUMBER})\]")


def _column(header: str) -> str:
    """The CSV column a displayed header stands for: "box IoU" is ``box_iou``."""
    return re.sub(r"[\s-]+", "_", header.strip().strip("`").lower())


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _displayed_numbers(cell: str, column: str) -> dict[str, str] | None:
    """The CSV columns a numeric cell shows: "0.41 [0.24, 0.60]" under ``x`` is x, x_low and
    x_high; None when the cell is no number."""
    cell = cell.replace("*", "")
    interval = WITH_INTERVAL.fullmatch(cell)
    if interval:
        return dict(
            zip((column, f"{column}_low", f"{column}_high"), interval.groups(), strict=True)
        )
    return {column: cell} if re.fullmatch(NUMBER, cell) else None


def _matches_rounded(shown: str, value: float) -> bool:
    shown = shown.replace("−", "-")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return math.isclose(float(shown), value, abs_tol=0.5 * 10**-decimals + 1e-9)


def _tied_table_mismatches(markdown: str, source: str) -> list[str]:
    """Every cell of every ``<!-- from docs/results/<run>/<table>.csv -->`` table against the
    CSV: rows are found by their text columns, numbers must equal the CSV rounded as shown."""
    problems = []
    for csv_path, block in TIED_TABLE.findall(markdown):
        table = pd.read_csv(REPO / csv_path)
        lines = [line for line in block.splitlines() if line.startswith("|")]
        columns = [_column(header) for header in _cells(lines[0])]
        unknown = [c for c in columns if c not in table.columns]
        if unknown or len(lines) < 3:
            problems.append(f"{source}, {csv_path}: columns {unknown} or no rows")
            continue
        keys = [c for c in columns if not pd.api.types.is_numeric_dtype(table[c])]
        for line in lines[2:]:
            row = dict(zip(columns, _cells(line), strict=True))
            match = table
            for key in keys:
                match = match[match[key].astype(str) == row[key]]
            if len(match) != 1:
                problems.append(f"{source}, {csv_path}: {len(match)} rows match {line}")
                continue
            for column in columns:
                if column in keys:
                    continue
                shown = _displayed_numbers(row[column], column)
                if shown is None:
                    problems.append(f"{source}, {csv_path}: {row[column]!r} is no number")
                    continue
                for name, text in shown.items():
                    if not _matches_rounded(text, float(match[name].iloc[0])):
                        value = match[name].iloc[0]
                        problems.append(f"{source}, {csv_path}: {name} {text} but CSV {value}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_tied_tables_show_their_files_numbers(page):
    assert _tied_table_mismatches(page.read_text(), _page_id(page)) == []


def test_readme_table_is_tied_and_a_hand_edit_is_caught():
    first = TIED_TABLE.search(README)
    assert first, "the README's results table names the file it comes from"
    row = [line for line in first.group(2).splitlines() if line.startswith("|")][2]
    number = re.findall(r"\| (\d+\.\d+) ", row)[-1]
    edited_number = f"{float(number) + 0.01:.{len(number.split('.')[1])}f}"
    edited = README.replace(row, row.replace(f"| {number} ", f"| {edited_number} ", 1), 1)
    assert _tied_table_mismatches(edited, "README.md") != []


SNAPSHOTS = sorted(p.parent for p in (REPO / "docs" / "results").glob("*/provenance.yaml"))


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda p: p.name)
def test_every_snapshot_says_where_each_of_its_files_comes_from(snapshot):
    """A results snapshot's provenance.yaml is valid YAML naming the run, commit, date and
    command, and its ``files`` are exactly the files beside it."""
    provenance = yaml.safe_load((snapshot / "provenance.yaml").read_text())
    assert {"run", "commit", "date", "command", "files"} <= set(provenance)
    beside = {p.name for p in snapshot.iterdir()} - {"provenance.yaml"}
    assert set(provenance["files"]) == beside


# ---- configuration, the Python example, the workflow's form ---------------------------------


def test_a_user_config_is_merged_over_the_defaults(tmp_path):
    """A user config naming one nested key runs: Snakemake merges it over config/config.yaml
    key by key (the dataset's required files come from there), and validation passes."""
    user = tmp_path / "my.yaml"
    user.write_text("dataset:\n  max_images: 2\n")
    results = tmp_path / "results"
    command = ["-n", "--configfile", str(user), "--config", f"results={results}"]
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert re.search(r"^stage\s+1$", result.stdout, flags=re.MULTILINE), result.stdout[-2000:]


def test_the_python_example_runs(monkeypatch):
    """README "From Python, on any classifier": the example runs as printed."""
    (code,) = _fenced_blocks(README, "python")
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result, heatmap = namespace["result"], namespace["heatmap"]
    assert result.mask.shape == result.map.shape == namespace["image"].shape[:2]
    assert len(result.selected_regions) == 3
    assert result.class_name in namespace["names"] and heatmap.target == 3


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


def _ratio_range(evidence: pd.Series, pattern: str, decimals: int) -> str:
    """The least and greatest ratio over the models, as the README writes a range."""
    values = evidence.str.extract(pattern, expand=False).astype(float)
    low, high = (f"{value:.{decimals}f}" for value in (values.min(), values.max()))
    return low if low == high else f"{low}–{high}"


def test_readme_speed_line_is_the_ilsvrc_snapshots_claim_b():
    """README's "Speed, claim (b)" ratios are the range over the three models of claim (b)'s
    evidence in the ILSVRC snapshot (docs/results/ilsvrc-sample/claims.csv), and name its
    commit."""
    claims = pd.read_csv(REPO / "docs" / "results" / "ilsvrc-sample" / "claims.csv")
    end_to_end = claims[claims["evidence"].str.startswith("end-to-end time")]["evidence"]
    map_only = claims[claims["evidence"].str.startswith("map-only time")]["evidence"]
    assert len(end_to_end) == len(map_only) == 3
    commit = yaml.safe_load((REPO / "docs/results/ilsvrc-sample/provenance.yaml").read_text())
    speed = " ".join(re.search(r"Speed, claim \(b\).*?\n\n", README, re.DOTALL).group(0).split())
    assert f"commit {commit['commit']}" in speed
    secam_over_cam, lime_over_secam = r"SeCAM/cam (\d+\.\d+)x", r"LIME/SeCAM (\d+)x"
    assert f"map takes {_ratio_range(map_only, secam_over_cam, 2)}× CAM's time" in speed
    assert f"{_ratio_range(end_to_end, secam_over_cam, 1)}× with its SLIC" in speed
    assert f"1000 samples {_ratio_range(end_to_end, lime_over_secam, 0)}× SeCAM's" in speed


def _table_after(markdown: str, heading: str) -> list[list[str]]:
    """The cells of each body row of the first table under ``heading``."""
    section = markdown.split(heading, 1)[1]
    block = re.search(r"^\|.*?(?=\n\n)", section, re.DOTALL | re.MULTILINE).group(0)
    return [_cells(line) for line in block.splitlines()[2:]]


def test_scaling_tie_table_is_bench_scales_comparison_of_its_records(capsys):
    """docs/performance.md's EfficientNet-Lite0 against tiny table is what ``bench_scale.py
    --print-only --model efficientnet_lite0 --against tiny`` prints from the committed records,
    rule for rule, rounded as shown."""
    bench_scale = benchmark_module("bench_scale")
    records = REPO / "benchmarks" / "results"
    bench_scale.compare_models(
        [json.loads((records / "scale-efficientnet_lite0-folder-5000.json").read_text())],
        [json.loads((records / "scale-tiny-folder-5000.json").read_text())],
    )
    printed = {
        cells[0]: cells[1:]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("| ") and not line.startswith("| rule")
        for cells in [_cells(line)]
    }
    performance = (REPO / "docs" / "performance.md").read_text()
    shown = {
        cells[0].split()[0]: [cell.replace(" ", "") for cell in cells[1:]]
        for cells in _table_after(performance, "against the tiny classifier\n")
    }
    assert sorted(shown) == sorted(printed)
    for rule, cells in shown.items():
        for text, value in zip(cells, printed[rule], strict=True):
            assert _matches_rounded(text, float(value)), f"{rule}: docs {text}, record {value}"
