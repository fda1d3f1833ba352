"""Export to ONNX, PyTorch and JSON, checked against the kernels (evornn.export, evornn export).

For every registered architecture (and, for stacked and bidirectional networks, every registered
core) with random weights: the ONNX model in onnxruntime, the torch module and the network rebuilt
from its JSON export give the kernel's outputs to 1e-9 over a random 50-step float64 sequence,
whole-sequence and step by step with the state carried (the associative memories, hopfield,
hopfield-continuous and bam, have no state: each step is one recall; their exports also on one
step at a time, on exact-zero fields and on a synchronous 2-cycle). Then the command on a real run folder,
its bad input, and an exported pole controller in a closed loop. The ONNX and torch tests skip
when their packages are missing (CI installs them: the test extra and .ci/run).
"""
from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import evornn
from evornn import cli
from evornn.export import export, to_dict
from evornn.nets import ARCHS, build
from evornn.nets.registry import CORES
from evornn.problems.registry import make_problem
from evornn.records import read_json

REPO = Path(__file__).resolve().parents[1]


def _have(*modules: str) -> bool:
    try:
        for m in modules:
            importlib.import_module(m)
    except ImportError:
        return False
    return True


HAVE_ONNX = _have("onnx", "onnxruntime")
HAVE_TORCH = _have("torch")
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="onnx and onnxruntime are not installed (pip install 'evornn[export]')")
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")

N_IN, N_OUT, T = 3, 2, 50
# option variants worth a case of their own (each architecture also runs with its defaults)
VARIANTS = {"lstm": [{"peephole": True}], "elman": [{"activation": "tanh"}, {"activation": "relu"}],
            "narx": [{"input_delays": 0, "output_delays": 1}], "esn": [{"readout_inputs": False, "leak_rate": 0.5}],
            "frnn": [{"bias": False}], "mtrnn": [{"readout": "none"}],
            "hopfield": [{"update": "sync"}, {"update": "sync", "max_sweeps": 3}, {"max_sweeps": 1, "order_seed": 3}],
            "hopfield-continuous": [{"dt": 0.2, "gain": 2.0, "n_steps": 9}],
            "bam": [{"outputs": "ab", "max_passes": 4}, {"max_passes": 1}]}
# the associative memories recall probes of more units (and bam's outputs "ab" are A then B)
ASSOCIATIVE = ("hopfield", "hopfield-continuous", "bam")
def sizes(arch: str, opts: dict) -> tuple[int, int]:
    """(n_inputs, n_outputs) of a case."""
    if arch == "hopfield":
        return 8, 5
    if arch == "hopfield-continuous":
        return 6, 4
    if arch == "bam":
        return (5, 5 + 3) if opts.get("outputs") == "ab" else (5, 3)
    return N_IN, N_OUT


def small(arch: str) -> dict:
    """Small sizes for ``arch``, from its builder's signature."""
    params = inspect.signature(ARCHS[arch]).parameters
    if "n_hidden" in params:
        return {"n_hidden": 12 if arch == "esn" else 4}
    if "layers" in params:
        return {"layers": (4, 3)}
    if "hidden" in params:
        return {"hidden": (4, 3)}
    return {}


# Architectures without an export yet, and the one-line error each gives
# (test_architectures_without_an_export_say_so_in_one_line).
NOT_EXPORTED = {"stack-rnn": "no JSON description of cell 'stack' yet",
                "neat-net": "neat-net networks .NEAT phenotypes. cannot be exported yet",
                "seq2seq": "seq2seq networks cannot be exported yet",
                "ntm": "no JSON description of cell 'ntm' yet",
                "dnc": "no JSON description of cell 'dnc' yet",
                "history-compressor": "no JSON description of cell 'history_compressor' yet",
                "lsm": "no JSON description of cell 'lsm' yet",
                "modern-hopfield": "no JSON description of cell 'modern_hopfield' yet",
                "neat-entm": "no JSON description of cell 'entm_tape' yet",
                "dense-entm": "no JSON description of cell 'entm_tape' yet"}


def cases() -> list[tuple[str, dict]]:
    out = []
    for arch in (a for a in ARCHS if a not in NOT_EXPORTED):
        params = inspect.signature(ARCHS[arch]).parameters
        if "cell" in params:                     # stacked, bidirectional: every core
            out += [(arch, {"cell": c}) for c in CORES if c not in NOT_EXPORTED]
            out += [(arch, {"cell": "lstm", "peephole": True})]
        else:
            out += [(arch, {})] + [(arch, v) for v in VARIANTS.get(arch, [])]
    return out


CASES = cases()
IDS = [a + "".join(f"-{k}={v}" for k, v in o.items()) for a, o in CASES]


@pytest.fixture(scope="module")
def made():
    """(net, w, X, kernel outputs) per case, built once."""
    cache = {}

    def get(arch, opts):
        key = (arch, json.dumps(opts, sort_keys=True))
        if key not in cache:
            rng = np.random.default_rng(zlib.crc32((arch + key[1]).encode()))
            net = build(arch, *sizes(arch, opts), **small(arch), **opts)
            w = net.init(rng) + rng.normal(0.0, 0.2, net.n_params)    # biases and peepholes not 0
            X = rng.normal(size=(2, T, net.n_inputs))                # a batch of two sequences
            cache[key] = net, w, X, np.stack([net.run(w, X[0]), net.run(w, X[1])])
        return cache[key]
    return get


def close(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("arch", sorted(NOT_EXPORTED))
def test_architectures_without_an_export_say_so_in_one_line(arch):
    net = build(arch, N_IN, N_OUT)
    for fmt in ("json", "torch", "onnx"):
        with pytest.raises(ValueError, match=NOT_EXPORTED[arch]) as e:
            evornn.export(net, np.zeros(net.n_params), format=fmt)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("arch, opts", [("lstm", {"cell_input": "sigmoid2"}), ("lstm", {"cell_output": "identity"}),
                                         ("stacked", {"cell": "lstm", "cell_input": "identity", "cell_output": "sigmoid1"})])
def test_lstm_squashing_options_are_not_exported_yet_and_say_so_in_one_line(arch, opts):
    net = build(arch, N_IN, N_OUT, **opts)
    for fmt in ("json", "torch", "onnx"):
        with pytest.raises(ValueError, match="export: lstm networks with cell_input .* cannot be exported yet") as e:
            evornn.export(net, np.zeros(net.n_params), format=fmt)
        assert "\n" not in str(e.value)


def test_the_cases_cover_every_architecture_and_core():
    assert {a for a, _ in CASES} | set(NOT_EXPORTED) == set(ARCHS)
    assert {o["cell"] for a, o in CASES if a == "bidirectional"} | set(NOT_EXPORTED) >= set(CORES)


# -- JSON ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("arch,opts", CASES, ids=IDS)
def test_json_round_trip_rebuilds_the_same_network(arch, opts, made, tmp_path):
    net, w, X, Y = made(arch, opts)
    path = evornn.export(net, w, format="json", path=tmp_path / "net.json")
    doc = json.loads(path.read_text())
    assert doc["n_params"] == net.n_params and len(doc["layers"]) == len(net.layers)
    assert set(doc["chromosome"]) == set(net.layout)
    net2, w2 = evornn.build_from_json(path)
    assert np.array_equal(w2, w)                 # every bit: repr round-trips float64
    assert net2.spec == json.loads(json.dumps(net.spec))    # tuples come back as lists
    close(np.stack([net2.run(w2, X[0]), net2.run(w2, X[1])]), Y)
    net3, w3 = evornn.build_from_json(doc)       # a dict works too
    assert np.array_equal(w3, w)


class NumpyOps:
    """The ops of evornn.export.equations in NumPy, reading nothing but one layer of the JSON file."""

    def __init__(self, L):
        from evornn.export.equations import fixed_arrays
        self.L, self.fx = L, fixed_arrays(L)

    def w(self, key, shape=None, rows=None):
        a = np.asarray(self.L["weights"][key], dtype=np.float64)
        a = a if rows is None else a[rows]
        return a if shape is None else a.reshape(shape)

    def fixed(self, key, shape=None):
        return np.asarray(self.fx[key], dtype=np.float64)

    def lin(self, x, W): return x @ W.T
    def sigmoid(self, v): return 1.0 / (1.0 + np.exp(-v))
    def tanh(self, v): return np.tanh(v)
    def exp(self, v): return np.exp(v)
    def min1(self, v): return np.minimum(v, 1.0)
    def cols(self, v, a, b): return v[..., a:b]
    def cat(self, vs): return np.concatenate(vs, axis=-1)
    def outer(self, h, x): return (h[:, :, None] * x[:, None, :]).reshape(h.shape[0], -1)

    def act(self, name, v):
        return {"linear": v, "sigmoid": self.sigmoid(v), "tanh": np.tanh(v), "relu": np.where(v < 0.0, 0.0, v)}[name]

    def symmetric(self, w, N):
        from evornn.nets.associative import symmetric
        return symmetric(w, N)

    def T(self, W): return W.T
    def field(self, s, M): return np.cumsum(s[:, None, :] * M, axis=-1)[..., -1]
    def zeros(self, x, n): return np.zeros((x.shape[0], n))
    def bipolar(self, x): return np.where(x >= 0.0, 1.0, -1.0)
    def sgn(self, h, old): return np.where(h > 0.0, 1.0, np.where(h < 0.0, -1.0, old))
    def at(self, v, i): return v[..., i:i + 1]
    def row(self, W, i): return W[i:i + 1]

    def set(self, v, i, u):
        v = v.copy()
        v[:, i:i + 1] = u
        return v

    def repeat(self, n, f, vs, until_fixed=False):
        for _ in range(n):
            new = f(vs)
            if until_fixed and all(np.array_equal(a, b) for a, b in zip(new, vs)):
                break
            vs = new
        return vs

    def each(self, order, f, vs):
        for i in order:
            vs = f(i, vs)
        return vs


def run_document(doc, X):
    """The network of a JSON export over X (B, T, n_in), one step at a time, in NumPy."""
    from evornn.export.equations import STEPS, dense
    layers = doc["layers"]
    B, T = X.shape[:2]

    def over_time(k, seq, reverse=False):
        L = layers[k]
        if L["cell"] == "dense":
            return dense(NumpyOps(L), L, seq)
        state = [np.zeros((B, s)) for _, s in L["state"]]
        ys = [None] * T
        for t in (reversed(range(T)) if reverse else range(T)):
            ys[t], state = STEPS[L["cell"]](NumpyOps(L), L, seq[:, t], state)
        return np.stack(ys, axis=1)
    if doc["topology"] == "bidirectional":
        return over_time(2, np.concatenate([over_time(0, X), over_time(1, X, reverse=True)], axis=-1))
    for k in range(len(layers)):
        X = over_time(k, X)
    return X


@pytest.mark.parametrize("arch,opts", CASES, ids=IDS)
def test_json_file_alone_is_enough_to_run_the_network(arch, opts, made, tmp_path):
    """A rebuild from the file's numbers and equations only (NumPy, step by step, the state carried)."""
    net, w, X, Y = made(arch, opts)
    doc = json.loads(evornn.export(net, w, format="json", path=tmp_path / "net.json").read_text())
    close(run_document(doc, X), Y)


def test_json_blocks_are_nested_lists_in_their_shapes(made):
    net, w, _, _ = made("lstm", {"peephole": True})
    doc = evornn.export(net, w, format="json")
    lay = doc["layers"][0]
    assert lay["cell"] == "lstm" and lay["options"] == {"peephole": 1}
    assert np.asarray(lay["weights"]["W_in"]).shape == (4, 4, N_IN)
    assert np.array_equal(np.asarray(lay["weights"]["peep"]), net.unflatten(w)["peep"])
    assert lay["state"] == [["h", 4], ["c", 4]]
    assert "lstm" in doc["equations"] and doc["topology"] == "sequential"


def test_json_of_an_echo_state_network_carries_its_reservoir(made):
    from evornn.nets.cells.esn import reservoir
    net, w, _, _ = made("esn", {})
    fixed = evornn.export(net, w, format="json")["layers"][0]["fixed"]
    assert np.array_equal(np.asarray(fixed["W_res"]), reservoir(net)["W_res"])


def test_build_from_json_rejects_other_documents(made, tmp_path):
    with pytest.raises(ValueError, match="not an evornn network export"):
        evornn.build_from_json({"arch": "elman"})
    net, w, _, _ = made("elman", {})
    doc = evornn.export(net, w, format="json")
    doc["layers"][0]["weights"]["W_in"] = [[0.0]]
    with pytest.raises(ValueError, match="block 'W_in' must have shape"):
        evornn.build_from_json(doc)


# -- ONNX ---------------------------------------------------------------------------------------
def onnx_session(model):
    import onnxruntime as ort
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@needs_onnx
@pytest.mark.parametrize("arch,opts", CASES, ids=IDS)
def test_onnx_gives_the_kernels_outputs(arch, opts, made):
    net, w, X, Y = made(arch, opts)
    model = evornn.export(net, w, format="onnx")
    meta = {p.key: p.value for p in model.metadata_props}
    S = int(meta["state_size"])
    sess = onnx_session(model)
    names = [i.name for i in sess.get_inputs()]
    if not S:                                    # mlp, bidirectional: whole sequences only
        assert names == ["x"]
        close(sess.run(["y"], {"x": X})[0], Y)
        return
    assert names == ["x", "state"] and S == sum(s for _, _, s in json.loads(meta["state_layout"]))
    y, state = sess.run(None, {"x": X, "state": np.zeros((2, S))})
    close(y, Y)
    state, ys = np.zeros((2, S)), []
    for t in range(T):                           # one step at a time, the state carried
        yt, state = sess.run(None, {"x": X[:, t:t + 1], "state": state})
        ys.append(yt[:, 0])
    close(np.stack(ys, axis=1), Y)
    # the first half, then the second half from the state it left
    y1, s1 = sess.run(None, {"x": X[:, :20], "state": np.zeros((2, S))})
    y2, _ = sess.run(None, {"x": X[:, 20:], "state": s1})
    close(np.concatenate([y1, y2], axis=1), Y)


@needs_onnx
def test_onnx_model_is_float64_and_passes_the_checker(made):
    import onnx
    net, w, _, _ = made("gru", {})
    model = evornn.export(net, w, format="onnx")
    onnx.checker.check_model(model, full_check=True)
    assert all(i.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE for i in model.graph.input)
    assert [n.op_type for n in model.graph.node if n.op_type == "Scan"] == ["Scan"]


def native_cases() -> list[tuple[str, dict]]:
    """The cases with a layer that ONNX's own RNN, LSTM or GRU computes, where ONNX's reference
    evaluator can check it (its RNN has Tanh only)."""
    from evornn.export.onnx_format import native_op
    out = []
    for arch, opts in CASES:
        net = build(arch, *sizes(arch, opts), **small(arch), **opts)
        layers = to_dict(net, np.zeros(net.n_params))["layers"]
        ops = [native_op(L) for L in layers]
        if any(ops) and all(op != "RNN" or L["activation"] == "tanh" for op, L in zip(ops, layers)):
            out.append((arch, opts))
    return out


NATIVE = native_cases() if HAVE_ONNX else []


@needs_onnx
@pytest.mark.parametrize("arch,opts", NATIVE, ids=[a + "".join(f"-{k}={v}" for k, v in o.items()) for a, o in NATIVE])
def test_onnx_native_operators_compute_the_same_cells(arch, opts, made):
    """native_ops: ONNX's own LSTM (peepholes too), GRU and RNN, in ONNX's float64 reference
    evaluator (onnxruntime has no float64 kernels for them)."""
    from onnx.reference import ReferenceEvaluator
    net, w, X, Y = made(arch, opts)
    model = evornn.export(net, w, format="onnx", native_ops=True)
    assert {n.op_type for n in model.graph.node} & {"RNN", "LSTM", "GRU"}
    ref = ReferenceEvaluator(model)
    S = int({p.key: p.value for p in model.metadata_props}["state_size"])
    if not S:
        close(ref.run(["y"], {"x": X})[0], Y)
        return
    close(ref.run(["y"], {"x": X, "state": np.zeros((2, S))})[0], Y)
    y1, s1 = ref.run(None, {"x": X[:, :20], "state": np.zeros((2, S))})
    y2, _ = ref.run(None, {"x": X[:, 20:], "state": s1})
    close(np.concatenate([y1, y2], axis=1), Y)


@needs_onnx
def test_onnx_native_rnn_takes_the_cores_activation(made):
    net, w, _, _ = made("elman", {})
    model = evornn.export(net, w, format="onnx", native_ops=True)
    (rnn,) = [n for n in model.graph.node if n.op_type == "RNN"]
    assert [a.strings for a in rnn.attribute if a.name == "activations"] == [[b"Sigmoid"]]
    assert {n.op_type for n in evornn.export(*made("gru", {})[:2], format="onnx").graph.node} >= {"Scan"}


# -- the associative memories: one recall per step -----------------------------------------------
ASSOC_CASES = [(a, o) for a, o in CASES if a in ASSOCIATIVE]
ASSOC_IDS = [a + "".join(f"-{k}={v}" for k, v in o.items()) for a, o in ASSOC_CASES]


def exported_outputs(net, w, X) -> dict:
    """The outputs of every available export of (net, w) on X (B, T, n_in)."""
    out = {"json": run_document(evornn.export(net, w, format="json"), X)}
    if HAVE_ONNX:
        out["onnx"] = onnx_session(evornn.export(net, w, format="onnx")).run(["y"], {"x": X})[0]
    if HAVE_TORCH:
        import torch
        with torch.no_grad():
            out["torch"] = evornn.export(net, w, format="torch")(torch.tensor(X))[0].numpy()
    return out


@pytest.mark.parametrize("arch,opts", ASSOC_CASES, ids=ASSOC_IDS)
def test_associative_exports_recall_one_step_at_a_time_too(arch, opts, made):
    """No state: a call on one time step gives that step's recall (no state input or output)."""
    net, w, X, Y = made(arch, opts)
    for t in (0, 17, T - 1):
        for fmt, y in exported_outputs(net, w, X[:, t:t + 1]).items():
            np.testing.assert_allclose(y, Y[:, t:t + 1], rtol=1e-9, atol=1e-9, err_msg=fmt)


def test_associative_exports_keep_the_state_on_a_zero_field():
    """All-zero weights: every field is exactly 0, so the probe's signs stay (hopfield) and B stays
    at its start, 0 (bam), in every format as in the kernel."""
    X = np.random.default_rng(5).normal(size=(2, 4, 6))
    for arch, n_out, opts in (("hopfield", 6, {}), ("hopfield", 6, {"update": "sync"}), ("bam", 4, {}),
                              ("bam", 10, {"outputs": "ab"})):
        net = build(arch, 6, n_out, **opts)
        w = np.zeros(net.n_params)
        Y = np.stack([net.run(w, x) for x in X])
        probe = np.where(X >= 0, 1.0, -1.0)
        b0 = np.zeros((2, 4, 4))
        want = {"hopfield": probe, "bam": np.concatenate([probe, b0], axis=-1) if opts else b0}[arch]
        assert np.array_equal(Y, want), (arch, opts)
        for fmt, y in exported_outputs(net, w, X).items():
            assert np.array_equal(y, Y), (arch, opts, fmt)


def test_associative_exports_run_a_synchronous_two_cycle_to_the_limit():
    """W_01 = -1: a synchronous update flips both units, for ever; the recall is the state after
    max_sweeps sweeps, so odd and even limits give opposite outputs, in every format."""
    for sweeps in (1, 2, 5, 6):
        net = build("hopfield", 2, 2, update="sync", max_sweeps=sweeps)
        w = net.flatten({"W": np.array([-1.0]), "theta": np.zeros(2)})
        X = np.array([[[1.0, 1.0], [-1.0, -1.0], [0.5, -0.5]]])
        Y = net.run(w, X[0])[None]
        flip = -1.0 if sweeps % 2 else 1.0
        assert np.array_equal(Y[0, :2], flip * np.where(X[0, :2] >= 0, 1.0, -1.0))
        assert np.array_equal(Y[0, 2], [1.0, -1.0])            # a fixed point: [1, -1] stays
        for fmt, y in exported_outputs(net, w, X).items():
            assert np.array_equal(y, Y), (sweeps, fmt)


@pytest.mark.parametrize("rule,N,update", [("hebbian", 25, "async"), ("hebbian", 50, "async"),
                                           ("hebbian", 25, "sync"), ("pseudo-inverse", 7, "sync")])
def test_associative_exports_keep_the_ties_of_rule_built_weights(rule, N, update):
    """Storage-rule weights (multiples of 1/N) make fields that are exactly zero when added in the
    kernels' order and a few ulps off zero in another: the exports add in the same order, so they
    give the same bits (with a matrix product for the field, torch's export fails this test)."""
    from evornn.nets import associative as A
    rng = np.random.default_rng(N)
    net = build("hopfield", N, N, update=update)
    P = rng.choice([-1.0, 1.0], size=(max(2, N // 4), N))
    w = A.RULES[rule](net, P)
    X = np.concatenate([P[None].repeat(3, 0) * np.where(rng.random((3,) + P.shape) < 0.2, -1, 1),
                        rng.choice([-1.0, 1.0], size=(3, 20, N))], axis=1)
    Y = np.stack([net.run(w, x) for x in X])
    for fmt, y in exported_outputs(net, w, X).items():
        assert np.array_equal(y, Y), fmt


@needs_onnx
def test_associative_onnx_graphs_loop_instead_of_unrolling():
    """The sweeps are a Loop (the asynchronous order a Loop inside it): the graph's size does not
    grow with max_sweeps or the number of units."""
    def nodes(g):
        return [n.op_type for n in g.node] + [t for n in g.node for a in n.attribute if a.type == a.GRAPH
                                              for t in nodes(a.g)]
    sizes_ = {}
    for N, sweeps in ((4, 2), (40, 200)):
        net = build("hopfield", N, 2, max_sweeps=sweeps)
        ops = nodes(evornn.export(net, np.zeros(net.n_params), format="onnx").graph)
        assert ops.count("Loop") == 2 and "Scan" not in ops
        sizes_[N] = len(ops)
    assert sizes_[4] == sizes_[40] < 60


# -- PyTorch ------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("arch,opts", CASES, ids=IDS)
def test_torch_module_gives_the_kernels_outputs(arch, opts, made):
    import torch
    net, w, X, Y = made(arch, opts)
    module = evornn.export(net, w, format="torch")
    x = torch.tensor(X)
    with torch.no_grad():
        y, state = module(x)
        close(y.numpy(), Y)
        if net.steppable and module.state_size:
            state, ys = None, []
            for t in range(T):
                yt, state = module(x[:, t:t + 1], state)
                ys.append(yt[:, 0].numpy())
            close(np.stack(ys, axis=1), Y)


@needs_torch
def test_torch_uses_its_own_layers_where_they_match(made):
    import torch
    mods = lambda arch, opts: [type(m) for m in evornn.export(*made(arch, opts)[:2], format="torch").modules()]
    assert torch.nn.LSTM in mods("lstm", {})
    assert torch.nn.LSTM not in mods("lstm", {"peephole": True})     # torch's LSTM has no peepholes
    assert torch.nn.RNN in mods("elman", {"activation": "tanh"})
    assert torch.nn.RNN not in mods("elman", {})                     # sigmoid units: not nn.RNN
    assert torch.nn.GRU not in mods("gru", {})                       # reset gate placed differently


@needs_torch
def test_torch_file_loads_back_and_trains(made, tmp_path):
    import torch
    from evornn.export.torch_format import load
    net, w, X, Y = made("gru", {})
    path = evornn.export(net, w, format="torch", path=tmp_path / "net.pt")
    module = load(path)
    with torch.no_grad():
        close(module(torch.tensor(X))[0].numpy(), Y)
    loss = module(torch.tensor(X))[0].pow(2).sum()
    loss.backward()
    assert all(p.grad is not None for p in module.parameters())


# -- the command --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A real run: the single pole, 1,000 steps, a one-unit fully recurrent network."""
    out = tmp_path_factory.mktemp("runs")
    res = subprocess.run([sys.executable, "-m", "evornn.cli", "run", "ga", "--problem=pole-balance", "--quiet",
                          "--set", "problem.poles=1", "--set", "problem.max_steps=1000",
                          "--set", "network.n_hidden=1", f"--out={out}"],
                         capture_output=True, text=True, timeout=600,
                         env={**__import__("os").environ, "EVORNN_CONFIGS": str(REPO / "configs")})
    assert res.returncode == 0, res.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def folder_net(folder: Path):
    return build(**read_json(folder / "network.json")), np.load(folder / "best.npy")


@pytest.mark.parametrize("fmt", ["json", pytest.param("onnx", marks=needs_onnx), pytest.param("torch", marks=needs_torch)])
def test_export_command_writes_a_file_that_runs_like_the_kernel(fmt, run_folder, tmp_path, capsys):
    out = tmp_path / f"net.{fmt}"
    assert cli.main(["export", str(run_folder), "--format", fmt, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    net, w = folder_net(run_folder)
    X = np.random.default_rng(0).normal(size=(1, T, net.n_inputs))
    want = net.run(w, X[0])[None]
    if fmt == "json":
        net2, w2 = evornn.build_from_json(out)
        close(net2.run(w2, X[0])[None], want)
    elif fmt == "onnx":
        import onnxruntime as ort
        sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        S = int(sess.get_modelmeta().custom_metadata_map["state_size"])
        close(sess.run(["y"], {"x": X, "state": np.zeros((1, S))})[0], want)
    else:
        import torch
        from evornn.export.torch_format import load
        with torch.no_grad():
            close(load(out)(torch.tensor(X))[0].numpy(), want)


def test_export_command_defaults_to_the_run_folder(run_folder):
    res = subprocess.run([sys.executable, "-m", "evornn.cli", "export", str(run_folder), "--format", "json"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(run_folder / "best.json") and (run_folder / "best.json").is_file()


@pytest.mark.parametrize("args,says", [
    (["export", "nowhere", "--format", "onnx"], "no run folder nowhere"),
    (["export", ".", "--format", "json"], "has no best.npy"),
    (["export", "RUN", "--format", "tensorflow"], "invalid choice: 'tensorflow'"),
    (["export", "RUN"], "--format"),
])
def test_export_bad_input_is_one_line_exit_2(args, says, run_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = [str(run_folder) if a == "RUN" else a for a in args]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("evornn: error: ") and says in lines[0], captured.err
    assert captured.out == "" and list(tmp_path.iterdir()) == []


def test_export_bad_input_through_the_console(tmp_path):
    res = subprocess.run([sys.executable, "-m", "evornn.cli", "export", "nowhere", "--format", "onnx"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.splitlines() == ["evornn: error: no run folder nowhere"]


def test_unknown_format_from_python():
    net = build("elman", 2, 1, n_hidden=2)
    with pytest.raises(ValueError, match="unknown export format 'tf'"):
        evornn.export(net, np.zeros(net.n_params), format="tf")


# -- a pole controller in a closed loop ---------------------------------------------------------
def policies(net, w):
    """The exported controller as ``policy(observation) -> output`` factories, one per format."""
    out = {}
    if HAVE_ONNX:
        sess = onnx_session(evornn.export(net, w, format="onnx"))
        S = int(sess.get_modelmeta().custom_metadata_map["state_size"])

        def onnx_policy():
            state = np.zeros((1, S))

            def policy(obs):
                nonlocal state
                y, state = sess.run(None, {"x": obs[None, None, :], "state": state})
                return y[0, 0, 0]
            return policy
        out["onnx"] = onnx_policy
    if HAVE_TORCH:
        import torch
        module = evornn.export(net, w, format="torch")

        def torch_policy():
            state = None

            def policy(obs):
                nonlocal state
                with torch.no_grad():
                    y, state = module(torch.tensor(obs[None, None, :]), state)
                return float(y[0, 0, 0])
            return policy
        out["torch"] = torch_policy
    net2, w2 = evornn.build_from_json(evornn.export(net, w, format="json"))
    out["json"] = lambda: _kernel_policy(net2, w2)
    return out


def _kernel_policy(net, w):
    """The rebuilt network as a policy: all inputs so far, rerun each step (slow, exact, short episodes)."""
    seen = []

    def policy(obs):
        seen.append(obs)
        return net.run(w, np.array(seen))[-1, 0]
    return policy


def test_exported_pole_controller_balances_as_long_as_the_kernel_says(run_folder):
    net, w = folder_net(run_folder)
    problem = make_problem("pole-balance", poles=1, max_steps=1000)
    steps = int(problem.evaluate(net, w[None], np.zeros(1, dtype=np.uint64)).metrics[0, 0])
    assert steps == 1000                         # the run solved it
    for fmt, make in policies(net, w).items():
        if fmt == "json":
            continue                             # 1,000 reruns of a growing sequence: see below
        assert problem.closed_loop(make()) == steps, fmt


def test_exported_controllers_fail_at_the_kernels_step():
    """Random controllers that drop the poles early: every export fails at the same step."""
    problem = make_problem("pole-balance", poles=2, max_steps=200)
    net = build("elman", problem.n_inputs, 1, n_hidden=3, output_activation="sigmoid")
    W = net.init(np.random.default_rng(7), 40)
    steps = problem.evaluate(net, W, np.zeros(40, dtype=np.uint64)).metrics[:, 0].astype(int)
    picked = [i for i in np.argsort(-steps) if 3 < steps[i] < 200][:3]
    assert picked, steps
    for i in picked:
        for fmt, make in policies(net, W[i]).items():
            assert problem.closed_loop(make()) == steps[i], (fmt, i)
