"""Properties every registered architecture must have (looped over evornn.ARCHS, so new ones are
included automatically): its documented parameter count, flatten/unflatten, neuron groups,
thread-count determinism, NaN/Inf chromosomes, option errors. Plus the bidirectional Elman oracle.
"""
import inspect

import numba
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
import reference_cells_b as refb
import reference_nets as ref
from evornn.nets.registry import CORES

I, O = 3, 2                                          # n_inputs, n_outputs of every test network

# Small build options per architecture and its parameter count, written from its equations.
ARCH_CASES = {
    "frnn": (dict(n_hidden=5), lambda H=5: H * (I + H + 1)),
    "elman": (dict(n_hidden=5), lambda H=5: H * (I + H + 1) + O * (H + 1)),
    "jordan": (dict(n_hidden=5), lambda H=5: H * (I + O + 1) + O * (H + 1)),
    "lstm": (dict(n_hidden=5), lambda H=5: 4 * H * (I + H + 1) + O * (H + 1)),
    "gru": (dict(n_hidden=5), lambda H=5: 3 * H * (I + H + 1) + O * (H + 1)),
    "indrnn": (dict(n_hidden=5), lambda H=5: H * (I + 2) + O * (H + 1)),
    "second-order": (dict(n_hidden=5), lambda H=5: H * H * I + H),
    "ctrnn": (dict(n_hidden=5), lambda H=5: H * (I + H + 2)),
    "mtrnn": (dict(n_hidden=7, n_slow=3), lambda H=7, F=4: F * I + H * H + H + O * (F + 1)),
    "esn": (dict(n_hidden=20), lambda H=20: O * (I + H + 1)),
    "narx": (dict(n_hidden=5), lambda H=5, du=2, dy=2: H * ((du + 1) * I + dy * O + 1) + O * (H + 1)),
    "mlp": (dict(hidden=[5, 4]), lambda: 5 * (I + 1) + 4 * (5 + 1) + O * (4 + 1)),
    "rmlp": (dict(hidden=[5, 4]), lambda: 5 * (I + 5 + 1) + 4 * (5 + 4 + 1) + O * (4 + 1)),
    "stacked": (dict(layers=[5, 4]), lambda: 5 * (I + 5 + 1) + 4 * (5 + 4 + 1) + O * (4 + 1)),
    "bidirectional": (dict(n_hidden=5), lambda H=5: 2 * H * (I + H + 1) + O * (2 * H + 1)),
    "hopfield": (dict(), lambda N=I: N * (N - 1) // 2 + N),
    "hopfield-continuous": (dict(), lambda N=I: N * (N - 1) // 2 + N),
    "bam": (dict(), lambda n=I, p=O: n * p + n + p),
    "modern-hopfield": (dict(memories=4), lambda N=I, M=4: M * N),
    "lsm": (dict(n_hidden=12), lambda H=12: O * (I + H + 1)),
    # stack (push, pop, no-op, one pushed value from h), an Elman controller reading [x, top], readout
    "stack-rnn": (dict(n_hidden=5, depth=4), lambda H=5: (3 + 1) * (H + 1) + H * (I + 1 + H + 1) + O * (H + 1)),
    "neat-net": (dict(max_nodes=5), lambda M=5: M * (I + 1 + M) + M),
    # a neat-net phenotype on [x, r] (memory width W) with O + W + 5 outputs; the tape has no parameters
    "neat-entm": (dict(max_nodes=12, memory_width=2), lambda M=12, W=2: M * (I + W + 1 + M) + M),
    # one dense layer on [x, r] (memory width W) to O + W + 5 units; the tape has no parameters
    "dense-entm": (dict(memory_width=2), lambda W=2: (O + W + 5) * (I + W + 1)),
    "seq2seq": (dict(n_hidden=5), lambda H=5: 2 * 4 * H * (I + H + 1) + O * (H + 1)),   # lstm encoder and decoder
    # controller elman on [x, r] + head projections (read M + 6, write 3 M + 6; DNC (R + 3) M + 5 R + 3) + readout of [h, r]
    "ntm": (dict(n_hidden=5), lambda H=5, M=8: H * (I + M + H + 1) + (M + 6 + 3 * M + 6) * (H + 1) + O * (H + M + 1)),
    "dnc": (dict(n_hidden=5), lambda H=5, M=8, R=1: H * (I + M + H + 1) + ((R + 3) * M + 5 * R + 3) * (H + 1) + O * (H + M + 1)),
    "recursive": (dict(n_hidden=5), lambda H=5: H * (I + 2 * H + 1) + O * (H + 1)),
    "history-compressor": (dict(n_hidden=4, n_hidden2=2),       # level 2, level 1 (Elman on [x; h2]), readout
                           lambda H=4, K=2: K * (I + 1 + K + 1) + H * (I + K + H + 1) + O * (H + 1)),
}

# Every core with default options: (n_in, H) -> (its parameter count, its output width when asked for H).
CORE_PARAMS = {
    "frnn": lambda n, H: (H * (n + H + 1), H),
    "elman": lambda n, H: (H * (n + H + 1), H),
    "jordan": lambda n, H: (H * (n + H + 1) + H * (H + 1), H),
    "lstm": lambda n, H: (4 * H * (n + H + 1), H),
    "gru": lambda n, H: (3 * H * (n + H + 1), H),
    "indrnn": lambda n, H: (H * (n + 2), H),
    "second-order": lambda n, H: (H * H * n + H, H),
    "ctrnn": lambda n, H: (H * (n + H + 2), H),
    "mtrnn": lambda n, H: ((H - H // 2) * n + H * H + H, H - H // 2),
    "esn": lambda n, H: (0, n + H),
    "lsm": lambda n, H: (0, n + H),
    "narx": lambda n, H: (H * (3 * n + 2 * H + 1) + H * (H + 1), H),
    "recursive": lambda n, H: (H * (n + 2 * H + 1), H),
}

# Blocks holding a hidden unit i's incoming weights, per layer kind: "row" takes block[i] (when the
# block has that row), "gate" takes block[:, i] (gate-stacked blocks of shape (G, H, ...)).
INCOMING = {
    "frnn": {"W_in": "row", "W_rec": "row", "b": "row"},
    "elman": {"W_in": "row", "W_rec": "row", "b": "row"},
    "rmlp": {"W_in": "row", "W_rec": "row", "b": "row"},
    "dense": {"W": "row", "b": "row"},
    "jordan": {"W_in": "row", "W_ctx": "row", "b": "row"},
    "lstm": {"W_in": "gate", "W_rec": "gate", "b": "gate", "peep": "gate"},
    "gru": {"W_in": "gate", "W_rec": "gate", "b": "gate"},
    "indrnn": {"W_in": "row", "u": "row", "b": "row"},
    "second-order": {"W": "row", "b": "row"},
    "ctrnn": {"W_in": "row", "W_rec": "row", "theta": "row", "log_tau": "row"},
    "mtrnn": {"W_in": "row", "W_rec": "row", "b": "row"},
    "esn": {},
    "lsm": {},
    "narx": {"W_x": "row", "W_y": "row", "b": "row"},
    # symmetric weights are shared by two units: unit i owns its threshold and row i of the triangle
    "hopfield": {"theta": "row"},
    "hopfield-continuous": {"I": "row"},
    "bam": {"W": "gate", "theta_b": "row"},         # layer units are B's: column k of W and theta_b[k]
    "modern-hopfield": {"X": "row"},                # a unit is a memory slot: its stored pattern
    "stack": {"V": "row", "c": "row"},              # unit j: an action (push, pop, no-op) or a pushed value
    "neat-net": {"W": "row", "types": "row"},
    "encdec_switch": {},                            # seq2seq's switch: no parameters
    "ntm-reads": {}, "dnc-reads": {}, "entm-reads": {}, "entm-tape": {},               # parameter-free: [x_t, r_{t-1}] for the controller
    "ntm": {"W_heads": "row", "b_heads": "row"},    # one unit per head parameter
    "dnc": {"W_if": "row", "b_if": "row"},          # one unit per interface value
    "recursive": {"E": "row", "W": "row", "b": "row"},
    "history-compressor": {"W_in": "row", "W_rec": "row", "b": "row"},     # its level-2 layer
    "history-compressor-join": {},                  # [h1; h2] for the readout: no parameters
}


def _build(arch: str, **extra) -> evornn.Network:
    return evornn.build(arch, I, O, **{**ARCH_CASES.get(arch, ({}, None))[0], **extra})


def test_every_architecture_and_core_has_a_documented_formula():
    assert set(evornn.ARCHS) <= set(ARCH_CASES), f"add n_params formulas for {set(evornn.ARCHS) - set(ARCH_CASES)}"
    assert set(CORES) <= set(CORE_PARAMS), f"add core formulas for {set(CORES) - set(CORE_PARAMS)}"


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_n_params_matches_formula(arch):
    opts, formula = ARCH_CASES[arch]
    net = _build(arch)
    assert net.n_params == formula()
    assert sum(int(np.prod(s)) for _off, s in net.layout.values()) == net.n_params


@pytest.mark.parametrize("cell", sorted(CORES))
def test_composed_n_params_match_core_formulas(cell):
    c0, h0 = CORE_PARAMS[cell](I, 5)
    c1, h1 = CORE_PARAMS[cell](h0, 4)
    assert _build("stacked", cell=cell).n_params == c0 + c1 + O * (h1 + 1)
    assert _build("bidirectional", cell=cell).n_params == 2 * c0 + O * (2 * h0 + 1)


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_flatten_unflatten_round_trip_with_views(arch, rng):
    net = _build(arch)
    w = rng.normal(size=net.n_params)
    p = net.unflatten(w)
    assert list(p) == list(net.layout)
    for name, v in p.items():
        assert np.shares_memory(v, w), name
        assert v.shape == net.layout[name][1]
    w2 = net.flatten(p)
    assert np.array_equal(w2, w) and not np.shares_memory(w2, w)
    p2 = net.unflatten(w2)
    assert all(np.array_equal(p2[k], p[k]) for k in p)
    spans = sorted((off, off + int(np.prod(s))) for off, s in net.layout.values())
    assert spans[0][0] == 0 and spans[-1][1] == net.n_params
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))       # blocks tile the chromosome


def _incoming(net: evornn.Network, k: int, i: int) -> np.ndarray:
    """Indices of the incoming weights of unit i of layer k, from the block shapes alone."""
    start = sum(len(lay.blocks) for lay in net.layers[:k])
    rule = INCOMING[net.layers[k].kind]
    idx = []
    for (_name, off, b) in net.blocks[start:start + len(net.layers[k].blocks)]:
        how = rule.get(b.name)
        a = np.arange(off, off + b.size).reshape(b.shape)
        if how == "row" and i < b.shape[0]:
            idx.append(a[i].ravel())
        elif how == "gate":
            idx.append(a[:, i].ravel())
    return np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("with_outgoing", [True, False])
@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_neuron_groups_are_disjoint_cover_and_hold_incoming_weights(arch, with_outgoing):
    _check_groups(_build(arch), with_outgoing)


@pytest.mark.parametrize("cell", sorted(CORES))
def test_composed_neuron_groups(cell):
    for arch in ("stacked", "bidirectional"):
        for with_outgoing in (True, False):
            _check_groups(_build(arch, cell=cell), with_outgoing)


def _check_groups(net: evornn.Network, with_outgoing: bool) -> None:
    groups = net.neuron_groups(with_outgoing=with_outgoing)
    flat = np.concatenate(groups)
    assert flat.size == net.n_params, "groups overlap or miss parameters"
    assert np.array_equal(np.sort(flat), np.arange(net.n_params))
    owner = np.empty(net.n_params, dtype=np.int64)
    for g, idx in enumerate(groups):
        owner[idx] = g
    last = len(net.layers) - 1
    for k, lay in enumerate(net.layers):
        assert lay.kind in INCOMING, f"say which blocks feed a {lay.kind} unit in INCOMING"
        if k == last and with_outgoing and net.has_readout:
            continue                         # the readout's weights were handed to the hidden neurons
        for i in range(lay.n_units if INCOMING[lay.kind] else 0):
            inc = _incoming(net, k, i)
            assert inc.size, f"no incoming weights found for unit {i} of layer {k} ({lay.kind})"
            assert np.unique(owner[inc]).size == 1, f"unit {i} of layer {k} ({lay.kind}) is split"


def _population(net, rng, P=12):
    W = rng.normal(0.0, 1.0, (P, net.n_params))
    X = rng.normal(0.0, 1.0, (25, I))
    return W, X, np.array([0, 10, 25])


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_population_is_bit_identical_across_thread_counts(arch, rng):
    net = _build(arch)
    W, X, starts = _population(net, rng)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        Y1 = net.run_population(W, X, starts)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        Yn = net.run_population(W, X, starts)
    finally:
        numba.set_num_threads(before)
    assert numba.get_num_threads() == before
    assert np.all(np.isfinite(Y1))
    assert np.array_equal(Y1, Yn)
    for p in (0, len(W) - 1):
        assert np.array_equal(net.run(W[p], X, starts), Y1[p])
    # each sequence restarts from the zero state
    assert np.array_equal(net.run(W[1], X[10:]), Y1[1, 10:])


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_non_finite_chromosomes_give_non_finite_outputs(arch, rng):
    net = _build(arch)
    W, X, starts = _population(net, rng, P=5)
    for row, bad in ((0, np.nan), (1, np.inf), (2, -np.inf)):
        W[row, rng.integers(net.n_params)] = bad
    W[3, -1] = np.nan                               # the very last parameter counts too
    Y = net.run_population(W, X, starts)
    assert not np.any(np.isfinite(Y[:4]))
    assert np.all(np.isfinite(Y[4]))
    assert not np.any(np.isfinite(net.run(W[0], X)))


@pytest.mark.parametrize("arch", sorted(evornn.ARCHS))
def test_bad_options_raise_value_errors_naming_them(arch):
    params = inspect.signature(evornn.ARCHS[arch]).parameters
    bad = [(dict(no_such_option=1), "no_such_option")]
    if "activation" in params:
        bad.append((dict(activation="swish"), "swish"))
    if "output_activation" in params:
        bad.append((dict(output_activation="swish"), "swish"))
    for size in ("n_hidden", "hidden", "layers"):
        if size in params:
            bad.append(({size: 0 if size == "n_hidden" else [4, 0]}, size))
    if "cell" in params:
        bad.append((dict(cell="transformer"), "transformer"))
    for opts, word in bad:
        with pytest.raises(ValueError, match=word) as e:
            _build(arch, **opts)
        assert "\n" not in str(e.value)
    for n_in, n_out in ((0, O), (I, 0)):
        with pytest.raises(ValueError, match="n_inputs and n_outputs"):
            evornn.build(arch, n_in, n_out)


@pytest.mark.parametrize("T", (1, 7, 40))
@pytest.mark.parametrize("act, out_act", [("sigmoid", "linear"), ("tanh", "sigmoid")])
def test_bidirectional_elman_matches_oracle(T, act, out_act, engine, rng):
    net = evornn.build("bidirectional", I, O, cell="elman", n_hidden=4, activation=act, output_activation=out_act,
                       **ENGINES[engine])

    def core(p, prefix, X):
        return ref.srn_sequence(p, prefix, X, act)
    for _ in range(3):
        w = rng.normal(0.0, 1.0, net.n_params)
        X = rng.normal(0.0, 1.0, (T, I))
        want = refb.bidirectional(net.unflatten(w), X, core, out_act)
        got = net.run(w, X)
        assert got.shape == want.shape == (T, O)
        assert error(got, want, engine) <= tol(engine, 1e-12)
    if T > 1:                    # the output at t = 0 sees x_1 through the backward direction
        X2 = X.copy()
        X2[1] += 1.0
        assert not np.allclose(net.run(w, X2)[0], got[0])
