"""Integrity of the cached artifacts: a checksum recorded when a file is written, checked when
it is read.

Every Parquet table and NPZ archive the pipeline writes gets a small sidecar beside it,
``.<name>.sha256`` (JSON: SHA-256 and size), written *before* the artifact is renamed into
place, so a file without its sidecar, or whose bytes do not match it, was not finished by this
pipeline: a writer was killed between the two renames, the file was truncated or replaced, the
disk corrupted it. Readers (:mod:`secam.artifacts`) verify the full SHA-256 before reading; the
workflow checks sizes of every cached artifact before it plans its jobs
(:func:`damaged_artifacts`) and moves a damaged one aside (:func:`set_aside`) so that Snakemake
sees it missing and reruns the job that writes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from secam.errors import SecamError

# The artifacts that jobs read back: every other output (tables, figures) is a final product.
CACHED_SUFFIXES = (".parquet", ".npz")
DAMAGED_SUFFIX = ".damaged"
# What the atomic writers of secam.artifacts leave behind when they are killed:
# ``.<name>.<random>.tmp`` (or ``.tmp<suffix>`` for writers that need the real suffix).
_TEMPORARY = re.compile(r"^\..+\.tmp(\.[A-Za-z0-9]+)?$")
# Files verified by this process, with the (size, mtime, inode) they had: read twice, hashed once.
_verified: dict[Path, tuple[int, int, int]] = {}


class DamagedArtifactError(SecamError, RuntimeError):
    """A cached artifact whose bytes are not those its writer recorded; ``moved_aside`` when
    the workflow has already moved it aside (:func:`set_aside`)."""

    def __init__(self, path: str | Path, problem: str, moved_aside: bool = False) -> None:
        self.path = Path(path)
        self.problem = problem
        aside = f"{self.path.name}{DAMAGED_SUFFIX}"
        what_to_do = (
            f"moved aside as {aside}: run snakemake again and the job that writes it runs again"
            if moved_aside
            else f"Delete it (or let the workflow move it aside as {aside}) and run snakemake "
            "again: the job that writes it runs again"
        )
        super().__init__(f"damaged artifact {self.path}: {problem}. {what_to_do}")


@dataclass(frozen=True)
class Damage:
    path: Path
    problem: str


def sidecar(path: str | Path) -> Path:
    """Where the checksum of ``path`` is recorded."""
    path = Path(path)
    return path.with_name(f".{path.name}.sha256")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_checksum(written: str | Path, final: str | Path) -> None:
    """Record the checksum of ``written`` (a finished temporary file) for its final name
    ``final``; call it just before renaming ``written`` to ``final``."""
    written, final = Path(written), Path(final)
    text = json.dumps({"sha256": file_sha256(written), "size": written.stat().st_size})
    target = sidecar(final)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(text + "\n")
    os.replace(temporary, target)


def _recorded(path: Path) -> dict[str, object] | None:
    try:
        recorded = json.loads(sidecar(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or not {"sha256", "size"} <= set(recorded):
        return None
    return recorded


def _size_problem(path: Path, recorded: dict[str, object] | None) -> str | None:
    if recorded is None:
        return (
            f"no checksum recorded for it ({sidecar(path).name} is missing or unreadable): "
            "its writer did not finish, or it was not written by this pipeline"
        )
    size = path.stat().st_size
    if size != recorded["size"]:
        return f"it has {size} bytes, {recorded['size']} when it was written"
    return None


def verify(path: str | Path) -> None:
    """Raise :class:`DamagedArtifactError` unless ``path`` has the SHA-256 and size recorded
    when it was written. A file already verified by this process, unchanged since, is not
    hashed again."""
    path = Path(path)
    stat = path.stat()  # a missing file is a FileNotFoundError, as for any reader
    state = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if _verified.get(path.resolve()) == state:
        return
    recorded = _recorded(path)
    problem = _size_problem(path, recorded)
    if problem is None and recorded is not None:
        digest = file_sha256(path)
        if digest != recorded["sha256"]:
            problem = f"its SHA-256 is {digest}, {recorded['sha256']} when it was written"
    if problem is not None:
        raise DamagedArtifactError(path, problem)
    _verified[path.resolve()] = state


def damaged_artifacts(root: str | Path) -> list[Damage]:
    """Cached artifacts under ``root`` without a recorded checksum or whose size differs from
    it: a cheap check (no hashing) of a whole results folder, sorted by path."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):  # one walk of the folder for both suffixes
        if path.suffix not in CACHED_SUFFIXES or path.name.startswith(".") or not path.is_file():
            continue
        problem = _size_problem(path, _recorded(path))
        if problem is not None:
            found.append(Damage(path, problem))
    return sorted(found, key=lambda damage: damage.path)


def set_aside(path: str | Path) -> Path:
    """Move a damaged artifact to ``<name>.damaged`` beside it (replacing an older one), so
    that the job that writes it runs again; return the new path. Two jobs that find the same
    damaged input may both call it: the second finds it moved already."""
    path = Path(path)
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, target)
    sidecar(path).unlink(missing_ok=True)
    _verified.pop(path.resolve(), None)
    return target


def stale_temporaries(root: str | Path) -> list[Path]:
    """Temporary files that killed writers left under ``root``, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob(".*") if p.is_file() and _TEMPORARY.match(p.name))
