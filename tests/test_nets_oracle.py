"""Every architecture's kernel against its plain-NumPy oracle (tests/reference_nets.py)."""
import numpy as np
import pytest

import evornn
import reference_nets as ref
from engines import ENGINES, error, tol

TOL = 1e-12
LENGTHS = (1, 7, 40)

# name -> (build kwargs, oracle(params, X, net) -> Y)
CASES = {
    "frnn": (dict(n_hidden=5), lambda p, X, n: ref.frnn(p, X, n.n_outputs)),
    "frnn-tanh-dense": (dict(n_hidden=4, activation="tanh", readout="dense", output_activation="sigmoid"),
                        lambda p, X, n: ref.elman(p, X, "tanh", "sigmoid")),
    "elman": (dict(n_hidden=6), lambda p, X, n: ref.elman(p, X)),
    "mlp": (dict(hidden=[5, 4]), lambda p, X, n: ref.mlp(p, X, 2)),
    "rmlp": (dict(hidden=[5, 3], output_activation="tanh"), lambda p, X, n: ref.rmlp(p, X, 2, out_act="tanh")),
    "stacked": (dict(cell="elman", layers=[5, 4]), lambda p, X, n: ref.rmlp(p, X, 2, act="sigmoid")),
}


def _arch(case):
    return case.split("-")[0]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("T", LENGTHS)
def test_kernel_matches_numpy_oracle(case, T, engine, rng):
    kwargs, oracle = CASES[case]
    net = evornn.build(_arch(case), 3, 2, **kwargs, **ENGINES[engine])
    for _ in range(3):
        w = rng.normal(0.0, 1.0, net.n_params)
        X = rng.normal(0.0, 1.0, (T, 3))
        got = net.run(w, X)
        want = oracle(net.unflatten(w), X, net)
        assert got.shape == want.shape == (T, 2)
        assert error(got, want, engine) <= tol(engine, TOL)
