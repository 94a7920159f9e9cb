"""Before a run stages anything: the dataset's files exist and every model can be loaded.

The workflow calls :func:`check_run_inputs` while it parses the Snakefile, so a wrong path or a
missing checkpoint stops the run before the first job, with the config key that names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secam.config import PACKAGED_MODELS, ConfigError


def check_run_inputs(config: dict[str, Any], weights: bool = True) -> None:
    """What a run needs before it stages anything: the dataset's files exist and every model is
    known, with its weights on this machine (``weights=False``: names only, for a dry run that
    plans before the weights are placed). Raises :class:`ConfigError` listing each problem
    with its key and path (relative paths are read from the working directory)."""
    problems = []
    dataset = config["dataset"]
    for key in ("annotations", "images", "synsets"):
        value = dataset.get(key)
        if value is None:
            continue
        path = Path(value)
        if not path.exists():
            problems.append(
                f"  - config key 'dataset.{key}': {value} does not exist "
                f"(looked for {path.absolute()})"
            )
        elif key == "synsets" and not path.is_file():
            problems.append(
                f"  - config key 'dataset.synsets': {value} is a folder; it wants a file "
                "(LOC_synset_mapping.txt, the devkit's meta.mat or its archive)"
            )
        elif key == "annotations" and path.is_dir() and next(path.rglob("*.xml"), None) is None:
            problems.append(
                f"  - config key 'dataset.annotations': {value} is a folder without VOC .xml "
                "files; it wants LOC_val_solution.csv, or a folder or archive of XML boxes"
            )
    for index, name in enumerate(config["models"]):
        options = config["model_options"].get(name, {})
        if "factory" in options:
            problems += [
                f"  - config key 'model_options.{name}.{key}': {options[key]} does not exist "
                f"(looked for {Path(options[key]).absolute()})"
                for key in ("weights", "classes")
                if options.get(key) is not None and not Path(options[key]).is_file()
            ]
            continue  # the factory is imported by the jobs, which say what fails
        if name in PACKAGED_MODELS:
            continue  # importing torch to check them would cost every run's start 2 s
        from secam.models.registry import check_available  # imports torch

        chosen = options.get("weights", "DEFAULT")
        try:
            check_available(name, chosen if weights else None)
        except (ValueError, RuntimeError) as error:
            problems.append(f"  - config key 'models[{index}]': {error}")
    if problems:
        raise ConfigError("cannot start the run:\n" + "\n".join(problems))
