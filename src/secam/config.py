"""Load and validate the workflow configuration.

Validation errors name the offending key (``selection.top_k[0]``) so that a researcher can fix the
YAML without reading a traceback. Defaults declared in the schema are filled in, so code
downstream never has to guess.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_RESOURCE = "config.schema.yaml"
# The model that ships with the package (secam.models.registry), named here so that checking a
# configuration that uses it needs no torch.
EMBEDDED_MODEL = "efficientnet_lite0"


class ConfigError(ValueError):
    """The configuration does not match the schema; the message names the key."""


def load_schema() -> dict[str, Any]:
    text = resources.files("secam").joinpath("resources", SCHEMA_RESOURCE).read_text()
    return yaml.safe_load(text)


def default(*keys: str) -> Any:
    """The schema's default of a config key (``default("lime", "kernel_width")``): library
    functions take their defaults from here, so each default is written once, in the schema."""
    node = _schema()
    for key in keys:
        node = node["properties"][key]
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
        return f"config key '{where}': {error.message} (unknown key; see README 'Configuration')"
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
