import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(params=["lanes", "scalar", "float32"])
def engine(request):
    """Each oracle test runs on every kernel: see tests/engines.py."""
    return request.param
