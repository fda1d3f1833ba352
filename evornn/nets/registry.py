"""Architectures by registry name, and :func:`build`, the one way to make a network.

A *core* is a recurrent cell module's layer (its ``build`` function); an *architecture* composes
cores and dense layers into a :class:`~evornn.nets.network.Network`. Every architecture takes
``n_inputs`` and ``n_outputs`` and its own keyword options; unknown options raise a one-line error.
"""
from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np
from typing import Callable

from ..registry import Registry
from .cells import CELLS, dense, srn
from .cells import ctrnn, esn, mtrnn, narx
from .cells import gru, indrnn, jordan, lstm, second_order
from .cells import bam, hopfield, hopfield_continuous, modern_hopfield, recursive, history_compressor
from .cells import lsm
from .cells import stack
from .cells import neat_net
from .cells import encdec_switch
from .cells import dnc, ntm
from .cells import entm_tape
from .lanes import DTYPES
from .specialise import BIDIRECTIONAL
from .layer import XOFF as XOFF_COL, LayerSpec, activation_code
from .network import Network

# Cores usable inside stacked and bidirectional networks: name -> (builder, default activation).
# builder(n_in, n_hidden, n_out, act, **options) -> LayerSpec whose output is its first n_out units
# (or, for cells that compute their own outputs, n_out outputs).
CORES: dict[str, tuple[Callable[..., LayerSpec], str]] = {
    "frnn": (lambda n_in, H, n_out, act, bias=True: srn.build(n_in, H, n_out, act, bias=bias, kind="frnn"), "sigmoid"),
    "elman": (lambda n_in, H, n_out, act, bias=True: srn.build(n_in, H, n_out, act, bias=bias, kind="elman"), "sigmoid"),
    "ctrnn": (ctrnn.build, "sigmoid"),
    "mtrnn": (mtrnn.build, "tanh"),
    "esn": (esn.build, "tanh"),
    "narx": (narx.build, "tanh"),
    "jordan": (jordan.build, "sigmoid"),
    "lstm": (lstm.build, "tanh"),
    "gru": (gru.build, "tanh"),
    "indrnn": (indrnn.build, "relu"),
    "second-order": (second_order.build, "sigmoid"),
    "recursive": (recursive.build, "tanh"),
    "lsm": (lsm.build, "linear"),
}
# Cores whose outputs are computed by the cell itself (no separate readout layer).
SELF_READOUT: set[str] = {"jordan", "narx"}
# Default readout of each single-core architecture: "dense" (a separate output layer) or "none"
# (the outputs are the first units of the core).
DEFAULT_READOUT = {"frnn": "none", "ctrnn": "none", "second-order": "none"}

# Architectures by name: fn(n_inputs, n_outputs, **options) -> Network. Adding one: a function and
# its ``register`` line (here, or ``evornn.nets.register("my-net", "...")`` in a plugin).
ARCHS = Registry("architecture")


def register(name: str, description: str):
    """Decorator: register the architecture function it decorates as ``name``."""
    def deco(fn):
        ARCHS.register(name, fn, description)
        return fn
    return deco


def build(arch: str, n_inputs: int, n_outputs: int, **options) -> Network:
    """Build the network ``arch`` with ``n_inputs`` inputs and ``n_outputs`` outputs.

    Example: ``build("lstm", 3, 1, n_hidden=8)``. See :data:`ARCHS` for names and
    ``evornn list`` for the options of each. Every architecture also takes ``dtype``
    ("float64", the default, or "float32"): the precision the sequence kernels compute in
    (chromosomes stay float64; closed-loop problems such as pole balancing run in float64), and
    ``engine``: "lanes" (the default: blocks of individuals in SIMD lanes) or "scalar" (one
    individual at a time, float64, libm's exp and tanh), and ``init_range`` (a number r > 0):
    the initialiser draws every block it would draw with the fan-in scale uniform in [-r, r]
    instead, blocks with set values (lstm's gate biases, say) keeping them (Gers & Schmidhuber's
    LSTM experiments start their weights in [-0.1, 0.1]); unset: the fan-in scale.
    """
    dtype = options.pop("dtype", "float64")
    engine = options.pop("engine", "lanes")
    init_range = options.pop("init_range", None)
    if dtype not in DTYPES:
        raise ValueError(f"{arch}: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if engine not in ("lanes", "scalar"):
        raise ValueError(f"{arch}: engine must be 'lanes' or 'scalar', got {engine!r}")
    if engine == "scalar" and dtype != "float64":
        raise ValueError(f"{arch}: the scalar engine runs in float64 only, got dtype {dtype!r}")
    if init_range is not None and (isinstance(init_range, bool) or not isinstance(init_range, (int, float))
                                   or not 0 < init_range < float("inf")):
        raise ValueError(f"{arch}: init_range must be a number > 0, got {init_range!r}")
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(sorted(ARCHS))}")
    fn = ARCHS.get(arch)
    if int(n_inputs) < 1 or int(n_outputs) < 1:
        raise ValueError(f"{arch}: n_inputs and n_outputs must be >= 1, got {n_inputs} and {n_outputs}")
    allowed, has_kwargs = _accepted(fn)
    unknown = [k for k in options if k not in allowed]
    if unknown and not has_kwargs:
        raise ValueError(f"{arch}: unknown option {unknown[0]!r}; allowed: {', '.join(allowed)}")
    net = fn(int(n_inputs), int(n_outputs), **options)
    net.spec = {"arch": arch, "n_inputs": int(n_inputs), "n_outputs": int(n_outputs), **options}
    if dtype != "float64":
        net.spec["dtype"] = dtype
    if engine != "lanes":
        net.spec["engine"] = engine
    if init_range is not None:
        r = float(init_range)
        net.blocks = [(name, off, replace(b, init=("uniform", -r, r)) if b.init[0] == "fan_in" else b)
                      for name, off, b in net.blocks]
        net.spec["init_range"] = r
    net.dtype, net.engine = dtype, engine
    return net


def _accepted(fn) -> tuple[list[str], bool]:
    """The options an architecture function names (besides the sizes), and whether it takes
    ``**options`` too. A single-core architecture (:func:`_core_arch`) passes its ``**options`` to
    its core: its core's options count as its own."""
    params = inspect.signature(fn).parameters
    allowed = [p for p in params if p not in ("n_inputs", "n_outputs")]
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
    cell = getattr(fn, "core_cell", None)
    if cell is not None and has_kwargs:
        allowed = [p for p in allowed if p != "opts"]
        extra, has_kwargs = _core_options(cell)
        allowed += [o for o in extra if o not in allowed]
    return allowed, has_kwargs


def _core_options(cell: str) -> tuple[list[str], bool]:
    """The options the core ``cell``'s builder takes after (n_in, n_hidden, n_out, activation), but
    ``out_act`` (set from the network's ``output_activation``), and whether it takes ``**options``."""
    fn = CORES[cell][0] if cell in CORES else CELLS.get(cell).build
    params = list(inspect.signature(fn).parameters.values())[4:]
    return ([p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "out_act"],
            any(p.kind == p.VAR_KEYWORD for p in params))


def takes_option(arch: str, option: str) -> bool:
    """Whether the architecture ``arch`` takes the keyword option ``option`` (True for an unknown
    ``arch``: :func:`build` names that error)."""
    if arch not in ARCHS:
        return True
    allowed, has_kwargs = _accepted(ARCHS.get(arch))
    return has_kwargs or option in allowed


def _positive(arch: str, **sizes) -> None:
    for k, v in sizes.items():
        if int(v) < 1:
            raise ValueError(f"{arch}: {k} must be >= 1, got {v}")


def core_names() -> list[str]:
    """The cells usable as cores: :data:`CORES` and every registered cell module with a
    ``DEFAULT_ACTIVATION`` (a plugin's cell, say)."""
    extra = [n for n in CELLS.names() if n not in CORES and hasattr(CELLS.get(n), "DEFAULT_ACTIVATION")]
    return sorted(CORES) + extra


def make_core(cell: str, n_in: int, n_hidden: int, n_out: int, activation: str | None, **opts) -> LayerSpec:
    if cell in CORES:
        fn, default_act = CORES[cell]
    elif cell in core_names():
        module = CELLS.get(cell)
        fn, default_act = module.build, module.DEFAULT_ACTIVATION
    else:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(core_names())}")
    act = activation_code(activation or default_act, what=f"{cell} activation")
    allowed, has_kwargs = _core_options(cell)
    unknown = [k for k in opts if k not in allowed and k != "out_act"]
    if unknown and not has_kwargs:
        raise ValueError(f"{cell}: unknown option {unknown[0]!r}; the {cell} cell takes "
                         f"{', '.join(allowed) if allowed else 'no options'}")
    try:
        return fn(n_in, n_hidden, n_out, act, **opts)
    except TypeError as e:
        raise ValueError(f"{cell}: bad option ({e})") from None


def single_core(cell: str, n_inputs: int, n_outputs: int, n_hidden: int, activation: str | None,
                output_activation: str, readout: str | None, **opts) -> Network:
    """One core, then a dense readout (``readout="dense"``) or its first units as outputs ("none")."""
    _positive(cell, n_hidden=n_hidden)
    activation_code(output_activation, what=f"{cell} output activation")   # checked even when unused
    readout = readout or ("none" if cell in SELF_READOUT else DEFAULT_READOUT.get(cell, "dense"))
    if readout not in ("dense", "none"):
        raise ValueError(f"{cell}: readout must be 'dense' or 'none', got {readout!r}")
    if cell in SELF_READOUT:
        core = make_core(cell, n_inputs, n_hidden, n_outputs, activation, out_act=output_activation, **opts)
        return Network(cell, [core], [""])
    if readout == "none":
        if n_outputs > n_hidden:
            raise ValueError(f"{cell}: readout 'none' needs n_outputs <= n_hidden, got {n_outputs} > {n_hidden}")
        if opts.get("readout_inputs"):
            raise ValueError(f"{cell}: readout_inputs feeds the input to a dense readout; readout 'none' has none")
        return Network(cell, [make_core(cell, n_inputs, n_hidden, n_outputs, activation, **opts)], [""])
    core = make_core(cell, n_inputs, n_hidden, n_hidden, activation, **opts)
    out = dense.build(core.n_out, n_outputs, activation_code(output_activation, what="output activation"),
                      prefix="")
    return Network(cell, [core, out], ["", "out."], readout=True)


def _core_arch(cell: str, description: str):
    def fn(n_inputs, n_outputs, n_hidden=8, activation=None, output_activation="linear", readout=None, **opts):
        return single_core(cell, n_inputs, n_outputs, n_hidden, activation, output_activation, readout, **opts)
    fn.__name__ = cell
    fn.core_cell = cell
    register(cell, description)(fn)


_core_arch("frnn", "fully recurrent network (Williams & Zipser 1989): all units see all inputs and units; outputs are the first units")
_core_arch("elman", "Elman network (Elman 1990): hidden layer with context = previous hidden state, dense output layer")
_core_arch("ctrnn", "continuous-time RNN (Beer 1995): evolvable time constants and biases, Euler step dt; outputs are the first units")
_core_arch("narx", "NARX network (Lin et al. 1996): tapped delay lines of inputs and past outputs into a one-hidden-layer perceptron")


@register("mtrnn", "multiple-timescales RNN (Yamashita & Tani 2008): leaky units in a fast and a slow group; dense readout of the fast units")
def mtrnn_net(n_inputs, n_outputs, n_hidden=8, activation=None, output_activation="linear", readout=None,
              n_slow=None, tau_fast=5.0, tau_slow=70.0, spectral_radius=None):
    net = single_core("mtrnn", n_inputs, n_outputs, n_hidden, activation, output_activation, readout,
                      n_slow=n_slow, tau_fast=tau_fast, tau_slow=tau_slow, spectral_radius=spectral_radius)
    if net.n_outputs != n_outputs:
        raise ValueError(f"mtrnn: readout 'none' needs n_outputs <= n_fast = {net.n_outputs}, got {n_outputs}")
    return net


@register("esn", "echo state network (Jaeger 2001): fixed sparse random reservoir from a seed; the chromosome is the dense readout")
def esn_net(n_inputs, n_outputs, n_hidden=50, output_activation="linear", seed=0, density=None,
            spectral_radius=0.9, input_scaling=1.0, leak_rate=1.0, readout_inputs=True):
    return single_core("esn", n_inputs, n_outputs, n_hidden, None, output_activation, "dense", seed=seed,
                       density=density, spectral_radius=spectral_radius, input_scaling=input_scaling,
                       leak_rate=leak_rate, readout_inputs=readout_inputs)


_core_arch("lstm", "LSTM (Hochreiter & Schmidhuber 1997) with forget gate (Gers et al. 2000), optional peepholes; dense output layer")
_core_arch("gru", "gated recurrent unit (Cho et al. 2014), original formulation; dense output layer")
_core_arch("indrnn", "independently recurrent network (Li et al. 2018): h = act(W x + u*h + b), relu by default; dense output layer")
_core_arch("recursive", "recursive network (Pollack 1990; Socher et al. 2011): embedded leaves, h = act(W [h_left; h_right] + b) shared over a tree's nodes (a sequence: the left-branching tree); dense output layer")
_core_arch("second-order", "second-order RNN (Giles et al. 1992): weights w_ijk on products of state and input; outputs are the first units")


@register("jordan", "Jordan network (Jordan 1986): context units = decaying sum of past outputs (context_decay), hidden layer, output layer")
def jordan_net(n_inputs, n_outputs, n_hidden=8, activation=None, output_activation="linear", context_decay=0.5):
    return single_core("jordan", n_inputs, n_outputs, n_hidden, activation, output_activation, None,
                       context_decay=context_decay)


@register("history-compressor", "neural history compressor (Schmidhuber 1992): level 1 (any core) predicts the next input; level 2 steps only when that prediction fails (threshold), fed the input and its time stamp; its state feeds level 1 (and the readout with readout_level2)")
def history_compressor_net(n_inputs, n_outputs, n_hidden=4, n_hidden2=2, level1="elman", activation=None,
                           output_activation="sigmoid", threshold=0.25, time_scale=0.01, readout_level2=False, **opts):
    """Layers: level 2 (:mod:`evornn.nets.cells.history_compressor`), the level-1 core ``level1``
    (any core with a separate readout; ``opts`` are its options) reading [x_t; h2], with
    ``readout_level2`` the join [h1; h2], the dense readout. ``activation``: both levels' (default:
    tanh for level 2 and an Elman level 1, the core's own default for other cores)."""
    _positive("history-compressor", n_hidden=n_hidden)
    if not isinstance(readout_level2, (bool, np.bool_)):
        raise ValueError(f"history-compressor: readout_level2 must be true or false, got {readout_level2!r}")
    if level1 in SELF_READOUT or level1 not in core_names():
        ok = [c for c in core_names() if c not in SELF_READOUT]
        raise ValueError(f"history-compressor: level1 must be one of {', '.join(ok)}, got {level1!r}")
    act = activation_code(activation or "tanh", what="history-compressor activation")
    out_act = activation_code(output_activation, what="history-compressor output activation")
    top = history_compressor.build(n_inputs, n_outputs, act, n_hidden2=n_hidden2, threshold=threshold,
                                   time_scale=time_scale)
    core_act = activation or ("tanh" if level1 == "elman" else None)     # the core's own default otherwise
    core = make_core(level1, top.n_out, n_hidden, n_hidden, core_act, **opts)
    layers, prefixes = [top, core], ["level2.", "level1."]
    if readout_level2:
        layers.append(history_compressor.build_join(core.n_out, top.n_units))
        prefixes.append("")
    layers.append(dense.build(layers[-1].n_out, n_outputs, out_act))
    return Network("history-compressor", layers, prefixes + ["out."], readout=True)


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


def _states_out(arch: str, output_activation: str) -> None:
    """Associative memories output their units' states: no output activation but "linear"."""
    if output_activation != "linear":
        raise ValueError(f"{arch}: the outputs are the units' states, so output_activation must be 'linear', "
                         f"got {output_activation!r}")


@register("hopfield", "Hopfield network (Hopfield 1982): bipolar units, symmetric weights, relaxes each input probe to a fixed point; outputs are the first units")
def hopfield_net(n_inputs, n_outputs, update="async", max_sweeps=100, order_seed=0, output_activation="linear"):
    _states_out("hopfield", output_activation)
    return Network("hopfield", [hopfield.build(n_inputs, n_outputs, update=update, max_sweeps=max_sweeps,
                                               order_seed=order_seed)], [""])


@register("hopfield-continuous", "continuous Hopfield network (Hopfield 1984): graded tanh units, symmetric weights, Euler relaxation of each probe")
def hopfield_continuous_net(n_inputs, n_outputs, dt=0.1, tau=1.0, gain=1.0, n_steps=50, output_activation="linear"):
    _states_out("hopfield-continuous", output_activation)
    return Network("hopfield-continuous", [hopfield_continuous.build(n_inputs, n_outputs, dt=dt, tau=tau, gain=gain,
                                                                     n_steps=n_steps)], [""])


@register("modern-hopfield", "modern continuous Hopfield network (Ramsauer et al. 2020): M stored patterns X (the chromosome), xi <- X softmax(beta X^T xi) from each input probe; outputs are the first components of the retrieved state")
def modern_hopfield_net(n_inputs, n_outputs, memories=8, beta=None, iterations=1, output_activation="linear"):
    _states_out("modern-hopfield", output_activation)
    return Network("modern-hopfield", [modern_hopfield.build(n_inputs, n_outputs, memories=memories, beta=beta,
                                                             iterations=iterations)], [""])


@register("bam", "bidirectional associative memory (Kosko 1988): layers A and B linked by W and its transpose, passes until stable")
def bam_net(n_inputs, n_outputs, outputs="b", max_passes=100, output_activation="linear"):
    _states_out("bam", output_activation)
    return Network("bam", [bam.build(n_inputs, n_outputs, outputs=outputs, max_passes=max_passes)], [""])


@register("lsm", "liquid state machine (Maass et al. 2002): fixed leaky integrate-and-fire liquid from a seed; the chromosome is the dense readout of its filtered spike trains")
def lsm_net(n_inputs, n_outputs, n_hidden=27, output_activation="linear", seed=0, grid=None, connection_lambda=2.0,
            density=None, inhibitory=0.2, tau_m=30.0, tau_syn=3.0, tau_out=30.0, dt=1.0, v_thresh=15.0,
            v_reset=13.5, refractory=2.0, weight_scale=3.0, input_scaling=30.0, input_density=0.3,
            background_low=13.5, background_high=14.5, input_mode="current", substeps=1, readout_inputs=True):
    return single_core("lsm", n_inputs, n_outputs, n_hidden, None, output_activation, "dense", seed=seed, grid=grid,
                       connection_lambda=connection_lambda, density=density, inhibitory=inhibitory, tau_m=tau_m,
                       tau_syn=tau_syn, tau_out=tau_out, dt=dt, v_thresh=v_thresh, v_reset=v_reset,
                       refractory=refractory, weight_scale=weight_scale, input_scaling=input_scaling,
                       input_density=input_density, background_low=background_low,
                       background_high=background_high, input_mode=input_mode, substeps=substeps,
                       readout_inputs=readout_inputs)


@register("stack-rnn", "stack RNN (Joulin & Mikolov 2015; NNPDA, Sun et al. 1993): any core as controller, reading its input and the top of a continuous stack it pushes to and pops from; dense output layer")
def stack_rnn(n_inputs, n_outputs, cell="elman", n_hidden=8, activation=None, output_activation="linear",
              width=1, depth=16, read_depth=1, read="concat", push_activation="sigmoid", **opts):
    """Layers: the stack (:mod:`evornn.nets.cells.stack`), the controller core, a dense readout."""
    _positive("stack-rnn", n_hidden=n_hidden)
    act = activation_code(output_activation, what="stack-rnn output activation")
    push = activation_code(push_activation, what="stack-rnn push_activation")
    for name, v in (("width", width), ("depth", depth), ("read_depth", read_depth)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"stack-rnn: {name} must be an integer, got {v!r}")
    if read not in stack.READS:
        raise ValueError(f"stack-rnn: read must be one of {', '.join(stack.READS)}, got {read!r}")
    n_ctrl_in = stack.n_read(n_inputs, int(width), int(read_depth), read)
    core = make_core(cell, n_ctrl_in, n_hidden, n_hidden, activation, **opts)
    mem = stack.build(n_inputs, core.n_out, push, width=width, depth=depth, read_depth=read_depth, read=read)
    out = dense.build(core.n_out, n_outputs, act)
    return Network("stack-rnn", [mem, core, out], ["stack.", "ctrl.", "out."], readout=True)


@register("neat-net", "NEAT phenotype (Stanley & Miikkulainen 2002): up to max_nodes typed units (sigmoid, tanh, identity, gate), any topology, absent connections zero; outputs are the last units")
def neat_net_arch(n_inputs, n_outputs, max_nodes=16, update="sync", passes=1, activation="sigmoid",
                  output_activation="sigmoid", relax=False, sigmoid_slope=neat_net.SIGMOID_SLOPE):
    _positive("neat-net", max_nodes=max_nodes)
    allowed = {"linear": neat_net.IDENTITY, "identity": neat_net.IDENTITY, "sigmoid": neat_net.SIGMOID,
               "tanh": neat_net.TANH}
    for key, v in (("activation", activation), ("output_activation", output_activation)):
        if v not in allowed:
            raise ValueError(f"neat-net: {key} must be one of {', '.join(allowed)}, got {v!r}")
    return Network("neat-net", [neat_net.build(n_inputs, max_nodes, n_outputs, update=update, passes=passes,
                                               output_type=allowed[output_activation],
                                               hidden_type=allowed[activation], relax=relax,
                                               sigmoid_slope=sigmoid_slope)], [""])


@register("neat-entm", "evolvable neural Turing machine (Greve, Jacobsen & Risi 2016): a NEAT phenotype reading [x_t, r_{t-1}] whose outputs are the task's and one read/write head's controls (write vector, interpolation, content jump, shift -1/0/+1) on a growing tape")
def neat_entm(n_inputs, n_outputs, max_nodes=32, memory_size=32, memory_width=2, update="sync", passes=1,
              activation="sigmoid", output_activation="sigmoid", write="interpolate"):
    """Layers: [x_t, r_{t-1}] (:func:`entm_tape.build_input`), a ``neat-net`` layer of ``max_nodes``
    units with n_outputs + memory_width + 5 outputs (the task's outputs, then the head's controls),
    and the tape (:mod:`evornn.nets.cells.entm_tape`), whose output is the task's outputs. The
    chromosome is the neat-net layer's alone, so the ``neat`` optimiser evolves it. ``write``:
    "interpolate" or "overwrite" (the tape's write mode)."""
    _positive("neat-entm", max_nodes=max_nodes)
    tape = entm_tape.build(n_outputs, memory_size, memory_width, write)
    M = tape.options["memory_width"]
    need = n_outputs + entm_tape.n_controls(M)
    if isinstance(max_nodes, (int, np.integer)) and max_nodes < need:
        raise ValueError(f"neat-entm: max_nodes must be >= n_outputs + memory_width + 5 = {need}, got {max_nodes}")
    core = neat_net_arch(n_inputs + M, n_outputs + entm_tape.n_controls(M), max_nodes=max_nodes, update=update,
                         passes=passes, activation=activation, output_activation=output_activation).layers[0]
    return Network("neat-entm", [entm_tape.build_input(n_inputs, M), core, tape], ["", "", ""])


@register("dense-entm", "evolvable neural Turing machine of fixed topology: neat-entm's tape and head driven by one layer from [x_t, r_{t-1}, 1] to the task's outputs and the head's controls (dense; cell = a core for recurrence, indrnn: self-loops), for any optimiser")
def dense_entm(n_inputs, n_outputs, cell="dense", memory_size=32, memory_width=2, activation="sigmoid",
               write="interpolate"):
    """Layers: [x_t, r_{t-1}] (:func:`entm_tape.build_input`), one layer with n_outputs + memory_width + 5
    units of ``activation`` (``cell = "dense"``: feed-forward, every input to every unit, the minimal
    start of ``neat-entm`` as a flat chromosome; a core name: that core with its units as outputs,
    ``indrnn`` adding one self-loop per unit), and the tape (:mod:`evornn.nets.cells.entm_tape`);
    ``write``: its write mode, "interpolate" or "overwrite"."""
    tape = entm_tape.build(n_outputs, memory_size, memory_width, write, where="dense-entm")
    M = tape.options["memory_width"]
    U = n_outputs + entm_tape.n_controls(M)
    if cell == "dense":
        core = dense.build(n_inputs + M, U, activation_code(activation, what="dense-entm activation"))
    else:
        core = make_core(cell, n_inputs + M, U, U, activation)
    return Network("dense-entm", [entm_tape.build_input(n_inputs, M), core, tape], ["", "ctrl.", ""])


@register("seq2seq", "encoder-decoder (Sutskever et al. 2014): an encoder core reads the source, its final state starts a decoder core, dense readout; the last input is the phase flag")
def seq2seq(n_inputs, n_outputs, cell="lstm", decoder_cell=None, n_hidden=8, activation=None,
            output_activation="linear", **opts):
    """Layers: the switch (:mod:`evornn.nets.cells.encdec_switch`), the encoder core, the decoder
    core (both read the network's input: the source symbols while the last input column is 0,
    the decoder's previous symbol once it is 1), a dense readout of the decoder. The decoder's
    state starts as the encoder's final state, so both cores need the same state layout: the
    same cell (``decoder_cell`` defaults to ``cell``) or cells whose states have the same length."""
    _positive("seq2seq", n_hidden=n_hidden)
    dcell = decoder_cell or cell
    enc = make_core(cell, n_inputs, n_hidden, n_hidden, activation, **opts)
    dec = make_core(dcell, n_inputs, n_hidden, n_hidden, activation, **opts)
    if enc.state_len != dec.state_len:
        raise ValueError(f"seq2seq: the decoder starts from the encoder's state, so their states must have the same "
                         f"length; {cell} has {enc.state_len}, {dcell} {dec.state_len}")
    out = dense.build(dec.n_out, n_outputs, activation_code(output_activation, what="output activation"))
    net = Network("seq2seq", [encdec_switch.build(n_inputs), enc, dec, out], ["", "enc.", "dec.", "out."],
                  readout=True)
    net.L[1, XOFF_COL] = 0          # both cores read the network's input
    net.L[2, XOFF_COL] = 0
    return net


def _memory_net(name: str, n_inputs: int, n_outputs: int, controller: str, n_hidden: int, activation,
                output_activation: str, cell, memory: dict, opts: dict) -> Network:
    """[x_t, r_{t-1}] -> controller core -> memory layer -> dense readout of [h_t, r_t]."""
    _positive(name, n_hidden=n_hidden)
    direct = memory.pop("direct", False)
    if not isinstance(direct, (bool, np.bool_)):
        raise ValueError(f"{name}: direct must be true or false, got {direct!r}")
    mem = cell.build(1, **memory)                      # checks the memory options first
    R, M = mem.options["read_heads"], mem.options["memory_width"]
    core = make_core(controller, n_inputs + R * M, n_hidden, n_hidden, activation, **opts)
    mem = cell.build(core.n_out, **memory, **({"n_direct": n_inputs + R * M} if direct else {}))
    out = dense.build(mem.n_out, n_outputs, activation_code(output_activation, what="output activation"))
    return Network(name, [cell.build_input(n_inputs, R, M), core, mem, out], ["", "ctrl.", "mem.", "out."],
                   readout=True)


@register("ntm", "neural Turing machine (Graves et al. 2014): controller core + N x M memory, content/location addressing; addressing='entm' for hard attention (Greve et al. 2016)")
def ntm_net(n_inputs, n_outputs, controller="elman", n_hidden=8, activation=None, output_activation="linear",
            memory_size=16, memory_width=8, read_heads=1, write_heads=1, addressing="soft", direct=False, **opts):
    return _memory_net("ntm", n_inputs, n_outputs, controller, n_hidden, activation, output_activation, ntm,
                       dict(N=memory_size, M=memory_width, R=read_heads, Wh=write_heads, addressing=addressing,
                            direct=direct), opts)


@register("dnc", "differentiable neural computer (Graves et al. 2016): controller core + memory with usage-based allocation and temporal links (N <= 32)")
def dnc_net(n_inputs, n_outputs, controller="elman", n_hidden=8, activation=None, output_activation="linear",
            memory_size=16, memory_width=8, read_heads=1, **opts):
    return _memory_net("dnc", n_inputs, n_outputs, controller, n_hidden, activation, output_activation, dnc,
                       dict(N=memory_size, M=memory_width, R=read_heads), opts)
