"""Jordan, LSTM, GRU, IndRNN and second-order cells: kernels against the NumPy oracles
(tests/reference_gated.py), alone and inside stacked and bidirectional networks; parameter counts,
neuron groups and option checks."""
import numpy as np
import pytest

import evornn
from engines import ENGINES, error, tol
import reference_gated as ref

TOL = 1e-12
LENGTHS = (1, 7, 40)
N_IN, N_OUT = 3, 2
CELLS = ("jordan", "lstm", "gru", "indrnn", "second-order", "recursive")

# case -> (arch, build kwargs, oracle(params, X) -> Y)
CASES = {
    "lstm": ("lstm", dict(n_hidden=4), lambda p, X: ref.single("lstm", p, X, N_OUT, "dense")),
    "lstm-peephole": ("lstm", dict(n_hidden=5, peephole=True, output_activation="tanh"),
                      lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", "tanh", peephole=True)),
    "lstm-peephole-none": ("lstm", dict(n_hidden=3, peephole=True, readout="none"),
                           lambda p, X: ref.single("lstm", p, X, N_OUT, "none", peephole=True)),
    "lstm-none": ("lstm", dict(n_hidden=3, readout="none"), lambda p, X: ref.single("lstm", p, X, N_OUT, "none")),
    # readout_inputs: the dense readout reads [h_t; x_t] (H&S 1997's output units see the input layer)
    "lstm-readout-inputs": ("lstm", dict(n_hidden=4, readout_inputs=True),
                            lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", readout_inputs=True)),
    "lstm-readout-inputs-peephole": ("lstm", dict(n_hidden=3, readout_inputs=True, peephole=True,
                                                  output_activation="sigmoid"),
                                     lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", "sigmoid",
                                                             readout_inputs=True, peephole=True)),
    # the squashing options: the cell input G and the cell output Hs of Gers et al.'s LSTM papers
    "lstm-sigmoid2-sigmoid1": ("lstm", dict(n_hidden=4, cell_input="sigmoid2", cell_output="sigmoid1"),
                               lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", cell_input="sigmoid2",
                                                       cell_output="sigmoid1")),
    "lstm-peephole-identity-identity": ("lstm", dict(n_hidden=3, peephole=True, cell_input="identity",
                                                     cell_output="identity"),
                                        lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", peephole=True,
                                                                cell_input="identity", cell_output="identity")),
    "lstm-peephole-sigmoid2-identity-readout-inputs": (
        "lstm", dict(n_hidden=3, peephole=True, readout_inputs=True, cell_input="sigmoid2", cell_output="identity",
                     output_activation="sigmoid"),
        lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", "sigmoid", readout_inputs=True, peephole=True,
                                cell_input="sigmoid2", cell_output="identity")),
    "lstm-identity-tanh-none": ("lstm", dict(n_hidden=3, readout="none", cell_input="identity"),
                                lambda p, X: ref.single("lstm", p, X, N_OUT, "none", cell_input="identity")),
    "lstm-sigmoid1-sigmoid2": ("lstm", dict(n_hidden=3, cell_input="sigmoid1", cell_output="sigmoid2"),
                               lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", cell_input="sigmoid1",
                                                       cell_output="sigmoid2")),
    "lstm-tanh-sigmoid1-peephole": ("lstm", dict(n_hidden=5, peephole=True, cell_output="sigmoid1"),
                                    lambda p, X: ref.single("lstm", p, X, N_OUT, "dense", peephole=True,
                                                            cell_output="sigmoid1")),
    "gru": ("gru", dict(n_hidden=4), lambda p, X: ref.single("gru", p, X, N_OUT, "dense")),
    "gru-none": ("gru", dict(n_hidden=5, readout="none"), lambda p, X: ref.single("gru", p, X, N_OUT, "none")),
    "indrnn": ("indrnn", dict(n_hidden=4), lambda p, X: ref.single("indrnn", p, X, N_OUT, "dense")),
    "indrnn-tanh-none": ("indrnn", dict(n_hidden=4, activation="tanh", readout="none"),
                         lambda p, X: ref.single("indrnn", p, X, N_OUT, "none", act="tanh")),
    "indrnn-sigmoid": ("indrnn", dict(n_hidden=3, activation="sigmoid", output_activation="sigmoid"),
                       lambda p, X: ref.single("indrnn", p, X, N_OUT, "dense", "sigmoid", act="sigmoid")),
    "second-order": ("second-order", dict(n_hidden=4),
                     lambda p, X: ref.single("second-order", p, X, N_OUT, "none")),
    "second-order-tanh-dense": ("second-order", dict(n_hidden=5, activation="tanh", readout="dense"),
                                lambda p, X: ref.single("second-order", p, X, N_OUT, "dense", act="tanh")),
    "jordan": ("jordan", dict(n_hidden=4), lambda p, X: ref.single("jordan", p, X, N_OUT, "none")),
    "recursive": ("recursive", dict(n_hidden=5), lambda p, X: ref.single("recursive", p, X, N_OUT, "dense")),
    "recursive-sigmoid-none": ("recursive", dict(n_hidden=3, activation="sigmoid", readout="none"),
                               lambda p, X: ref.single("recursive", p, X, N_OUT, "none", act="sigmoid")),
    "jordan-tanh": ("jordan", dict(n_hidden=6, activation="tanh", output_activation="sigmoid", context_decay=0.9),
                    lambda p, X: ref.single("jordan", p, X, N_OUT, "none", act="tanh", out_act="sigmoid", mu=0.9)),
    "jordan-nodecay": ("jordan", dict(n_hidden=3, context_decay=0.0),
                       lambda p, X: ref.single("jordan", p, X, N_OUT, "none", mu=0.0)),
}
for _cell in CELLS:
    CASES[f"stacked-{_cell}"] = ("stacked", dict(cell=_cell, layers=[4, 3]),
                                 lambda p, X, c=_cell: ref.stacked(c, p, X, 2))
    CASES[f"bidirectional-{_cell}"] = ("bidirectional", dict(cell=_cell, n_hidden=4),
                                       lambda p, X, c=_cell: ref.bidirectional(c, p, X))
CASES["stacked-lstm-peephole"] = ("stacked", dict(cell="lstm", layers=[3, 4, 2], peephole=True),
                                  lambda p, X: ref.stacked("lstm", p, X, 3, peephole=True))
CASES["stacked-lstm-sigmoid2-identity"] = ("stacked", dict(cell="lstm", layers=[3, 4], peephole=True,
                                                          cell_input="sigmoid2", cell_output="identity"),
                                           lambda p, X: ref.stacked("lstm", p, X, 2, peephole=True,
                                                                    cell_input="sigmoid2", cell_output="identity"))
CASES["bidirectional-jordan-decay"] = ("bidirectional", dict(cell="jordan", n_hidden=3, context_decay=0.25),
                                       lambda p, X: ref.bidirectional("jordan", p, X, mu=0.25))


def _chromosome(net, rng):
    w = rng.normal(0.0, 1.0, net.n_params)
    # Li et al. (2018) keep |u| <= 1 for relu IndRNNs; unbounded N(0,1) recurrent weights make the
    # state grow like u^T, and an absolute tolerance then measures rounding of numbers near 1e15.
    for name, (off, shape) in net.layout.items():
        if name.endswith("u") and net.spec.get("activation") in (None, "relu", "linear"):
            w[off:off + int(np.prod(shape))] = rng.uniform(-1.0, 1.0, shape).ravel()
    # An LSTM without squashing of its cell input and output (identity, identity) feeds c back
    # unbounded: with N(0, 1) weights it grows like 10^8 over 40 steps; smaller weights keep it near 1.
    if net.spec.get("cell_input") == "identity" and net.spec.get("cell_output") == "identity":
        w *= 0.3
    return w


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("T", LENGTHS)
def test_kernel_matches_numpy_oracle(case, T, engine, rng):
    arch, kwargs, oracle = CASES[case]
    net = evornn.build(arch, N_IN, N_OUT, **kwargs, **ENGINES[engine])
    for _ in range(3):
        w = _chromosome(net, rng)
        X = rng.normal(0.0, 1.0, (T, N_IN))
        got = net.run(w, X)
        want = oracle(net.unflatten(w), X)
        assert got.shape == want.shape == (T, N_OUT)
        assert error(got, want, engine) <= tol(engine, TOL)


@pytest.mark.parametrize("case", ["lstm-peephole", "gru", "indrnn-tanh-none", "second-order", "jordan",
                                  "bidirectional-lstm", "lstm-readout-inputs"])
def test_every_sequence_starts_from_the_zero_state(case, engine, rng):
    arch, kwargs, oracle = CASES[case]
    net = evornn.build(arch, N_IN, N_OUT, **kwargs, **ENGINES[engine])
    W = np.stack([_chromosome(net, rng) for _ in range(4)])
    X = rng.normal(0.0, 1.0, (12, N_IN))
    starts = np.array([0, 5, 6, 12])
    got = net.run_population(W, X, starts)
    for p in range(W.shape[0]):
        want = np.concatenate([oracle(net.unflatten(W[p]), X[a:b]) for a, b in zip(starts[:-1], starts[1:])])
        assert error(got[p], want, engine) <= tol(engine, TOL)


def _dense(n_in, n_out):
    return n_out * n_in + n_out


# (arch, kwargs, n_hidden H) -> n_params with n_in = 3, n_out = 2
COUNTS = [
    ("lstm", dict(n_hidden=5), 4 * 5 * (N_IN + 5 + 1) + _dense(5, N_OUT)),
    ("lstm", dict(n_hidden=5, peephole=True), 4 * 5 * (N_IN + 5 + 1) + 3 * 5 + _dense(5, N_OUT)),
    ("lstm", dict(n_hidden=5, readout_inputs=True), 4 * 5 * (N_IN + 5 + 1) + _dense(5 + N_IN, N_OUT)),
    ("lstm", dict(n_hidden=4, readout="none"), 4 * 4 * (N_IN + 4 + 1)),
    ("gru", dict(n_hidden=5), 3 * 5 * (N_IN + 5 + 1) + _dense(5, N_OUT)),
    ("gru", dict(n_hidden=4, readout="none"), 3 * 4 * (N_IN + 4 + 1)),
    ("indrnn", dict(n_hidden=6), 6 * (N_IN + 2) + _dense(6, N_OUT)),
    ("indrnn", dict(n_hidden=6, readout="none"), 6 * (N_IN + 2)),
    ("second-order", dict(n_hidden=4), 4 * 4 * N_IN + 4),
    ("second-order", dict(n_hidden=4, readout="dense"), 4 * 4 * N_IN + 4 + _dense(4, N_OUT)),
    ("jordan", dict(n_hidden=5), 5 * N_IN + 5 * N_OUT + 5 + N_OUT * 5 + N_OUT),
    ("stacked", dict(cell="gru", layers=[4, 3]), 3 * 4 * (N_IN + 4 + 1) + 3 * 3 * (4 + 3 + 1) + _dense(3, N_OUT)),
    ("stacked", dict(cell="jordan", layers=[4, 3]),
     (4 * N_IN + 4 * 4 + 4 + 4 * 4 + 4) + (3 * 4 + 3 * 3 + 3 + 3 * 3 + 3) + _dense(3, N_OUT)),
    ("bidirectional", dict(cell="lstm", n_hidden=4, peephole=True),
     2 * (4 * 4 * (N_IN + 4 + 1) + 3 * 4) + _dense(8, N_OUT)),
]


@pytest.mark.parametrize("arch,kwargs,n", COUNTS)
def test_n_params_formula(arch, kwargs, n):
    net = evornn.build(arch, N_IN, N_OUT, **kwargs)
    assert net.n_params == n
    assert sum(int(np.prod(shape)) for _off, shape in net.layout.values()) == n


@pytest.mark.parametrize("arch,kwargs", [(a, k) for a, k, _n in COUNTS])
@pytest.mark.parametrize("with_outgoing", [True, False])
def test_neuron_groups_are_disjoint_and_cover(arch, kwargs, with_outgoing):
    net = evornn.build(arch, N_IN, N_OUT, **kwargs)
    idx = np.concatenate(net.neuron_groups(with_outgoing))
    assert np.array_equal(np.sort(idx), np.arange(net.n_params))


def test_lstm_memory_cell_owns_its_row_of_every_gate():
    net = evornn.build("lstm", N_IN, N_OUT, n_hidden=4, peephole=True, readout="none")
    groups = net.neuron_groups()
    assert len(groups) == 4
    marks = np.zeros(net.n_params)
    for i, g in enumerate(groups):
        marks[g] = i
    p = net.unflatten(marks)
    for i in range(4):
        assert np.all(p["W_in"][:, i, :] == i) and np.all(p["W_rec"][:, i, :] == i)
        assert np.all(p["b"][:, i] == i) and np.all(p["peep"][:, i] == i)


def test_jordan_groups_output_units_then_hidden_units():
    net = evornn.build("jordan", N_IN, N_OUT, n_hidden=3)
    groups = net.neuron_groups()
    assert len(groups) == N_OUT + 3
    off = {name: o for name, (o, _s) in net.layout.items()}
    for j in range(N_OUT):
        assert list(groups[j]) == [off["b_out"] + j]
    marks = np.full(net.n_params, -1.0)
    for i, g in enumerate(groups[N_OUT:]):
        marks[g] = i
    p = net.unflatten(marks)
    for i in range(3):
        assert np.all(p["W_in"][i] == i) and np.all(p["W_ctx"][i] == i) and p["b"][i] == i
        assert np.all(p["W_out"][:, i] == i)


@pytest.mark.parametrize("arch,kwargs,word", [
    ("lstm", dict(activation="sigmoid"), "activation"),
    ("gru", dict(activation="relu"), "activation"),
    ("stacked", dict(cell="lstm", activation="sigmoid"), "activation"),
    ("lstm", dict(peephole="yes"), "peephole"),
    ("lstm", dict(peephole=1), "peephole"),
    ("lstm", dict(readout_inputs="yes"), "readout_inputs"),
    ("lstm", dict(readout_inputs=True, readout="none"), "readout_inputs"),
    ("lstm", dict(cell_clip=1.0), "cell_clip"),
    ("lstm", dict(cell_input="sigmoid3"), "cell_input"),
    ("lstm", dict(cell_output="softsign"), "cell_output"),
    ("lstm", dict(cell_output=None), "cell_output"),
    ("stacked", dict(cell="lstm", cell_input="relu"), "cell_input"),
    ("lstm", dict(forget_bias=float("nan")), "forget_bias"),
    ("lstm", dict(input_bias="-3"), "input_bias"),
    ("lstm", dict(n_hidden=2, input_bias=[-1.0, -2.0, -3.0]), "input_bias"),
    ("lstm", dict(n_hidden=2, output_bias=[-1.0, 30.0]), "output_bias"),
    ("indrnn", dict(activation="softplus"), "activation"),
    ("jordan", dict(context_decay=1.0), "context_decay"),
    ("jordan", dict(context_decay=-0.1), "context_decay"),
    ("jordan", dict(context_decay="0.5"), "context_decay"),
    ("jordan", dict(context_decay=float("nan")), "context_decay"),
    ("jordan", dict(output_activation="softmax"), "output activation"),
    ("jordan", dict(readout="dense"), "readout"),
    ("bidirectional", dict(cell="jordan", context_decay=2), "context_decay"),
])
def test_bad_options_raise_one_line_errors(arch, kwargs, word):
    with pytest.raises(ValueError) as e:
        evornn.build(arch, N_IN, N_OUT, **kwargs)
    assert word in str(e.value) and "\n" not in str(e.value)


def test_lstm_gate_bias_options_set_the_initial_biases():
    net = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, input_bias=-3.0, forget_bias=5.0, output_bias=-1.0)
    b = net.unflatten(net.init(np.random.default_rng(0)))["b"]
    assert np.all(b[0] == -3.0) and np.all(b[1] == 5.0) and np.all(b[2] == 0.0) and np.all(b[3] == -1.0)
    b0 = evornn.build("lstm", N_IN, N_OUT, n_hidden=3).unflatten(net.init(np.random.default_rng(0)))["b"]
    assert b0.shape == b.shape                 # an initialisation option: the layout is unchanged


def test_lstm_gate_biases_per_memory_block():
    """A list gives each memory block its own initial bias; equal values equal the scalar option."""
    net = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, input_bias=[-1.0, -2.0, -3.0], forget_bias=[1, 2, 3],
                       output_bias=[-2.0, -4.0, -6.0])
    b = net.unflatten(net.init(np.random.default_rng(0)))["b"]
    assert b[0].tolist() == [-1, -2, -3] and b[1].tolist() == [1, 2, 3] and b[3].tolist() == [-2, -4, -6]
    assert np.all(b[2] == 0.0)
    same = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, input_bias=[-3.0] * 3, forget_bias=[5.0] * 3)
    scalar = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, input_bias=-3.0, forget_bias=5.0)
    assert np.array_equal(same.init(np.random.default_rng(4), 3), scalar.init(np.random.default_rng(4), 3))


def test_lstm_squashing_defaults_are_tanh_and_change_nothing(rng):
    """cell_input = cell_output = "tanh" spelt out is the default network (the same layer table,
    chromosome and outputs bit for bit, in every engine); the other squashings are other networks
    with the same parameters."""
    for eng in ENGINES.values():
        default = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, peephole=True, **eng)
        spelt = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, peephole=True, cell_input="tanh",
                             cell_output="tanh", **eng)
        assert np.array_equal(default.L, spelt.L) and default.L[0, 15] == 0
        w = _chromosome(default, rng)
        X = rng.normal(0.0, 1.0, (9, N_IN))
        assert np.array_equal(default.run(w, X), spelt.run(w, X))
        for gi, ho in (("sigmoid2", "tanh"), ("tanh", "sigmoid1"), ("identity", "identity")):
            other = evornn.build("lstm", N_IN, N_OUT, n_hidden=3, peephole=True, cell_input=gi, cell_output=ho, **eng)
            assert other.n_params == default.n_params and not np.allclose(other.run(w, X), default.run(w, X))
