"""Architectures by registry name, and :func:`build`, the one way to make a network.

A *core* is a recurrent cell module's layer (its ``build`` function); an *architecture* composes
cores and dense layers into a :class:`~evornn.nets.network.Network`. Every architecture takes
``n_inputs`` and ``n_outputs`` and its own keyword options; unknown options raise a one-line error.
"""
from __future__ import annotations

import inspect
from typing import Callable

from .cells import dense, srn
from .kernels import BIDIRECTIONAL, SEQUENTIAL
from .layer import LayerSpec, activation_code
from .network import Network

# Cores usable inside stacked and bidirectional networks: name -> (builder, default activation).
# builder(n_in, n_hidden, n_out, act, **options) -> LayerSpec whose output is its first n_out units
# (or, for cells that compute their own outputs, n_out outputs).
CORES: dict[str, tuple[Callable[..., LayerSpec], str]] = {
    "frnn": (lambda n_in, H, n_out, act, bias=True: srn.build(n_in, H, n_out, act, bias=bias, kind="frnn"), "sigmoid"),
    "elman": (lambda n_in, H, n_out, act, bias=True: srn.build(n_in, H, n_out, act, bias=bias, kind="elman"), "sigmoid"),
}
# Cores whose outputs are computed by the cell itself (no separate readout layer).
SELF_READOUT: set[str] = set()
# Default readout of each single-core architecture: "dense" (a separate output layer) or "none"
# (the outputs are the first units of the core).
DEFAULT_READOUT = {"frnn": "none"}

ARCHS: dict[str, tuple[Callable[..., Network], str]] = {}


def register(name: str, description: str):
    def deco(fn):
        ARCHS[name] = (fn, description)
        return fn
    return deco


def build(arch: str, n_inputs: int, n_outputs: int, **options) -> Network:
    """Build the network ``arch`` with ``n_inputs`` inputs and ``n_outputs`` outputs.

    Example: ``build("lstm", 3, 1, n_hidden=8)``. See :data:`ARCHS` for names and
    ``evornn list`` for the options of each.
    """
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(sorted(ARCHS))}")
    if int(n_inputs) < 1 or int(n_outputs) < 1:
        raise ValueError(f"{arch}: n_inputs and n_outputs must be >= 1, got {n_inputs} and {n_outputs}")
    fn = ARCHS[arch][0]
    allowed = [p for p in inspect.signature(fn).parameters if p not in ("n_inputs", "n_outputs")]
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    unknown = [k for k in options if k not in allowed]
    if unknown and not has_kwargs:
        raise ValueError(f"{arch}: unknown option {unknown[0]!r}; allowed: {', '.join(allowed)}")
    net = fn(int(n_inputs), int(n_outputs), **options)
    net.spec = {"arch": arch, "n_inputs": int(n_inputs), "n_outputs": int(n_outputs), **options}
    return net


def _positive(arch: str, **sizes) -> None:
    for k, v in sizes.items():
        if int(v) < 1:
            raise ValueError(f"{arch}: {k} must be >= 1, got {v}")


def make_core(cell: str, n_in: int, n_hidden: int, n_out: int, activation: str | None, **opts) -> LayerSpec:
    if cell not in CORES:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(sorted(CORES))}")
    fn, default_act = CORES[cell]
    act = activation_code(activation or default_act, what=f"{cell} activation")
    try:
        return fn(n_in, n_hidden, n_out, act, **opts)
    except TypeError as e:
        raise ValueError(f"{cell}: bad option ({e})") from None


def single_core(cell: str, n_inputs: int, n_outputs: int, n_hidden: int, activation: str | None,
                output_activation: str, readout: str | None, **opts) -> Network:
    """One core, then a dense readout (``readout="dense"``) or its first units as outputs ("none")."""
    _positive(cell, n_hidden=n_hidden)
    readout = readout or ("none" if cell in SELF_READOUT else DEFAULT_READOUT.get(cell, "dense"))
    if readout not in ("dense", "none"):
        raise ValueError(f"{cell}: readout must be 'dense' or 'none', got {readout!r}")
    if cell in SELF_READOUT:
        core = make_core(cell, n_inputs, n_hidden, n_outputs, activation, out_act=output_activation, **opts)
        return Network(cell, [core], [""])
    if readout == "none":
        if n_outputs > n_hidden:
            raise ValueError(f"{cell}: readout 'none' needs n_outputs <= n_hidden, got {n_outputs} > {n_hidden}")
        return Network(cell, [make_core(cell, n_inputs, n_hidden, n_outputs, activation, **opts)], [""])
    core = make_core(cell, n_inputs, n_hidden, n_hidden, activation, **opts)
    out = dense.build(core.n_out, n_outputs, activation_code(output_activation, what="output activation"),
                      prefix="")
    return Network(cell, [core, out], ["", "out."], readout=True)


def _core_arch(cell: str, description: str):
    def fn(n_inputs, n_outputs, n_hidden=8, activation=None, output_activation="linear", readout=None, **opts):
        return single_core(cell, n_inputs, n_outputs, n_hidden, activation, output_activation, readout, **opts)
    fn.__name__ = cell
    register(cell, description)(fn)


_core_arch("frnn", "fully recurrent network (Williams & Zipser 1989): all units see all inputs and units; outputs are the first units")
_core_arch("elman", "Elman network (Elman 1990): hidden layer with context = previous hidden state, dense output layer")


@register("mlp", "feed-forward multilayer perceptron, the no-memory baseline")
def mlp(n_inputs, n_outputs, hidden=(8,), activation="tanh", output_activation="linear"):
    sizes = [int(h) for h in (hidden if isinstance(hidden, (list, tuple)) else [hidden])]
    _positive("mlp", **{f"hidden[{i}]": h for i, h in enumerate(sizes)})
    act = activation_code(activation, what="mlp activation")
    layers, n = [], n_inputs
    for h in sizes:
        layers.append(dense.build(n, h, act))
        n = h
    layers.append(dense.build(n, n_outputs, activation_code(output_activation, what="output activation")))
    prefixes = [f"layer{k}." for k in range(len(sizes))] + ["out."]
    return Network("mlp", layers, prefixes, readout=True)


@register("rmlp", "recurrent multilayer perceptron (Puskorius & Feldkamp 1994): cascaded layers, each with feedback within the layer")
def rmlp(n_inputs, n_outputs, hidden=(8, 8), activation="tanh", output_activation="linear"):
    sizes = [int(h) for h in (hidden if isinstance(hidden, (list, tuple)) else [hidden])]
    _positive("rmlp", **{f"hidden[{i}]": h for i, h in enumerate(sizes)})
    act = activation_code(activation, what="rmlp activation")
    layers, n = [], n_inputs
    for h in sizes:
        layers.append(srn.build(n, h, h, act, kind="rmlp"))
        n = h
    layers.append(dense.build(n, n_outputs, activation_code(output_activation, what="output activation")))
    prefixes = [f"layer{k}." for k in range(len(sizes))] + ["out."]
    return Network("rmlp", layers, prefixes, readout=True)


@register("stacked", "stacked (deep) recurrent network: several cores of one cell, each feeding the next, dense output layer")
def stacked(n_inputs, n_outputs, cell="elman", layers=(8, 8), activation=None, output_activation="linear", **opts):
    sizes = [int(h) for h in (layers if isinstance(layers, (list, tuple)) else [layers])]
    _positive("stacked", **{f"layers[{i}]": h for i, h in enumerate(sizes)})
    specs, n = [], n_inputs
    for h in sizes:
        core = make_core(cell, n, h, h, activation, **opts)
        specs.append(core)
        n = core.n_out
    specs.append(dense.build(n, n_outputs, activation_code(output_activation, what="output activation")))
    prefixes = [f"layer{k}." for k in range(len(sizes))] + ["out."]
    return Network("stacked", specs, prefixes, readout=True)


@register("bidirectional", "bidirectional recurrent network (Schuster & Paliwal 1997) for sequence labelling: forward and backward cores, joint readout")
def bidirectional(n_inputs, n_outputs, cell="elman", n_hidden=8, activation=None, output_activation="linear", **opts):
    _positive("bidirectional", n_hidden=n_hidden)
    fwd = make_core(cell, n_inputs, n_hidden, n_hidden, activation, **opts)
    bwd = make_core(cell, n_inputs, n_hidden, n_hidden, activation, **opts)
    out = dense.build(fwd.n_out + bwd.n_out, n_outputs, activation_code(output_activation, what="output activation"))
    return Network("bidirectional", [fwd, bwd, out], ["fwd.", "bwd.", "out."], kind=BIDIRECTIONAL, readout=True)
