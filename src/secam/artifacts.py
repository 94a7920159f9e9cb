"""Atomic writers and verifying readers of the artifacts.

Every table is written with the columns :mod:`secam.table_columns` declares. Writers go through a
temporary file and a rename, so an artifact is either complete or absent; the cached artifacts
(Parquet tables, NPZ archives) also record their checksum when written, and their readers check
it (:mod:`secam.integrity`), so a damaged file is named instead of read.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# file_sha256 is re-exported: one hashing function for the whole package
from secam.integrity import file_sha256 as file_sha256
from secam.integrity import record_checksum, verify
from secam.table_columns import check_columns


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_target(path: Path) -> tuple[int, str]:
    """A temporary file beside ``path``, with the permissions a plain ``open`` would give."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600: others on a cluster could not read
    return handle, tmp


def write_table(frame: pd.DataFrame, path: str | Path, table: str) -> None:
    """Write a declared table as Parquet, atomically."""
    path = Path(path)
    frame = check_columns(frame, table).reset_index(drop=True)
    handle, tmp = _atomic_target(path)
    os.close(handle)
    try:
        frame.to_parquet(tmp, index=False)
        record_checksum(tmp, path)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """A declared table, after checking the file against the checksum recorded when it was
    written."""
    verify(path)
    return check_columns(pd.read_parquet(path), table)


def write_arrays(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write a compressed NPZ, atomically."""
    with ArrayWriter(path) as writer:
        for key, array in arrays.items():
            writer.add(key, array)


class ArrayWriter:
    """A compressed NPZ written one array at a time, so a shard's arrays never all sit in
    memory; atomic like every writer here (renamed into place only when the block succeeds).

    ``with ArrayWriter(path) as out: out.add("key", array)``; ``np.load`` reads the result.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._keys: set[str] = set()
        self._zip: zipfile.ZipFile | None = None
        self._tmp = ""

    def __enter__(self) -> ArrayWriter:
        handle, self._tmp = _atomic_target(self.path)
        stream = os.fdopen(handle, "wb")
        # the layout np.savez_compressed writes: one deflated ``<key>.npy`` member per array
        self._zip = zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_DEFLATED)
        return self

    def add(self, key: str, array: np.ndarray) -> None:
        if self._zip is None:
            raise RuntimeError("ArrayWriter.add outside its with-block")
        if key in self._keys:
            raise ValueError(f"{self.path}: key {key!r} written twice")
        self._keys.add(key)
        with self._zip.open(f"{key}.npy", mode="w", force_zip64=True) as member:
            np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        assert self._zip is not None
        stream = self._zip.fp
        try:
            self._zip.close()
            if stream is not None:
                stream.close()
            if exc_type is None:
                record_checksum(self._tmp, self.path)
                os.replace(self._tmp, self.path)
        finally:
            self._zip = None
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    handle, tmp = _atomic_target(path)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a file name (matplotlib);
    renamed to ``path`` when the block succeeds, removed when it fails."""
    path = Path(path)
    handle, tmp = _atomic_target(path)
    os.close(handle)
    # keep the suffix: writers such as matplotlib choose the format from it
    named = Path(tmp + path.suffix)
    os.replace(tmp, named)
    try:
        yield named
        os.replace(named, path)
    finally:
        if named.exists():
            named.unlink()


def read_arrays(path: str | Path, keys: Iterable[str] | None = None) -> dict[str, Any]:
    """The arrays of an NPZ, or only those of ``keys`` that it holds (the others stay on disk);
    like every reader here, it checks the file's recorded checksum first."""
    verify(path)
    with np.load(path, allow_pickle=False) as data:
        wanted = data.files if keys is None else [k for k in keys if k in set(data.files)]
        return {key: data[key] for key in wanted}


@contextlib.contextmanager
def open_arrays(path: str | Path) -> Iterator[Mapping[str, np.ndarray]]:
    """An NPZ whose arrays are read from disk one at a time, when indexed."""
    data = open_arrays_until_closed(path)
    try:
        yield data
    finally:
        data.close()


def open_arrays_until_closed(path: str | Path) -> np.lib.npyio.NpzFile:
    """:func:`open_arrays` for a reader that keeps the archive open across calls (and closes
    it, ``.close()``, when done with it)."""
    verify(path)
    return np.load(path, allow_pickle=False)


def array_keys(path: str | Path) -> list[str]:
    """The keys of an NPZ, without reading its arrays."""
    verify(path)
    with np.load(path, allow_pickle=False) as data:
        return list(data.files)
