"""The results folder's layout (src/secam/layout.py): each template spelled once, each used by
the workflow's rules, and the rules' paths all from it."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys

import pytest

from secam.layout import COMPARED, ResultsLayout, wildcards_of

from .conftest import REPO

ROOT = "/data/run"
LAYOUT = ResultsLayout(ROOT)

# Loads the workflow with Snakemake's API (a dry run: nothing is written) and prints, per rule,
# the paths its inputs, outputs, logs and benchmark declare (input functions left out).
RULE_PATHS = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

repo, configfile, results = sys.argv[1:4]
with SnakemakeApi(OutputSettings(dryrun=True, quiet={"all"})) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(),
        config_settings=ConfigSettings(configfiles=[Path(configfile)], config={"results": results}),
        snakefile=Path(repo) / "Snakefile",
        workdir=Path(repo),
    )._workflow
    print(json.dumps({
        rule.name: [str(f) for files in (rule.input, rule.output, rule.log, [rule.benchmark])
                    for f in files if isinstance(f, str)]
        for rule in workflow.rules
    }))
"""


@pytest.fixture(scope="module")
def rule_paths(tmp_path_factory) -> dict[str, list[str]]:
    """Rule name -> the paths it declares, with wildcard constraints dropped, for the CI config
    (every method, the segmentation comparison on) writing to a folder of its own."""
    results = str(tmp_path_factory.mktemp("layout") / "results")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RULE_PATHS,
            str(REPO),
            str(REPO / ".test" / "config" / "config.yaml"),
            results,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    declared = json.loads(done.stdout.strip().splitlines()[-1])
    unconstrained = re.compile(r"\{(\w+),[^{}]*\}")
    return {
        rule: [unconstrained.sub(r"{\1}", path).replace(results, ROOT) for path in paths]
        for rule, paths in declared.items()
    }


def _pattern(template: str) -> re.Pattern:
    """Matches ``template`` with any of its wildcards filled in (as ``expand(...,
    allow_missing=True)`` does) or left as they are."""
    pattern = ""
    for literal, name, _, _ in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if name is not None:
            pattern += rf"(?:\{{{name}\}}|[^/{{}}.]+)"
    return re.compile(pattern)


def test_every_template_is_used_by_a_rule_and_every_rule_path_is_a_template(rule_paths):
    patterns = {template: _pattern(template) for template in LAYOUT.templates().values()}
    paths = {path for declared in rule_paths.values() for path in declared}
    under_root = {path for path in paths if path.startswith(ROOT)}
    not_in_layout = {
        path for path in under_root if not any(p.fullmatch(path) for p in patterns.values())
    }
    assert not not_in_layout, "paths the rules spell themselves"
    unused = {t for t, p in patterns.items() if not any(p.fullmatch(path) for path in paths)}
    assert not unused, "templates no rule declares"
    outside = {
        rule: path
        for rule, paths in rule_paths.items()
        for path in paths
        if not path.startswith(ROOT) and not path.startswith("data/sample")
    }
    assert not outside


def test_each_template_is_spelled_once():
    templates = LAYOUT.templates()
    assert len(set(templates.values())) == len(templates)
    for template in templates.values():
        wildcards_of(template)  # raises on a wildcard the workflow does not know


def test_filling_gives_the_results_paths():
    assert LAYOUT.fill(LAYOUT.manifest) == "/data/run/manifest.parquet"
    assert (
        LAYOUT.fill(LAYOUT.metrics, model="resnet50", method="secam", shard="shard00003")
        == "/data/run/metrics/resnet50/secam/shard00003.parquet"
    )
    assert (
        LAYOUT.fill(LAYOUT.map_timings, model="vgg16", shard="shard00000")
        == "/data/run/activations/vgg16/shard00000.map_timings.parquet"
    )
    assert LAYOUT.fill(LAYOUT.segment_labels, shard="shard00001") == (
        "/data/run/segments/shard00001.npz"
    )
    assert (
        LAYOUT.fill(
            LAYOUT.compared("explanation_masks"),
            algorithm="quickshift",
            model="m",
            method="lime",
            shard="shard00000",
        )
        == "/data/run/segcompare/quickshift/explanations/m/lime/shard00000.npz"
    )
    assert LAYOUT.merged("matched") == "/data/run/matched.parquet"
    assert LAYOUT.table("claims", "tex") == "/data/run/tables/claims.tex"
    assert LAYOUT.figure("figure3", "pdf") == "/data/run/figures/figure3.pdf"
    assert LAYOUT.log("explain_compared") == (
        "/data/run/logs/segcompare/{algorithm}/explain/{model}/{method}/{shard}.log"
    )
    assert LAYOUT.benchmark("explain_compared") == (
        "/data/run/benchmarks/segcompare/{algorithm}/explain/{model}/{method}/{shard}.tsv"
    )


def test_a_compared_artifact_is_the_main_one_under_its_algorithm():
    for artifact in COMPARED:
        main = getattr(LAYOUT, artifact)
        assert LAYOUT.compared(artifact) == main.replace(ROOT, f"{ROOT}/segcompare/{{algorithm}}")
        assert wildcards_of(LAYOUT.compared(artifact)) == ("algorithm", *wildcards_of(main))


def test_filling_needs_exactly_the_templates_wildcards():
    with pytest.raises(ValueError, match="method"):
        LAYOUT.fill(LAYOUT.metrics, model="m", shard="shard00000")
    with pytest.raises(ValueError, match="model"):
        LAYOUT.fill(LAYOUT.segment_labels, shard="shard00000", model="m")
    with pytest.raises(ValueError, match="method"):
        LAYOUT.files(LAYOUT.metrics, model=["m"], shard=[])
    for unknown in (
        lambda: LAYOUT.table("summary", "tex"),
        lambda: LAYOUT.figure("figure6", "png"),
        lambda: LAYOUT.merged("segments"),
        lambda: LAYOUT.log("train"),
        lambda: LAYOUT.benchmark("train"),
        lambda: LAYOUT.compared("predictions"),
    ):
        with pytest.raises(ValueError):
            unknown()


def test_files_are_keyed_by_their_wildcard_values_in_expand_order():
    from snakemake.io import expand

    values = {"model": ["b", "a"], "method": ["secam", "lime"], "shard": ["s0", "s1"]}
    files = LAYOUT.files(LAYOUT.explanation_masks, **values)
    assert list(files.values()) == expand(LAYOUT.explanation_masks, **values)
    assert list(files)[:3] == [("b", "secam", "s0"), ("b", "secam", "s1"), ("b", "lime", "s0")]
    assert len(files) == 8
    assert files[("a", "lime", "s1")] == "/data/run/explanations/a/lime/s1.npz"
    assert LAYOUT.files(LAYOUT.segment_table, shard=["s0"]) == {
        ("s0",): "/data/run/segments/s0.parquet"
    }
    assert LAYOUT.files(LAYOUT.predictions, model=["m"], shard=[]) == {}
