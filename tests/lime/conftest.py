import pytest


@pytest.fixture(scope="module")
def small_coffee(coffee):
    # LIME's own masking loop is slow at full size; the code path is the same
    return coffee[::4, ::4].copy()
