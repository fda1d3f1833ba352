"""ONNX export: a float64 model that runs a whole sequence, or one step at a time with its state.

Inputs ``x`` (batch, time, n_inputs) and, for networks with recurrent state, ``state``
(batch, state_size); outputs ``y`` (batch, time, n_outputs) and ``state_out``. Start from a zero
state; feed ``state_out`` back as ``state`` to continue (a control loop calls the model with
time = 1). The state is the layers' state pieces concatenated (the metadata ``state_layout``
names them). Bidirectional networks and networks without recurrent state (mlp) have no state
input or output.

Construction: each recurrent layer is a ``Scan`` over time whose body is the cell's step in
primitive operators (:mod:`evornn.export.equations`: MatMul, Add, Mul, Sub, Neg, Exp, Min, Tanh,
Sigmoid, Relu, Slice, Concat, Reshape, Unsqueeze); dense layers are one MatMul over the whole
sequence; the backward core of a bidirectional network is a Scan with reversed input and output
directions. All tensors are float64. The associative memories (hopfield, hopfield-continuous,
bam) have no state across steps: every time step is one recall, so they run on all (batch x
time) rows at once, their sweeps (passes, Euler steps) a ``Loop`` that stops once every row is
at a fixed point (Equal, Not, Cast, ReduceSum, Greater), the asynchronous Hopfield sweep a nested
``Loop`` over the fixed unit order (Gather, ScatterElements), ties kept with Where, the fields
the last element of a ``CumSum`` (added in the kernels' order, see
:mod:`evornn.export.equations`: a MatMul could break their exact ties); the loop
bodies read the weights from the model's graph (outer scope). The graph does not grow with
max_sweeps or the number of units.

Why not ONNX's own ``RNN``, ``LSTM`` and ``GRU`` operators: the cells match them (evornn's LSTM is
ONNX's LSTM with gate order iofc instead of ifgo, peepholes P = [p_i, p_o, p_f], the forget bias
only an initial value; its GRU is ONNX's GRU with linear_before_reset = 0 and gate order zrh
instead of rzn; the srn core with tanh, relu or sigmoid is ONNX's RNN), but onnxruntime (1.32,
CPU) implements them in float only: "LSTM operator does not support double yet", the same for GRU,
and no double kernel at all for RNN. A float64 model that runs in onnxruntime and reproduces the
kernels to 1e-9 therefore uses Scan for every cell. With ``native_ops=True`` the matching layers
use those operators instead (the weights reordered to ONNX's gate orders); that model is checked
against the kernels in ONNX's float64 reference evaluator (``onnx.reference``), for runtimes that
have float64 recurrent kernels.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from . import equations as eq

OPSET = 17
INT_MAX = 2 ** 62


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper, TensorProto
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'evornn[export]'") from None
    return onnx, helper, numpy_helper, TensorProto


class Value:
    """A tensor of the graph being built: its name, and its numbers when it is a constant."""

    def __init__(self, g: "Graph", name: str, array: np.ndarray | None = None):
        self.g, self.name, self.array = g, name, array

    def _bin(self, op, other, swap=False):
        g = _active(self.g)
        other = other if isinstance(other, Value) else g.const(np.asarray(other, dtype=np.float64))
        a, b = (other, self) if swap else (self, other)
        return g.node(op, [a, b])

    def __add__(self, o): return self._bin("Add", o)
    def __radd__(self, o): return self._bin("Add", o, True)
    def __sub__(self, o): return self._bin("Sub", o)
    def __rsub__(self, o): return self._bin("Sub", o, True)
    def __mul__(self, o): return self._bin("Mul", o)
    def __rmul__(self, o): return self._bin("Mul", o, True)
    def __neg__(self): return _active(self.g).node("Neg", [self])


# The graphs being built inside others (a Loop's body): arithmetic on values writes its nodes
# into the innermost one, which may read the values of the graphs around it (ONNX's outer scope).
_ACTIVE: list["Graph"] = []


def _active(g: "Graph") -> "Graph":
    return _ACTIVE[-1] if _ACTIVE else g


class Graph:
    """Nodes and initializers of one ONNX graph (the model's or a Scan body's)."""

    def __init__(self, prefix: str):
        self.prefix, self.nodes, self.inits, self.n = prefix, [], [], 0

    def fresh(self, hint: str = "v") -> str:
        self.n += 1
        return f"{self.prefix}{hint}_{self.n}"

    def const(self, array, hint: str = "c") -> Value:
        """A constant; its initializer is written when a node first reads it."""
        v = Value(self, self.fresh(hint), np.asarray(array))
        v.pending = True
        return v

    def node(self, op: str, inputs: list, n_out: int = 1, **attrs):
        _, helper, nh, _ = _onnx()
        for v in inputs:
            if getattr(v, "pending", False):
                v.g.inits.append(nh.from_array(v.array, v.name))     # in its own graph (an outer one)
                v.pending = False
        outs = [self.fresh(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, [v.name if isinstance(v, Value) else v for v in inputs], outs,
                                           name=outs[0], **attrs))
        vals = [Value(self, n) for n in outs]
        return vals[0] if n_out == 1 else vals

    def ints(self, values) -> Value:
        return self.const(np.asarray(values, dtype=np.int64), "i")


class LayerOps:
    """The ``ops`` of :mod:`evornn.export.equations` for one layer, writing into graph ``g``."""

    def __init__(self, g: Graph, L: dict[str, Any], name: str):
        self.g, self.L, self.name = g, L, name
        self.root = g                       # where the constants go (self.g: inside a Loop, its body)
        self.fixed_data = eq.fixed_arrays(L)
        self._cache: dict = {}

    def _array(self, source: dict, kind: str, key: str, shape, rows) -> Value:
        ck = (kind, key, shape, None if rows is None else (rows.start, rows.stop))
        if ck not in self._cache:
            a = np.asarray(source[key], dtype=np.float64)
            if rows is not None:
                a = a[rows]
            if shape is not None:
                a = a.reshape(shape)
            self._cache[ck] = self.root.const(a, f"{self.name}{key}")
        return self._cache[ck]

    def w(self, key, shape=None, rows=None) -> Value:
        return self._array(self.L["weights"], "w", key, shape, rows)

    def fixed(self, key, shape=None) -> Value:
        return self._array(self.fixed_data, "f", key, shape, None)

    def lin(self, x: Value, W: Value) -> Value:
        return self.g.node("MatMul", [x, self.T(W)])

    def T(self, W: Value) -> Value:
        ck = ("T", W.name)
        if ck not in self._cache:
            self._cache[ck] = self.root.const(np.ascontiguousarray(W.array.T), W.name + "_T")
        return self._cache[ck]

    def act(self, name: str, v: Value) -> Value:
        if name == "linear":
            return v
        return self.g.node({"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[name], [v])

    def sigmoid(self, v): return self.g.node("Sigmoid", [v])
    def tanh(self, v): return self.g.node("Tanh", [v])
    def exp(self, v): return self.g.node("Exp", [v])
    def min1(self, v): return self.g.node("Min", [v, self.g.const(np.float64(1.0))])

    def cols(self, v: Value, a: int, b: int) -> Value:
        return self.g.node("Slice", [v, self.g.ints([a]), self.g.ints([b]), self.g.ints([-1])])

    def cat(self, vs: list[Value]) -> Value:
        return self.g.node("Concat", vs, axis=-1)

    def outer(self, h: Value, x: Value) -> Value:
        prod = self.g.node("Mul", [self.g.node("Unsqueeze", [h, self.g.ints([2])]),
                                   self.g.node("Unsqueeze", [x, self.g.ints([1])])])
        return self.g.node("Reshape", [prod, self.g.ints([0, -1])])

    # the associative memories' ops (evornn.export.equations): their sweeps and sweep orders are
    # Loops, whose bodies read the weights from the model's graph (outer scope)
    def symmetric(self, w: Value, N: int) -> Value:
        from ..nets.associative import symmetric
        ck = ("sym", w.name)
        if ck not in self._cache:
            self._cache[ck] = self.root.const(symmetric(w.array, N), w.name + "_sym")
        return self._cache[ck]

    def field(self, s: Value, M: Value) -> Value:
        """(B, m): the last element of the running sum (CumSum) of s_j M_ij over j."""
        prod = self.g.node("Mul", [self.g.node("Unsqueeze", [s, self.g.ints([1])]), M])     # (B, m, n)
        last = self.g.node("Gather", [self.g.node("CumSum", [prod, self.g.ints(-1)]), self.g.ints([-1])], axis=-1)
        return self.g.node("Squeeze", [last, self.g.ints([-1])])

    def zeros(self, x: Value, n: int) -> Value:
        batch = self.g.node("Slice", [self.g.node("Shape", [x]), self.g.ints([0]), self.g.ints([1])])
        shape = self.g.node("Concat", [batch, self.g.ints([n])], axis=0)
        return self.g.node("ConstantOfShape", [shape], value=_onnx()[2].from_array(np.zeros(1)))

    def _f(self, v: float) -> Value:
        return self.g.const(np.float64(v))

    def bipolar(self, x: Value) -> Value:
        return self.g.node("Where", [self.g.node("GreaterOrEqual", [x, self._f(0.0)]), self._f(1.0), self._f(-1.0)])

    def sgn(self, h: Value, old: Value) -> Value:
        keep = self.g.node("Where", [self.g.node("Less", [h, self._f(0.0)]), self._f(-1.0), old])
        return self.g.node("Where", [self.g.node("Greater", [h, self._f(0.0)]), self._f(1.0), keep])

    # i: the index of o.each, a one-element int64 tensor
    def at(self, v: Value, i: Value) -> Value:
        return self.g.node("Gather", [v, i], axis=-1)

    def row(self, W: Value, i: Value) -> Value:
        return self.g.node("Gather", [W, i], axis=0)

    def set(self, v: Value, i: Value, u: Value) -> Value:
        idx = self.g.node("Expand", [self.g.node("Reshape", [i, self.g.ints([1, 1])]), self.g.node("Shape", [u])])
        return self.g.node("ScatterElements", [v, idx, u], axis=1)

    def _loop(self, n: int, body_fn, vs: list[Value], until_fixed: bool, what: str) -> list[Value]:
        """A Loop node of n rounds over the carried values vs: vs = body_fn(iteration, vs)."""
        _, helper, _, TP = _onnx()
        outer = self.g
        body = Graph(self.root.fresh(f"{self.name}{what}") + "_")
        it, cond = body.fresh("iter"), body.fresh("cond")
        ins = [helper.make_tensor_value_info(it, TP.INT64, []), helper.make_tensor_value_info(cond, TP.BOOL, [])]
        cur = []
        for _ in vs:
            name = body.fresh("carried")
            ins.append(helper.make_tensor_value_info(name, TP.DOUBLE, None))
            cur.append(Value(body, name))
        self.g = body
        _ACTIVE.append(body)
        try:
            new = body_fn(Value(body, it), cur)
            if until_fixed:                 # go on while any value changed: a fixed point stays one
                changed = [body.node("ReduceSum", [body.node("Cast", [body.node("Not", [body.node("Equal", [a, b])])],
                                                             to=TP.DOUBLE)], keepdims=0) for a, b in zip(new, cur)]
                total = changed[0]
                for c in changed[1:]:
                    total = total + c
                go = body.node("Greater", [total, self._f(0.0)])
            else:
                go = body.node("Identity", [Value(body, cond)])
        finally:
            _ACTIVE.pop()
            self.g = outer
        outs = [body.fresh("cond_out")] + [body.fresh("out") for _ in new]
        for v, name in zip([go] + new, outs):
            body.nodes.append(helper.make_node("Identity", [v.name], [name]))
        out_info = [helper.make_tensor_value_info(outs[0], TP.BOOL, [])]
        out_info += [helper.make_tensor_value_info(nm, TP.DOUBLE, None) for nm in outs[1:]]
        graph = helper.make_graph(body.nodes, body.prefix + "body", ins, out_info, initializer=body.inits)
        res = outer.node("Loop", [outer.const(np.asarray(n, dtype=np.int64), "n"), outer.const(np.array(True)), *vs],
                         n_out=len(vs), body=graph)
        return res if isinstance(res, list) else [res]

    def repeat(self, n: int, f, vs: list[Value], until_fixed: bool = False) -> list[Value]:
        return self._loop(n, lambda it, cur: f(cur), vs, until_fixed, "repeat")

    def each(self, order, f, vs: list[Value]) -> list[Value]:
        order_c = self.root.const(np.asarray(order, dtype=np.int64), f"{self.name}order")

        def body(it, cur):
            i = self.g.node("Gather", [order_c, self.g.node("Unsqueeze", [it, self.g.ints([0])])], axis=0)
            return f(i, cur)
        return self._loop(len(order), body, vs, False, "each")


def _scan(g: Graph, k: int, L: dict, x: Value, states: list[Value], reverse: bool = False):
    """Layer ``k`` (recurrent) over the sequence x (B, T, n): a Scan node; (outputs, final states)."""
    _, helper, _, TP = _onnx()
    body = Graph(f"l{k}_")
    ins = [helper.make_tensor_value_info(f"l{k}_in_state_{n}", TP.DOUBLE, ["batch", s]) for n, s in L["state"]]
    ins.append(helper.make_tensor_value_info(f"l{k}_in_x", TP.DOUBLE, ["batch", L["n_in"]]))
    o = LayerOps(body, L, f"layer{k}.")
    y, new = eq.STEPS[L["cell"]](o, L, Value(body, f"l{k}_in_x"), [Value(body, i.name) for i in ins[:-1]])
    outs = []
    for v, (n, s) in zip(new + [y], L["state"] + [["seq", None]]):
        name = f"l{k}_out_{'seq' if s is None else 'state_' + n}"
        body.nodes.append(helper.make_node("Identity", [v.name], [name]))
        outs.append(helper.make_tensor_value_info(name, TP.DOUBLE, ["batch", s if s is not None else "n"]))
    graph = helper.make_graph(body.nodes, f"layer{k}_{L['cell']}_step", ins, outs, initializer=body.inits)
    attrs = dict(num_scan_inputs=1, scan_input_axes=[1], scan_output_axes=[1])
    if reverse:
        attrs.update(scan_input_directions=[1], scan_output_directions=[1])
    res = g.node("Scan", states + [x], n_out=len(states) + 1, body=graph, **attrs)
    res = res if isinstance(res, list) else [res]
    return res[-1], res[:-1]


def _rows(g: Graph, k: int, L: dict, x: Value) -> Value:
    """Layer ``k`` without state (hopfield, hopfield_continuous, bam: one recall per step) on every
    time step at once: x (B, T, n) as (B T, n) rows."""
    shape = g.node("Shape", [x])
    y, _ = eq.STEPS[L["cell"]](LayerOps(g, L, f"layer{k}."), L, g.node("Reshape", [x, g.ints([-1, L["n_in"]])]), [])
    out = g.node("Concat", [g.node("Slice", [shape, g.ints([0]), g.ints([2])]), g.ints([L["n_out"]])], axis=0)
    return g.node("Reshape", [y, out])


# ONNX's gate orders in terms of evornn's: LSTM iofc from ifgo, GRU zrh from rzn; peepholes P = [p_i, p_o, p_f]
_GATES = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}
_RNN_ACTS = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid"}


def native_op(L: dict) -> str | None:
    """The ONNX operator that computes layer ``L`` exactly, or None."""
    if L["cell"] == "lstm":
        return "LSTM"
    if L["cell"] == "gru":
        return "GRU"
    if L["cell"] == "srn" and L["activation"] in _RNN_ACTS:
        return "RNN"
    return None


def _native(g: Graph, k: int, L: dict, x: Value, states: list[Value], reverse: bool = False):
    """Layer ``k`` over x (B, T, n) as ONNX's own RNN, LSTM or GRU operator; (outputs, final states)."""
    op, H, W = native_op(L), L["n_units"], L["weights"]
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    w_in = np.asarray(W["W_in"], dtype=np.float64).reshape(G, H, -1)
    w_rec = np.asarray(W["W_rec"], dtype=np.float64).reshape(G, H, H)
    b = np.asarray(W["b"], dtype=np.float64).reshape(G, H) if "b" in W else np.zeros((G, H))
    order = _GATES.get(L["cell"], [0])
    name = f"layer{k}."
    ins = [g.node("Transpose", [x], perm=[1, 0, 2]),                               # (T, B, n)
           g.const(w_in[order].reshape(1, G * H, -1), name + "W"),
           g.const(w_rec[order].reshape(1, G * H, H), name + "R"),
           g.const(np.concatenate([b[order].reshape(-1), np.zeros(G * H)])[None], name + "B"),
           ""]                                                                     # sequence_lens
    ins += [g.node("Unsqueeze", [s, g.ints([0])]) for s in states]                 # initial_h (, initial_c)
    attrs = {"hidden_size": H, "direction": "reverse" if reverse else "forward"}
    if op == "LSTM" and L["options"]["peephole"]:
        peep = np.asarray(W["peep"], dtype=np.float64)
        ins.append(g.const(peep[[0, 2, 1]].reshape(1, 3 * H), name + "P"))
    if op == "GRU":
        attrs["linear_before_reset"] = 0            # r * h before the product with U_n, as Cho et al.
    if op == "RNN":
        attrs["activations"] = [_RNN_ACTS[L["activation"]]]
    outs = g.node(op, ins, n_out=1 + len(states), **attrs)
    Y = g.node("Transpose", [g.node("Squeeze", [outs[0], g.ints([1])])], perm=[1, 0, 2])
    if L["n_out"] < H:
        Y = g.node("Slice", [Y, g.ints([0]), g.ints([L["n_out"]]), g.ints([-1])])
    return Y, [g.node("Squeeze", [v, g.ints([0])]) for v in outs[1:]]


def _zeros_like_batch(g: Graph, x: Value, size: int) -> Value:
    """A (B, size) zero tensor with x's batch size (bidirectional layers start from zero)."""
    batch = g.node("Slice", [g.node("Shape", [x]), g.ints([0]), g.ints([1])])
    shape = g.node("Concat", [batch, g.ints([size])], axis=0)
    return g.node("ConstantOfShape", [shape], value=_onnx()[2].from_array(np.zeros(1)))


def build_model(doc: dict[str, Any], native_ops: bool = False):
    """The ONNX ModelProto of a network document (:func:`evornn.export.json_format.to_dict`).

    ``native_ops``: layers that ONNX's own operators compute exactly (:func:`native_op`) use them
    instead of a Scan. Such a model is valid float64 ONNX and runs in ONNX's reference evaluator
    (``onnx.reference``), but not in onnxruntime 1.32, which lacks their float64 kernels.
    """
    onnx, helper, _, TP = _onnx()
    g = Graph("")
    x = Value(g, "x")
    S = eq.state_size(doc)
    inputs = [helper.make_tensor_value_info("x", TP.DOUBLE, ["batch", "time", doc["n_inputs"]])]
    outputs = [helper.make_tensor_value_info("y", TP.DOUBLE, ["batch", "time", doc["n_outputs"]])]
    finals = []
    if S:
        inputs.append(helper.make_tensor_value_info("state", TP.DOUBLE, ["batch", S]))
        state = Value(g, "state")
        pos = 0

        def pieces(L):
            nonlocal pos
            out = []
            for _, s in L["state"]:
                out.append(g.node("Slice", [state, g.ints([pos]), g.ints([pos + s]), g.ints([1])]))
                pos += s
            return out
    layers = doc["layers"]
    if doc["topology"] == "bidirectional":
        seqs = []
        for k, rev in ((0, False), (1, True)):
            L = layers[k]
            zero = [_zeros_like_batch(g, x, s) for _, s in L["state"]]
            run = _native if native_ops and native_op(L) else _scan
            seqs.append(run(g, k, L, x, zero, reverse=rev)[0])
        h = g.node("Concat", seqs, axis=-1)
        y = eq.dense(LayerOps(g, layers[2], "layer2."), layers[2], h)
    else:
        h = x
        for k, L in enumerate(layers):
            if L["cell"] == "dense":
                h = eq.dense(LayerOps(g, L, f"layer{k}."), L, h)
            elif not L["state"]:
                h = _rows(g, k, L, h)
            else:
                run = _native if native_ops and native_op(L) else _scan
                h, fin = run(g, k, L, h, pieces(L))
                finals += fin
        y = h
    g.nodes.append(helper.make_node("Identity", [y.name], ["y"]))
    if S:
        g.nodes.append(helper.make_node("Concat", [v.name for v in finals], ["state_out"], axis=1))
        outputs.append(helper.make_tensor_value_info("state_out", TP.DOUBLE, ["batch", S]))
    graph = helper.make_graph(g.nodes, f"evornn_{doc['spec'].get('arch', 'network')}", inputs, outputs,
                              initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="evornn",
                              doc_string=__doc__.split("\n\n")[0])
    meta = {"evornn_spec": json.dumps(doc["spec"]), "state_size": str(S),
            "state_layout": json.dumps(eq.state_layout(doc) if S else [])}
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model, full_check=True)
    return model


def write(doc: dict[str, Any], path: str | Path, native_ops: bool = False) -> Path:
    path = Path(path)
    path.write_bytes(build_model(doc, native_ops).SerializeToString())
    return path
