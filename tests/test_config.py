import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secam.config import (
    ConfigError,
    config_hash,
    load_config,
    schema_node,
    validate_config,
    with_command_line_values,
)

from .conftest import REPO


@pytest.fixture()
def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_shipped_configs_are_valid():
    for path in [REPO / "config" / "config.yaml", REPO / ".test" / "config" / "config.yaml"]:
        config = load_config(path)
        assert config["segmentation"]["n_segments"] == 50
        assert config["segmentation"]["compactness"] == 10


def test_defaults_are_filled_in():
    config = load_config(REPO / ".test" / "config" / "config.yaml")
    assert config["dataset"]["max_images"] is None
    assert config["dataset"]["max_pixels"] > 0
    assert config["lime"]["kernel_width"] == 0.25
    assert config["target"] == "predicted"
    assert config["stages"] == {
        "faithfulness": True,
        "baselines": True,
        "paper_figures": True,
        "sanity": True,
    }


def test_a_run_without_lime_needs_no_lime_or_segmentation_section(default_config):
    for section in ("lime", "segmentation"):
        default_config.pop(section)
    config = validate_config(default_config)
    assert config["lime"]["num_samples"] == 1000 and config["lime"]["seed"] == 0
    assert config["segmentation"]["algorithm"] == "slic"
    assert config["segmentation"]["n_segments"] == 50


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda c: c.update(methods=["secam", "gradcam++"]), "methods[1]"),
        (lambda c: c["selection"].update(top_k=[-2, 3]), "selection.top_k[0]"),
        (lambda c: c["selection"].update(thresholds=[1.5]), "selection.thresholds[0]"),
        (lambda c: c["lime"].update(num_samples=0), "lime.num_samples"),
        (lambda c: c.pop("selection"), "selection"),
        (lambda c: c.update(stages={"faithfulness": "no"}), "stages.faithfulness"),
        (lambda c: c["segmentation"].update(n_segment=50), "segmentation"),
        (lambda c: c.update(models=[]), "models"),
        (lambda c: c["segmentation"].update(compare=["slic"]), "segmentation.compare[0]"),
        (
            lambda c: c["segmentation"].update(compare=["felzenszwalb"], compare_methods=["cam"]),
            "segmentation.compare_methods[0]",
        ),
        (
            lambda c: c["segmentation"].update(
                compare=["quickshift"], compare_methods=["secam_layercam"]
            ),
            "segmentation.compare_methods[0]",
        ),
        (
            lambda c: c["segmentation"].update(felzenszwalb={"scale": -1}),
            "segmentation.felzenszwalb",
        ),
    ],
)
def test_bad_config_names_the_key(default_config, change, key):
    config = copy.deepcopy(default_config)
    change(config)
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert f"'{key}" in str(error.value)


def test_unknown_key_is_named(default_config):
    default_config["segmentation"]["n_segment"] = 50
    with pytest.raises(ConfigError, match="n_segment"):
        validate_config(default_config)


def test_config_hash_is_stable_and_sensitive(default_config):
    other = copy.deepcopy(default_config)
    assert config_hash(default_config) == config_hash(other)
    other["lime"]["seed"] = 1
    assert config_hash(default_config) != config_hash(other)


def test_snakemake_stops_on_bad_config_with_the_key(tmp_path: Path, default_config):
    default_config["selection"]["top_k"] = [0]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(default_config))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "--configfile",
            str(bad),
            "--directory",
            str(REPO),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode != 0
    assert "selection.top_k[0]" in result.stdout + result.stderr


def _as_snakemake_gives_it(config: dict, *entries: str) -> tuple[dict, dict]:
    """(the config a Snakefile sees, the --config mapping), parsed and merged by Snakemake."""
    from snakemake.cli import parse_config
    from snakemake.utils import update_config

    command_line = parse_config(list(entries))
    merged = copy.deepcopy(config)
    update_config(merged, command_line)
    return merged, command_line


def test_nested_command_line_values_get_their_types_and_keep_the_other_keys(default_config):
    default_config["segmentation"]["compare"] = ["quickshift"]
    given, command_line = _as_snakemake_gives_it(
        default_config,
        "segmentation={n_segments: 30, compactness: 2.5, quickshift: {downscale: 3}}",
        "lime={max_images: null, batch_size: {cpu: 2, cuda: 32}}",
        "selection={top_k: [1, 5]}",
        "device=cpu",
    )
    assert given["segmentation"]["n_segments"] == "30"  # what validation refused
    with pytest.raises(ConfigError, match=r"segmentation\.n_segments"):
        validate_config(given)
    config = validate_config(with_command_line_values(given, command_line))
    segmentation = config["segmentation"]
    assert (segmentation["n_segments"], segmentation["compactness"]) == (30, 2.5)
    assert segmentation["quickshift"]["downscale"] == 3
    # the section's other keys: the configfile's, then the schema's defaults
    assert segmentation["compare"] == ["quickshift"] and segmentation["algorithm"] == "slic"
    assert (
        segmentation["quickshift"]["ratio"]
        == schema_node("segmentation", "quickshift", "ratio")["default"]
    )
    assert config["lime"]["max_images"] is None
    assert config["lime"]["batch_size"] == {"cpu": 2, "cuda": 32}
    assert config["lime"]["num_samples"] == default_config["lime"]["num_samples"]
    assert config["selection"]["top_k"] == [1, 5]
    assert config["selection"]["thresholds"] == default_config["selection"]["thresholds"]


def test_command_line_text_stays_text_where_the_schema_wants_text(default_config):
    given, command_line = _as_snakemake_gives_it(
        default_config,
        "dataset={sample: {image_ids: [chelsea, 17], classes: [n02123045, 17]}, images: 1e3}",
    )
    dataset = with_command_line_values(given, command_line)["dataset"]
    assert dataset["images"] == "1e3"  # a folder name, although it reads as a number
    assert dataset["sample"]["image_ids"] == ["chelsea", "17"]
    assert dataset["sample"]["classes"] == ["n02123045", 17]  # a wnid or a class index
    assert dataset["annotations"] == default_config["dataset"]["annotations"]


def test_a_command_line_value_that_is_not_yaml_is_named(default_config):
    given, command_line = _as_snakemake_gives_it(default_config, "segmentation={n_segments: [}")
    with pytest.raises(
        ConfigError, match=r"config key 'segmentation' from --config: .*--configfile"
    ):
        with_command_line_values(given, command_line)


def test_the_schemas_choices_are_the_librarys_registries():
    """The schema lists its choices literally (a user reads them there); each list is exactly
    the registry the library runs: methods, superpixel methods, algorithms, SLIC backends."""
    from secam.methods import METHODS, ORDER
    from secam.segmentation import ALGORITHMS, BACKENDS

    assert schema_node("methods", "items")["enum"] == list(ORDER)
    assert sorted(ORDER) == sorted(METHODS)
    superpixel_methods = [name for name in ORDER if METHODS[name].segmented]
    assert schema_node("segmentation", "compare_methods", "items")["enum"] == superpixel_methods
    assert schema_node("segmentation", "algorithm")["enum"] == list(ALGORITHMS)
    assert schema_node("segmentation", "compare", "items")["enum"] == list(ALGORITHMS)
    assert schema_node("segmentation", "backend")["enum"] == list(BACKENDS)


def _schema_defaults(node: dict, found: dict[str, list], path: tuple[str, ...] = ()) -> None:
    """Each key name of the schema with the defaults it has (and where), nested keys included."""
    for key, child in (node.get("properties") or {}).items():
        default = child.get("default")
        if default is not None and not isinstance(default, dict | bool):
            found.setdefault(key, []).append((default, ".".join((*path, key))))
        _schema_defaults(child, found, (*path, key))
    if isinstance(node.get("additionalProperties"), dict):
        _schema_defaults(node["additionalProperties"], found, (*path, "*"))
    for definition in (node.get("$defs") or {}).values():
        _schema_defaults(definition, found, path)


# A parameter named like a config key whose literal default is not that key's default by design.
NOT_A_CONFIG_DEFAULT = {("models/registry.py", "seed")}  # load_model: random weights' seed


def test_no_library_signature_writes_a_schema_default_again():
    """Defaults live in the schema: a parameter or dataclass field of src/secam named like a
    config key may not spell out that key's default as a literal (it reads config.default())."""
    import ast

    from secam.config import load_schema

    defaults: dict[str, list] = {}
    _schema_defaults(load_schema(), defaults)
    assert {"n_segments", "num_samples", "steps", "seed", "shard_size"} <= set(defaults)
    repeated = []
    package = REPO / "src" / "secam"
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = [*node.args.posonlyargs, *node.args.args]
                given = zip(
                    arguments[len(arguments) - len(node.args.defaults) :],
                    node.args.defaults,
                    strict=True,
                )
                keyword = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                pairs = [(a.arg, d) for a, d in [*given, *keyword] if d is not None]
            elif isinstance(node, ast.ClassDef):
                pairs = [
                    (s.target.id, s.value)
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.value
                ]
            else:
                continue
            for name, value in pairs:
                if name not in defaults or (str(path.relative_to(package)), name) in (
                    NOT_A_CONFIG_DEFAULT
                ):
                    continue
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    continue  # not a literal: config.default(...), a constant, an expression
                literal = list(literal) if isinstance(literal, tuple) else literal
                keys = [key for default, key in defaults[name] if default == literal]
                if keys:
                    repeated.append(
                        f"{path.relative_to(REPO)}:{value.lineno} {name}={literal!r} {keys}"
                    )
    assert repeated == []
