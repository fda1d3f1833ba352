"""benchmarks/bench_nets.py sizes every registered architecture: each builds with the options
``sizes`` gives it (H hidden units, H memories, or its fixed size), so the default run (every
architecture) has no 'error' row from a size option the architecture does not take."""
import pytest
from bench_scripts import load

import evornn

bn = load("bench_nets")


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_sizes_build_every_architecture(arch):
    size = bn.sizes(arch, 8)
    net = evornn.build(arch, 3, 2, **(size or {}))
    assert net.n_params > 0
    if size is not None and arch not in ("mlp", "rmlp", "stacked"):
        larger = evornn.build(arch, 3, 2, **bn.sizes(arch, 16))
        assert larger.n_params > net.n_params      # H is a size: more of it, more weights
