"""The liquid state machine (evornn/nets/cells/lsm.py) against a NumPy leaky integrate-and-fire
simulation written here from Maass, Natschlaeger & Markram (2002): the liquid drawn from the same
seed, the same spikes, the same filtered traces; and its options, determinism and ridge readout."""
import numpy as np
import pytest

import evornn
from evornn.nets.cells.lsm import reservoir
from evornn.nets.network import Network

C = np.array([[0.3, 0.2], [0.4, 0.1]])          # (pre, post) E = 0, I = 1
MEAN = np.array([[30.0, 60.0], [19.0, 19.0]])


def draw_liquid(H, n_in, seed=0, grid=None, lam=2.0, density=None, inhibitory=0.2, weight_scale=3.0,
                input_scaling=30.0, input_density=0.3, bg=(13.5, 14.5)):
    """The liquid from ``seed``, drawn in the order the cell's docstring gives."""
    rng = np.random.default_rng(seed)
    inh = np.zeros(H, dtype=int)
    inh[rng.permutation(H)[:int(round(inhibitory * H))]] = 1
    P = np.zeros((H, H))
    for i in range(H):
        for j in range(H):
            if i == j:
                continue
            if grid is None:
                P[i, j] = min(1.0, 10.0 / H) if density is None else density
            else:
                d = np.subtract(np.unravel_index(i, grid), np.unravel_index(j, grid))
                P[i, j] = C[inh[j], inh[i]] * np.exp(-(d @ d) / lam ** 2)
    mask = rng.random((H, H)) < P
    mag = rng.uniform(0.0, 2.0, (H, H))
    W = np.zeros((H, H))
    for i in range(H):
        for j in range(H):
            if mask[i, j]:
                W[i, j] = (-1 if inh[j] else 1) * mag[i, j] * MEAN[inh[j], inh[i]] * (weight_scale / 30.0)
    in_mask = rng.random((H, n_in)) < input_density
    W_in = np.where(in_mask, rng.uniform(-input_scaling, input_scaling, (H, n_in)), 0.0)
    return W, W_in, rng.uniform(bg[0], bg[1], H), inh


def lif(W, W_in, I_b, X, tau_m=30.0, tau_syn=3.0, tau_out=30.0, dt=1.0, thr=15.0, reset=13.5, refractory=2.0,
        mode="current", substeps=1):
    """Euler-integrated LIF liquid: returns spikes (T, substeps, H) and traces x (T, H)."""
    H = W.shape[0]
    ds, km, do, nref = np.exp(-dt / tau_syn), dt / tau_m, np.exp(-dt / tau_out), round(refractory / dt)
    v, I, r, s, x = (np.zeros(H) for _ in range(5))
    spikes, xs = [], []
    for u in X:
        st = []
        for sub in range(substeps):
            I = ds * I
            for j in range(H):                       # same summation order as the kernel
                I = I + W[:, j] * s[j]
            if mode == "spikes" and sub == 0:
                for k in range(len(u)):
                    I = I + W_in[:, k] * u[k]
            c = I_b.copy()
            if mode == "current":
                for k in range(len(u)):
                    c = c + W_in[:, k] * u[k]
            c = c + I
            s = np.zeros(H)
            for i in range(H):
                if r[i] > 0:
                    r[i] -= 1
                    v[i] = reset
                else:
                    v[i] = v[i] + km * (c[i] - v[i])
                    if v[i] >= thr:
                        s[i], v[i], r[i] = 1.0, reset, nref
            x = do * x + s
            st.append(s)
        spikes.append(st)
        xs.append(x.copy())
    return np.array(spikes), np.array(xs)


CASES = {
    "current-grid": (dict(n_hidden=27, grid=[3, 3, 3], weight_scale=10.0), dict(grid=(3, 3, 3), weight_scale=10.0), {}, 2),
    "spikes-random": (dict(n_hidden=20, seed=5, density=0.3, input_mode="spikes", substeps=3, refractory=3.0,
                           readout_inputs=False, input_scaling=40.0, weight_scale=50.0),
                      dict(seed=5, density=0.3, input_scaling=40.0, weight_scale=50.0),
                      dict(mode="spikes", substeps=3, refractory=3.0), 3),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("engine", ["lanes", "scalar"])
def test_lif_liquid_equals_the_numpy_simulation(case, engine):
    build_opts, draw_opts, sim_opts, n_in = CASES[case]
    T = 120
    rng = np.random.default_rng(3)
    net = evornn.build("lsm", n_in, 2, engine=engine, **build_opts)
    W, W_in, I_b, inh = draw_liquid(build_opts["n_hidden"], n_in, **draw_opts)
    res = reservoir(net)
    assert np.array_equal(res["W"], W) and np.array_equal(res["W_in"], W_in) and np.array_equal(res["I_b"], I_b)
    if sim_opts.get("mode") == "spikes":
        X = (rng.random((T, n_in)) < 0.2).astype(float)
    else:
        X = rng.uniform(0.0, 1.0, (T, n_in))
    spikes, xs = lif(W, W_in, I_b, X, **sim_opts)
    assert 0.01 < spikes.mean() < 0.5                       # the liquid is neither silent nor saturated
    states = Network("core", [net.layers[0]], [""], ).run(np.zeros(0), X)
    with_u = build_opts.get("readout_inputs", True)
    assert np.array_equal(states, np.hstack([X, xs]) if with_u else xs)    # same spikes, bit for bit
    P = 11                                                  # a population: every lane sees the same liquid
    Wpop = rng.normal(size=(P, net.n_params))
    Y = net.run_population(Wpop, X)
    feats = states
    for p in range(P):
        prm = net.unflatten(Wpop[p])
        np.testing.assert_allclose(Y[p], feats @ prm["out.W"].T + prm["out.b"], rtol=0, atol=1e-9)
    assert np.array_equal(net.run_population(Wpop[::-1], X)[::-1], Y)      # position in the population


def test_grid_connectivity_falls_with_distance_and_seeds_fix_the_liquid():
    big = reservoir(evornn.build("lsm", 1, 1, n_hidden=135, grid=[15, 3, 3]))["W"]
    pos = np.array(np.unravel_index(np.arange(135), (15, 3, 3))).T
    d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1))
    near, far = (big != 0)[d == 1].mean(), (big != 0)[d >= 4].mean()
    assert near > 0.1 and far < 0.001
    a, b, c = (reservoir(evornn.build("lsm", 1, 1, n_hidden=30, seed=s))["W"] for s in (4, 4, 9))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    net = evornn.build("lsm", 2, 3, n_hidden=12)
    assert net.n_params == 3 * (2 + 12 + 1) and net.layers[0].n_params == 0


@pytest.mark.parametrize("opts, words", [
    (dict(grid=[3, 3, 2]), "grid"), (dict(input_mode="poisson"), "input_mode"), (dict(tau_m=0.0), "tau_m"),
    (dict(v_reset=20.0), "v_reset"), (dict(dt=40.0), "dt"), (dict(substeps=0), "substeps"),
    (dict(inhibitory=1.5), "inhibitory"), (dict(seed=-1), "seed"), (dict(readout_inputs="yes"), "readout_inputs"),
])
def test_bad_options_raise_one_line(opts, words):
    with pytest.raises(ValueError, match=words) as e:
        evornn.build("lsm", 1, 1, n_hidden=27, **opts)
    assert "\n" not in str(e.value)


def test_ridge_readout_fits_the_liquid():
    """esn-ridge's fit, generalised to any reservoir: the liquid's traces carry a piecewise-constant
    input (held 10 ms) well enough for a linear readout to recover it (readout_inputs off)."""
    from evornn.grad.esn_ridge import fit_readout
    from types import SimpleNamespace
    rng = np.random.default_rng(0)
    T = 600
    X = np.repeat(rng.uniform(0, 1, (T // 10, 1)), 10, axis=0)
    mask = np.arange(T) >= 20
    net = evornn.build("lsm", 1, 1, n_hidden=60, tau_out=10.0, seed=1, readout_inputs=False)
    data = SimpleNamespace(X=X, Y=X, mask=mask, starts=np.array([0, T]))
    w = fit_readout(net, data, ridge=1e-3)
    err = net.run(w, X)[mask] - X[mask]
    assert np.sqrt(np.mean(err ** 2)) < 0.75 * X[mask].std()
