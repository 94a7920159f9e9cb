import numpy as np
import pytest

from secam.artifacts import ArrayWriter, open_arrays, read_arrays, write_arrays


def test_streamed_arrays_read_back_with_numpy(tmp_path):
    path = tmp_path / "arrays.npz"
    arrays = {
        "cam/img1": np.arange(49, dtype=np.float32).reshape(7, 7),
        "img1/top3": np.eye(5, dtype=bool),
    }
    with ArrayWriter(path) as writer:
        for key, array in arrays.items():
            writer.add(key, array)
    with np.load(path) as loaded:
        assert loaded.files == list(arrays)
        for key, array in arrays.items():
            assert loaded[key].dtype == array.dtype
            np.testing.assert_array_equal(loaded[key], array)
    with open_arrays(path) as lazy:
        np.testing.assert_array_equal(lazy["img1/top3"], arrays["img1/top3"])


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "arrays.npz"
    write_arrays(path, {"a": np.zeros(3)})
    with pytest.raises(RuntimeError), ArrayWriter(path) as writer:
        writer.add("b", np.ones(3))
        raise RuntimeError("interrupted")
    assert list(read_arrays(path)) == ["a"]
    # the archive and its recorded checksum (secam.integrity), no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == [".arrays.npz.sha256", "arrays.npz"]


def test_a_key_written_twice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="written twice"), ArrayWriter(tmp_path / "x.npz") as w:
        w.add("a", np.zeros(1))
        w.add("a", np.zeros(1))
    assert not (tmp_path / "x.npz").exists()
