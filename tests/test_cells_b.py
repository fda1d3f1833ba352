"""The ctrnn, mtrnn, esn and narx kernels against their plain-NumPy oracles (reference_cells_b.py):
alone, stacked and bidirectional; plus the echo state reservoir's construction."""
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
import reference_cells_b as ref
from evornn.nets.cells.esn import reservoir

TOL = 1e-12
LENGTHS = (1, 7, 40)
N_IN, N_OUT = 3, 2


def _core(cell, net, opts):
    """core(p, prefix, X) -> core outputs, for the layer of ``net`` that ``prefix`` names."""
    o = dict(opts)
    act = o.pop("activation", None)
    if cell == "ctrnn":
        return lambda p, pre, X: ref.ctrnn_sequence(p, pre, X, p[pre + "W_rec"].shape[0], act or "sigmoid", **o)
    if cell == "mtrnn":
        def f(p, pre, X):
            H = p[pre + "W_rec"].shape[0]
            n_slow = o.get("n_slow", H // 2)
            return ref.mtrnn_sequence(p, pre, X, H - n_slow, n_slow, o.get("tau_fast", 5.0),
                                      o.get("tau_slow", 70.0), act or "tanh")
        return f
    if cell == "esn":
        layer = {"": 0, "fwd.": 0, "bwd.": 1, "layer0.": 0, "layer1.": 1}
        return lambda p, pre, X: ref.esn_sequence(reservoir(net, layer[pre]), X, o.get("readout_inputs", True))
    if cell == "narx":
        return lambda p, pre, X: ref.narx_sequence(p, pre, X, o.get("input_delays", 2), o.get("output_delays", 2),
                                                   act or "tanh", o.get("out_act", "linear"))
    raise AssertionError(cell)


# name -> (arch, build options, oracle(p, X, net) -> Y)
SINGLE = {
    "ctrnn": ("ctrnn", dict(n_hidden=5), lambda p, X, n: ref.ctrnn_sequence(p, "", X, N_OUT)),
    "ctrnn-tanh-dense": ("ctrnn", dict(n_hidden=4, activation="tanh", dt=0.35, readout="dense", output_activation="tanh"),
                         lambda p, X, n: ref.with_readout(p, ref.ctrnn_sequence(p, "", X, 4, "tanh", 0.35), "tanh")),
    "mtrnn": ("mtrnn", dict(n_hidden=6), lambda p, X, n: ref.with_readout(p, ref.mtrnn_sequence(p, "", X, 3, 3))),
    "mtrnn-sigmoid-none": ("mtrnn", dict(n_hidden=5, n_slow=1, tau_fast=1.0, tau_slow=3.5, activation="sigmoid",
                                         readout="none"),
                           lambda p, X, n: ref.mtrnn_sequence(p, "", X, N_OUT, 1, 1.0, 3.5, "sigmoid")),
    "esn": ("esn", dict(n_hidden=20), lambda p, X, n: ref.with_readout(p, ref.esn_sequence(reservoir(n), X))),
    "esn-leaky": ("esn", dict(n_hidden=30, density=0.2, leak_rate=0.3, input_scaling=0.5, spectral_radius=1.2,
                              seed=7, readout_inputs=False, output_activation="sigmoid"),
                  lambda p, X, n: ref.with_readout(p, ref.esn_sequence(reservoir(n), X, False), "sigmoid")),
    "narx": ("narx", dict(n_hidden=5), lambda p, X, n: ref.narx_sequence(p, "", X)),
    "narx-d0-sigmoid": ("narx", dict(n_hidden=4, input_delays=0, output_delays=1, activation="sigmoid",
                                     output_activation="sigmoid"),
                        lambda p, X, n: ref.narx_sequence(p, "", X, 0, 1, "sigmoid", "sigmoid")),
    "narx-d4": ("narx", dict(n_hidden=3, input_delays=4, output_delays=3),
                lambda p, X, n: ref.narx_sequence(p, "", X, 4, 3)),
}

# cell -> options used inside stacked and bidirectional networks
COMPOSED = {
    "ctrnn": dict(dt=0.2),
    "mtrnn": dict(n_slow=2, tau_fast=2.0),
    "esn": dict(leak_rate=0.5),
    "narx": dict(input_delays=1, output_delays=2, out_act="tanh"),
}
# (narx inside a composition gets bounded tanh outputs: with linear ones, the readout's sums of
# large unbounded values differ from the oracle's BLAS order by a few 1e-12 at T = 40)


def _check(net, oracle, T, rng, engine):
    for _ in range(3):
        w = rng.normal(0.0, 1.0, net.n_params)
        X = rng.normal(0.0, 1.0, (T, net.n_inputs))
        got = net.run(w, X)
        want = oracle(net.unflatten(w), X, net)
        assert got.shape == want.shape == (T, net.n_outputs)
        assert np.all(np.isfinite(got))
        assert error(got, want, engine) <= tol(engine, TOL)


@pytest.mark.parametrize("case", sorted(SINGLE))
@pytest.mark.parametrize("T", LENGTHS)
def test_single_core_matches_oracle(case, T, engine, rng):
    arch, opts, oracle = SINGLE[case]
    _check(evornn.build(arch, N_IN, N_OUT, **opts, **ENGINES[engine]), oracle, T, rng, engine)


@pytest.mark.parametrize("cell", sorted(COMPOSED))
@pytest.mark.parametrize("T", LENGTHS)
def test_stacked_matches_oracle(cell, T, engine, rng):
    net = evornn.build("stacked", N_IN, N_OUT, cell=cell, layers=[5, 4], **COMPOSED[cell], **ENGINES[engine])
    core = _core(cell, net, COMPOSED[cell])

    def oracle(p, X, n):
        for k in range(2):
            X = core(p, f"layer{k}.", X)
        return ref.with_readout(p, X)
    _check(net, oracle, T, rng, engine)


@pytest.mark.parametrize("cell", sorted(COMPOSED))
@pytest.mark.parametrize("T", LENGTHS)
def test_bidirectional_matches_oracle(cell, T, engine, rng):
    net = evornn.build("bidirectional", N_IN, N_OUT, cell=cell, n_hidden=5, activation=None, **COMPOSED[cell],
                       **ENGINES[engine])
    core = _core(cell, net, COMPOSED[cell])
    _check(net, lambda p, X, n: ref.bidirectional(p, X, core), T, rng, engine)


def test_ctrnn_euler_step_is_clipped_at_one(rng):
    """With tau far below dt, alpha = 1: the state jumps to W_rec s(y + theta) + W_in x."""
    net = evornn.build("ctrnn", N_IN, N_OUT, n_hidden=4, dt=0.5)
    w = rng.normal(0.0, 1.0, net.n_params)
    p = net.unflatten(w)
    p["log_tau"][:] = [-30.0, -5.0, np.log(0.5), 2.0]     # views: this edits w
    X = rng.normal(0.0, 1.0, (12, N_IN))
    got = net.run(w, X)
    assert np.max(np.abs(got - ref.ctrnn_sequence(p, "", X, N_OUT, dt=0.5))) <= TOL
    y = np.zeros(4)
    for x in X:                                            # units 0-2 have alpha = 1 exactly
        y_new = p["W_rec"] @ ref.ACT["sigmoid"](y + p["theta"]) + p["W_in"] @ x
        y = np.concatenate([y_new[:3], y[3:] + 0.5 * np.exp(-2.0) * (y_new[3:] - y[3:])])
    assert np.max(np.abs(got[-1] - ref.ACT["sigmoid"](y + p["theta"])[:N_OUT])) <= 1e-9


@pytest.mark.parametrize("H, density, radius, scaling", [(40, None, 0.9, 1.0), (150, 0.05, 1.3, 0.25)])
def test_esn_reservoir_has_the_asked_spectral_radius(H, density, radius, scaling):
    net = evornn.build("esn", N_IN, N_OUT, n_hidden=H, density=density, spectral_radius=radius,
                       input_scaling=scaling, seed=3)
    res = reservoir(net)
    assert abs(np.max(np.abs(np.linalg.eigvals(res["W_res"]))) - radius) <= 1e-9
    want_density = min(1.0, 10.0 / H) if density is None else density
    assert abs(np.count_nonzero(res["W_res"]) / H ** 2 - want_density) < 0.03
    for name, shape in (("W_in", (H, N_IN)), ("b", (H,))):
        assert res[name].shape == shape
        assert np.all(np.abs(res[name]) <= scaling) and np.max(np.abs(res[name])) > 0.5 * scaling
    assert net.n_params == N_OUT * (N_IN + H + 1)          # the chromosome is the readout only
    assert [b for b in net.layout] == ["out.W", "out.b"]


def test_esn_reservoir_is_sparse_and_seeded():
    net = evornn.build("esn", 1, 1, n_hidden=1000, density=0.01)
    nnz = np.count_nonzero(reservoir(net)["W_res"])
    assert 8000 < nnz < 12000
    assert net.ix.size == 1001 + nnz                       # CSR: row pointers + column indices
    assert net.fx.size == 1 + 1000 + 1000 + nnz            # leak, W_in, b, values
    a, b, c = (reservoir(evornn.build("esn", 2, 1, n_hidden=30, seed=s))["W_res"] for s in (5, 5, 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_esn_core_has_no_parameters_and_readout_owns_the_groups():
    net = evornn.build("esn", N_IN, N_OUT, n_hidden=12)
    groups = net.neuron_groups()
    assert len(groups) == N_OUT
    W = net.unflatten(np.arange(net.n_params, dtype=float))
    for j, g in enumerate(groups):
        assert sorted(g) == sorted(list(W["out.W"][j].astype(int)) + [int(W["out.b"][j])])


def test_mtrnn_exposes_fast_units_only():
    net = evornn.build("mtrnn", N_IN, N_OUT, n_hidden=7, n_slow=3)
    assert net.layers[0].n_out == 4 and net.unflatten(np.zeros(net.n_params))["out.W"].shape == (N_OUT, 4)
    assert net.layout["W_in"][1] == (4, N_IN)
    with pytest.raises(ValueError, match="n_fast"):
        evornn.build("mtrnn", N_IN, 7, n_hidden=7, n_slow=3, readout="none")


@pytest.mark.parametrize("arch, opts, word", [
    ("ctrnn", dict(dt=0.0), "dt"), ("ctrnn", dict(dt=float("nan")), "dt"),
    ("ctrnn", dict(activation="relu"), "activation"),
    ("mtrnn", dict(n_hidden=4, n_slow=4), "n_slow"), ("mtrnn", dict(n_slow=-1), "n_slow"),
    ("mtrnn", dict(tau_fast=0.5), "tau_fast"), ("mtrnn", dict(tau_slow="70"), "tau_slow"),
    ("esn", dict(spectral_radius=0.0), "spectral_radius"), ("esn", dict(density=1.5), "density"),
    ("esn", dict(leak_rate=0.0), "leak_rate"), ("esn", dict(leak_rate=1.1), "leak_rate"),
    ("esn", dict(input_scaling=-1.0), "input_scaling"), ("esn", dict(seed=-1), "seed"),
    ("esn", dict(readout_inputs="yes"), "readout_inputs"), ("esn", dict(readout="none"), "readout"),
    ("narx", dict(input_delays=-1), "input_delays"), ("narx", dict(output_delays=0), "output_delays"),
    ("narx", dict(output_delays=1.5), "output_delays"), ("narx", dict(output_activation="soft"), "output activation"),
])
def test_bad_options_raise_one_line_value_errors(arch, opts, word):
    with pytest.raises(ValueError, match=word) as e:
        evornn.build(arch, N_IN, N_OUT, **opts)
    assert "\n" not in str(e.value)


def test_mtrnn_spectral_radius_draws_a_reservoir_per_chromosome():
    """spectral_radius: each chromosome's W_rec is uniform in [-1, 1] scaled to that spectral radius
    (its own matrix), the other blocks drawn as before; None keeps the fan-in initialisation."""
    H = 12
    net = evornn.build("mtrnn", 1, 1, n_hidden=H, n_slow=0, tau_fast=1 / 0.3, spectral_radius=1.25, init_range=0.5)
    W = net.init(np.random.default_rng(3), 4)
    mats = [net.unflatten(w)["W_rec"] for w in W]
    for M in mats:
        assert np.max(np.abs(np.linalg.eigvals(M))) == pytest.approx(1.25, rel=1e-12)
        assert np.max(np.abs(M)) > 0.05
    assert not np.allclose(mats[0], mats[1])
    w_in = np.concatenate([net.unflatten(w)["W_in"].ravel() for w in W])
    assert np.max(np.abs(w_in)) <= 0.5 and np.max(np.abs(w_in)) > 0.3     # init_range still applies to W_in
    plain = evornn.build("mtrnn", 1, 1, n_hidden=H, n_slow=0)
    R = plain.unflatten(plain.init(np.random.default_rng(3)))["W_rec"]
    assert np.max(np.abs(R)) <= 1 / np.sqrt(1 + H)
    assert "spectral_radius" not in plain.layers[0].options and net.layers[0].options["spectral_radius"] == 1.25


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), "1"])
def test_mtrnn_spectral_radius_refused(bad):
    with pytest.raises(ValueError, match="mtrnn: spectral_radius must be"):
        evornn.build("mtrnn", 1, 1, n_hidden=4, spectral_radius=bad)
