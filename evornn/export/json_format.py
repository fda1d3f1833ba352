"""Plain JSON: the network's architecture, sizes, options, fixed data and every named weight block.

The file is enough to rebuild the network in any language without evornn. The ONNX and PyTorch
exporters read nothing else (:mod:`evornn.export.equations` turns it into the forward pass), so
what they compute is what this file says. Layout (``"format": "evornn-network"``, ``"version": 1``)::

    spec          the keyword arguments of evornn.build(...) (build_from_json uses them)
    n_inputs, n_outputs, n_params
    topology      "sequential": every layer runs at every time step, each reading the previous
                  layer's outputs (layer 0 reads the input); "bidirectional": layer 0 runs forward
                  over the sequence, layer 1 over the reversed sequence (both from the zero state),
                  and layer 2 (dense) reads [forward outputs; backward outputs] at each step
    layers        one object per layer: cell (dense, srn, ctrnn, mtrnn, esn, narx, jordan, lstm, gru,
                  indrnn, second_order, hopfield, hopfield_continuous, bam), n_in, n_out, n_units,
                  activation, output_activation, options (the cell's options), fixed (non-evolved
                  data: an echo state reservoir, time constants, a Hopfield network's sweep order),
                  weights (block name -> nested lists, row-major), prefix (the blocks' name prefix
                  in the chromosome), state (name, size) pairs: the recurrent state, zero at the
                  start, in the order the exported models concatenate it (none for hopfield,
                  hopfield_continuous and bam: every step is one recall of its input row)
    equations     for each cell, its update equations as text
    chromosome    block name -> [offset, shape]: where each block lies in the flat chromosome

All numbers are float64 written with Python's shortest round-trip repr, so reading them back
gives the same bits.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..nets.cells import cell_name
from ..nets.layer import ACTIVATIONS, FOFF, IOFF
from ..nets.kernels import BIDIRECTIONAL

FORMAT, VERSION = "evornn-network", 1
ACT_NAMES = {v: k for k, v in ACTIVATIONS.items()}

EQUATIONS = {
    "dense": "y = act(W x + b)   (b only with options.bias = 1)",
    "srn": "h = act(W_in x + W_rec h + b); y = h[:n_out]",
    "ctrnn": "o = act(y + theta); alpha = min(dt exp(-log_tau), 1); "
             "y = y + alpha (W_in x + W_rec o - y); out = act(y + theta)[:n_out]",
    "mtrnn": "a = W_rec act(u) + b; a[:n_fast] += W_in x; u = (1 - inv_tau) u + inv_tau a; out = act(u)[:n_out]",
    "esn": "x = (1 - leak_rate) x + leak_rate tanh(W_in u + b + W_res x); out = [u; x] if readout_inputs else x",
    "narx": "taps_x = [x_t; x_{t-1}; ..; x_{t-du}]; h = act(W_x taps_x + W_y [y_{t-1}; ..; y_{t-dy}] + b); "
            "y = out_act(W_out h + b_out)",
    "jordan": "c = mu c + y_prev; h = act(W_in x + W_ctx c + b); y = out_act(W_out h + b_out); y_prev = y",
    "lstm": "gates i, f, g, o (rows of W_in, W_rec, b); a = W_in x + W_rec h + b; "
            "i = s(a_i + p_i c); f = s(a_f + p_f c); c = f c + i tanh(a_g); o = s(a_o + p_o c); h = o tanh(c); "
            "y = h[:n_out]   (peep rows p_i, p_f, p_o only with options.peephole = 1)",
    "gru": "gates r, z, n; r = s(W_r x + U_r h + b_r); z = s(W_z x + U_z h + b_z); "
           "n = tanh(W_n x + U_n (r h) + b_n); h = (1 - z) n + z h; y = h[:n_out]",
    "indrnn": "h = act(W_in x + u h + b)   (u h element-wise); y = h[:n_out]",
    "second_order": "h_i = act(sum_jk W[i, j, k] h_j x_k + b_i); y = h[:n_out]",
    "recursive": "h = act(W [h; E x] + b) (a sequence as the left-branching tree; over a tree: leaf h = E x, "
                 "node h = act(W [h_left; h_right] + b)); y = h[:n_out]",
    "hopfield": "one recall per step, no state across steps: M = symmetric(W) (W its upper triangle row by row, "
                "zero diagonal); s = +1 where x >= 0 else -1; up to max_sweeps sweeps, stopping after one that "
                "changes nothing: async: for i in fixed.order: h = sum_j M_ij s_j - theta_i; sync: every h from "
                "the previous s at once; s_i = +1 if h > 0, -1 if h < 0, unchanged if h = 0; y = s[:n_out]; "
                "every sum adds j = 0, 1, .. in turn (float64; another order can break exact ties)",
    "hopfield_continuous": "one recall per step, no state across steps: M = symmetric(W) (upper triangle, zero "
                           "diagonal); u = x; n_steps times: V = tanh(gain u); u = u + (dt / tau) (M V + I - u); "
                           "y = tanh(gain u)[:n_out]",
    "bam": "one recall per step, no state across steps: a = +1 where x >= 0 else -1; b = 0; up to max_passes "
           "passes, stopping after one that changes nothing: b = sgn(W^T a - theta_b; b); a = sgn(W b - theta_a; a) "
           "(sgn(h; old) = +1 if h > 0, -1 if h < 0, old if h = 0); y = b, or [a; b] if outputs = 'ab'; "
           "every sum adds its terms in increasing index order (float64; another order can break exact ties)",
}


def _options(kind: str, lay, net, k: int) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, int]]]:
    """(options, fixed data, state pieces) of layer ``k`` whose cell is ``kind``."""
    H, n_in, n_out = lay.n_units, lay.n_in, lay.n_out
    f0 = int(net.L[k, FOFF])
    if kind == "dense":
        return {"bias": int(lay.opts[0])}, {}, []
    if kind == "srn":
        return {"bias": int(lay.opts[0])}, {}, [("h", H)]
    if kind == "ctrnn":
        return {"dt": float(net.fx[f0])}, {}, [("y", H)]
    if kind == "mtrnn":
        F = int(lay.opts[0])
        return ({"n_fast": F, "n_slow": H - F}, {"inv_tau": net.fx[f0:f0 + H].tolist()}, [("u", H)])
    if kind == "esn":
        from ..nets.cells.esn import reservoir
        res = reservoir(net, k)
        fixed = {"leak_rate": res["leak_rate"], "W_in": res["W_in"].tolist(), "b": res["b"].tolist(),
                 "W_res": res["W_res"].tolist()}
        return dict(lay.options), fixed, [("x", H)]     # seed, density, ..., readout_inputs
    if kind == "narx":
        du, dy = int(lay.opts[0]), int(lay.opts[1])
        state = ([("x_taps", du * n_in)] if du else []) + [("y_taps", dy * n_out)]
        return {"input_delays": du, "output_delays": dy}, {}, state
    if kind == "jordan":
        return {"context_decay": float(net.fx[f0])}, {}, [("y_prev", n_out), ("c", n_out)]
    if kind == "lstm":
        if lay.options.get("readout_inputs"):
            raise ValueError("export: lstm networks with readout_inputs cannot be exported yet; best.npy and "
                             "network.json rebuild them in evornn (evornn.nets.build(**spec))")
        squashing = (lay.options.get("cell_input", "tanh"), lay.options.get("cell_output", "tanh"))
        if squashing != ("tanh", "tanh"):
            raise ValueError(f"export: lstm networks with cell_input {squashing[0]!r} and cell_output {squashing[1]!r} "
                             f"cannot be exported yet (tanh and tanh only); best.npy and network.json rebuild them in "
                             f"evornn (evornn.nets.build(**spec))")
        return {"peephole": int(lay.opts[0])}, {}, [("h", H), ("c", H)]
    if kind in ("gru", "indrnn", "second_order", "recursive"):
        return {}, {}, [("h", H)]
    # the associative memories: each step is one recall, so no state is carried between steps
    if kind == "hopfield":
        o0 = int(net.L[k, IOFF])
        return (dict(lay.options), {"order": [int(i) for i in net.ix[o0:o0 + H]]}, [])   # update, max_sweeps, order_seed
    if kind == "hopfield_continuous":
        # dt / tau and gain as the kernel reads them (fx), next to the options they come from
        return (dict(lay.options), {"dt_over_tau": float(net.fx[f0]), "gain": float(net.fx[f0 + 1])}, [])
    if kind == "bam":
        return dict(lay.options), {}, []                # outputs ("b" or "ab"), max_passes
    if kind == "neat_net":
        raise ValueError("export: neat-net networks (NEAT phenotypes) cannot be exported yet; best.npy and "
                         "network.json rebuild them in evornn (evornn.nets.build(**spec))")
    if kind == "encdec_switch":
        raise ValueError("export: seq2seq networks cannot be exported yet (the encoder's final state handed to the "
                         "decoder has no exported form)")
    raise ValueError(f"export: no JSON description of cell {kind!r} yet")


def to_dict(net, w: np.ndarray) -> dict[str, Any]:
    """The JSON document (a dict) of network ``net`` with chromosome ``w``."""
    params = net.unflatten(w)
    layers, b = [], 0
    prefixes = _prefixes(net)
    for k, lay in enumerate(net.layers):
        kind = cell_name(net.L[k, 0])
        opts, fixed, state = _options(kind, lay, net, k)
        weights = {}
        for blk in lay.blocks:
            name = net.blocks[b][0]
            weights[name[len(prefixes[k]):]] = np.asarray(params[name]).tolist()
            b += 1
        layers.append({"cell": kind, "n_in": int(lay.n_in), "n_out": int(lay.n_out), "n_units": int(lay.n_units),
                       "activation": ACT_NAMES[int(lay.act)], "output_activation": ACT_NAMES[int(lay.act2)],
                       "options": opts, "fixed": fixed, "prefix": prefixes[k], "weights": weights,
                       "state": [[n, int(s)] for n, s in state]})
    return {"format": FORMAT, "version": VERSION, "spec": dict(net.spec),
            "n_inputs": int(net.n_inputs), "n_outputs": int(net.n_outputs), "n_params": int(net.n_params),
            "topology": "bidirectional" if net.kind == BIDIRECTIONAL else "sequential",
            "layers": layers,
            "equations": {c: EQUATIONS[c] for c in dict.fromkeys(lay["cell"] for lay in layers)},
            "chromosome": {name: [int(off), list(shape)] for name, (off, shape) in net.layout.items()}}


def _prefixes(net) -> list[str]:
    """The block-name prefix of each layer ("", "out.", "layer0.", "fwd.", ...)."""
    out, b = [], 0
    for lay in net.layers:
        if lay.blocks:
            full, short = net.blocks[b][0], lay.blocks[0].name
            out.append(full[:len(full) - len(short)])
        else:
            out.append("")
        b += len(lay.blocks)
    return out


def write_doc(doc: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def read(source: str | Path | dict) -> dict[str, Any]:
    """The document from a path or a dict, checked for its format and version."""
    doc = source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{source if not isinstance(source, dict) else 'document'}: not an evornn network "
                         f"export (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise ValueError(f"evornn network export version {doc.get('version')!r}; this evornn reads version {VERSION}")
    return doc


def build_from_json(source: str | Path | dict):
    """(net, w): the network and chromosome of a JSON export (a path or the parsed dict).

    The network is rebuilt with ``evornn.build(**spec)`` and its chromosome from the named weight
    blocks; fixed data the file holds (an echo state reservoir) must equal what ``build`` draws.
    """
    from ..nets import build
    doc = read(source)
    net = build(**doc["spec"])
    if net.n_params != doc["n_params"] or len(net.layers) != len(doc["layers"]):
        raise ValueError(f"network export: spec {doc['spec']} gives {net.n_params} parameters in "
                         f"{len(net.layers)} layers, the file has {doc['n_params']} in {len(doc['layers'])}")
    params = {}
    for lay in doc["layers"]:
        for name, v in lay["weights"].items():
            params[lay["prefix"] + name] = np.asarray(v, dtype=np.float64)
    for name, (_off, shape) in net.layout.items():
        if name not in params or params[name].shape != tuple(shape):
            got = params[name].shape if name in params else "nothing"
            raise ValueError(f"network export: block {name!r} must have shape {tuple(shape)}, got {got}")
    w = net.flatten(params)
    mine = to_dict(net, w)
    for k, (a, b) in enumerate(zip(mine["layers"], doc["layers"])):
        if a["cell"] != b["cell"] or not _same_fixed(a["fixed"], b["fixed"]):
            raise ValueError(f"network export: layer {k} ({b['cell']}): its fixed data differ from what "
                             f"evornn.build draws for spec {doc['spec']}")
    return net, w


def _same_fixed(a: dict, b: dict) -> bool:
    """Fixed data equal up to rounding (a reservoir's scaling by its eigenvalues may differ in the
    last bits between LAPACK builds)."""
    if set(a) != set(b):
        return False
    return all(np.allclose(np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float), rtol=1e-12, atol=1e-15)
               for k in a)
