"""Checksums recorded by the writers, checked by the readers (secam.integrity)."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from secam.artifacts import ArrayWriter, read_arrays, read_table, write_arrays, write_table
from secam.integrity import (
    DamagedArtifactError,
    damaged_artifacts,
    file_sha256,
    set_aside,
    sidecar,
    stale_temporaries,
    verify,
)

from .conftest import sample_image_path


def _rejected(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": [f"img{i}" for i in range(rows)],
            "path": [""] * rows,
            "reason": ["why"] * rows,
        }
    )


def test_writers_record_the_checksum_readers_check(tmp_path):
    table, arrays = tmp_path / "t.parquet", tmp_path / "a.npz"
    write_table(_rejected(10), table, "rejected")
    write_arrays(arrays, {"img0": np.arange(12).reshape(3, 4)})
    for path in (table, arrays):
        recorded = json.loads(sidecar(path).read_text())
        assert recorded == {"sha256": file_sha256(path), "size": path.stat().st_size}
    assert len(read_table(table, "rejected")) == 10
    assert read_arrays(arrays)["img0"].sum() == 66
    assert damaged_artifacts(tmp_path) == []


def test_a_truncated_archive_is_named_not_read(tmp_path):
    path = tmp_path / "segments" / "shard00000.npz"
    labels = np.random.default_rng(0).integers(0, 50, size=(300, 451), dtype=np.int32)
    write_arrays(path, {"chelsea": labels})
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])
    with pytest.raises(DamagedArtifactError, match=f"{path}: it has {size // 2} bytes, {size}"):
        read_arrays(path)
    assert [d.path for d in damaged_artifacts(tmp_path)] == [path]


def test_a_changed_byte_of_the_same_size_is_found_by_its_hash(tmp_path):
    path = tmp_path / "maps.npz"
    write_arrays(path, {"cam/chelsea": np.linspace(-1, 1, 49, dtype=np.float32).reshape(7, 7)})
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert damaged_artifacts(tmp_path) == []  # the cheap size check cannot see it
    with pytest.raises(DamagedArtifactError, match="its SHA-256 is"):
        verify(path)


def test_a_valid_parquet_not_written_by_the_pipeline_is_refused(tmp_path):
    """The partial shard of issue 14: a valid Parquet holding 3 of its 10 rows."""
    path = tmp_path / "metrics.parquet"
    write_table(_rejected(10), path, "rejected")
    _rejected(3).to_parquet(path, index=False)
    with pytest.raises(DamagedArtifactError, match=str(path)) as raised:
        read_table(path, "rejected")
    assert "run snakemake again" in str(raised.value)
    sidecar(path).unlink()
    [damage] = damaged_artifacts(tmp_path)
    assert damage.path == path and "no checksum recorded" in damage.problem
    moved = set_aside(path)
    assert moved.name == "metrics.parquet.damaged" and not path.exists()
    assert damaged_artifacts(tmp_path) == []


def test_verification_is_cached_until_the_file_changes(tmp_path):
    path = tmp_path / "t.parquet"
    write_table(_rejected(5), path, "rejected")
    read_table(path, "rejected")
    write_table(_rejected(4), path, "rejected")  # rewritten by its writer: a new checksum
    assert len(read_table(path, "rejected")) == 4
    _rejected(3).to_parquet(path, index=False)  # rewritten behind its back
    with pytest.raises(DamagedArtifactError):
        read_table(path, "rejected")


def test_a_writer_killed_mid_file_leaves_only_a_temporary_that_is_found(tmp_path):
    """A real writer process killed while it streams a large archive: the artifact is absent
    (never half there), and its temporary file is what stale_temporaries finds."""
    target = tmp_path / "explanations" / "shard00000.npz"
    script = (
        "import numpy as np, sys\n"
        "from secam.artifacts import ArrayWriter\n"
        "with ArrayWriter(sys.argv[1]) as out:\n"
        "    rng = np.random.default_rng(0)\n"
        "    for i in range(100000):\n"
        "        out.add(f'img{i}', rng.random((64, 64)))\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(target)])
    deadline = time.monotonic() + 60
    while not stale_temporaries(tmp_path):
        assert writer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # well into the file
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    [temporary] = stale_temporaries(tmp_path)
    assert temporary.parent == target.parent and temporary.stat().st_size > 0
    assert not target.exists() and not sidecar(target).exists()
    assert damaged_artifacts(tmp_path) == []


def test_a_failed_block_records_nothing(tmp_path):
    path = tmp_path / "arrays.npz"
    write_arrays(path, {"a": np.zeros(3)})
    before = sidecar(path).read_text()
    with pytest.raises(RuntimeError), ArrayWriter(path) as writer:
        writer.add("b", np.ones(3))
        raise RuntimeError("interrupted")
    assert sidecar(path).read_text() == before
    verify(path)


def test_a_real_image_file_round_trips_through_the_checksum(tmp_path):
    """The hash is of the bytes on disk: a PNG copied in as an archive member keeps it."""
    image = sample_image_path("chelsea").read_bytes()
    path = tmp_path / "images.npz"
    write_arrays(path, {"chelsea": np.frombuffer(image, dtype=np.uint8)})
    assert read_arrays(path)["chelsea"].tobytes() == image
