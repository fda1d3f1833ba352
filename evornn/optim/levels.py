"""Level-by-level training of the neural history compressor: level 1 alone first, then level 2 on
the frozen level 1.

Schmidhuber (1992), "Learning complex, extended sequences using the principle of history
compression", Neural Computation 4(2): the lower network (the "automatizer") is trained to predict
its next input; the higher one (the "chunker") then learns from the inputs the lower one could not
predict. Here (``history-compressor`` networks, :mod:`evornn.nets.cells.history_compressor`):

1. **Level 1**: the chromosome's level-2 genes are 0 (level 2's weights and the level-1 core's and
   readout's weights from h2), so h2 = act(0) adds nothing and the network is level 1 alone: the
   core and its readout predicting the next input. ``level1 = "bptt"`` trains them on the problem's
   own supervised signal (the next input; :mod:`evornn.grad.strategy`, with ``level1_settings``
   its keys), on the plain ``<level1 core>`` network with the same core and readout, whose
   chromosome is copied into the compressor's; any other optimiser name evolves the level-1 genes
   of the compressor itself. Stage 1 ends when the best level-1 network's training ``learnt``
   reaches ``level1_learnt``, or it has not improved for ``level1_patience`` generations, or level 1
   has stopped learning what it can predict (``level1_plateau``), or stage 1 has used
   ``level1_budget`` (counted as below).
   ``level1_plateau`` > 0: stage 1 also ends after that many generations in a row in which the best
   level-1 network's training MSE (as the compressor computes it, level 2 silent) did not fall below
   (1 - ``level1_plateau_tol``) times the lowest so far, unless ``level1_learnt`` has been reached
   (then ``level1_extra`` decides). This is the chunker's own end of the lower level's training, for
   problems where part of the input is unpredictable (two-sequence-lag 2b: the random middle), so
   that ``learnt`` never reaches a useful mark: Schmidhuber (1992) trains the lower level to predict
   what it can, and what it cannot predict is what the higher level sees. Off by default (0), so
   that runs set up before it are unchanged; ``level1_budget`` bounds stage 1 in any case.
   ``level1_extra`` > 0: once ``level1_learnt`` is reached, stage 1 trains on for that many more
   sequences (margins: a level 1 just inside the tolerance is upset by the smallest weight from h2).
2. **Level 2**: the level-1 genes are frozen at stage 1's best; ``level2`` (an evolutionary
   optimiser, ``level2_settings`` its keys) evolves the level-2 genes only: level 2's own weights
   and the weights that read h2: the readout's with ``readout_level2`` (the level-1 core's stay 0:
   level 1 is frozen as trained, blind to h2), otherwise the level-1 core's (h2's only way out).

Counting: the run's evaluations are training sequences presented (as ``bptt`` counts them, and as
Hochreiter & Schmidhuber 1997 count their training sequences): a gradient epoch adds the sequences
it trained on, an evolved generation rows x the sequences of the training split one evaluation
reads (2 for two-sequence-lag 2a).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from evornn.settings import make_config

from .base import InitFn, Strategy


@dataclass(frozen=True)
class LevelsConfig:
    level1: str = "bptt"              # stage 1 (level 1 alone): "bptt" or an evolutionary optimiser
    level2: str = "cosyne"            # stage 2 (level 2 on the frozen level 1): an evolutionary optimiser
    level1_budget: int = 10000        # sequences stage 1 may use at most
    level1_learnt: float = 1.0        # stage 1 ends when level 1's training "learnt" reaches this
    level1_patience: int = 0          # ... or after this many generations without a better "learnt" (0: off)
    level1_plateau: int = 0           # ... or after this many generations without the training MSE falling (0: off)
    level1_plateau_tol: float = 0.01  # ... by at least this fraction of its lowest value so far
    level1_extra: int = 0             # sequences stage 1 trains on after reaching level1_learnt
    level1_gain: float = 0.0          # > 0 (bptt, sigmoid outputs): level 1 trained with linear outputs z, used as sigmoid(gain (z - 1/2))
    level1_settings: dict = dataclasses.field(default_factory=dict)
    level2_settings: dict = dataclasses.field(default_factory=dict)

    def validate(self, where: str = "levels") -> None:
        from .registry import OPTIMISERS
        for key in ("level1", "level2"):
            name = getattr(self, key)
            if name not in OPTIMISERS or name in ("levels", "rtrl", "dekf", "esn-ridge", "storage-rule", "evolino") \
                    or (key == "level2" and name == "bptt"):
                raise ValueError(f"{where}.{key}: {name!r} is not an optimiser it can use")
        if isinstance(self.level1_budget, bool) or not isinstance(self.level1_budget, int) or self.level1_budget < 1:
            raise ValueError(f"{where}.level1_budget must be an integer >= 1, got {self.level1_budget!r}")
        if not 0 < self.level1_learnt <= 1:
            raise ValueError(f"{where}.level1_learnt must be in (0, 1], got {self.level1_learnt!r}")
        if not (self.level1_gain >= 0 and np.isfinite(self.level1_gain)):
            raise ValueError(f"{where}.level1_gain must be a finite number >= 0, got {self.level1_gain!r}")
        if self.level1_gain > 0 and self.level1 != "bptt":
            raise ValueError(f"{where}.level1_gain needs level1 = 'bptt', got {self.level1!r}")
        if isinstance(self.level1_extra, bool) or not isinstance(self.level1_extra, int) or self.level1_extra < 0:
            raise ValueError(f"{where}.level1_extra must be an integer >= 0, got {self.level1_extra!r}")
        if isinstance(self.level1_patience, bool) or not isinstance(self.level1_patience, int) \
                or self.level1_patience < 0:
            raise ValueError(f"{where}.level1_patience must be an integer >= 0, got {self.level1_patience!r}")
        if isinstance(self.level1_plateau, bool) or not isinstance(self.level1_plateau, int) \
                or self.level1_plateau < 0:
            raise ValueError(f"{where}.level1_plateau must be an integer >= 0, got {self.level1_plateau!r}")
        if not 0 <= self.level1_plateau_tol < 1:
            raise ValueError(f"{where}.level1_plateau_tol must be in [0, 1), got {self.level1_plateau_tol!r}")
        for key in ("level1_settings", "level2_settings"):
            if not isinstance(getattr(self, key), dict):
                raise ValueError(f"{where}.{key} must be a table of the optimiser's settings")


def level2_genes(net, part: str = "all") -> np.ndarray:
    """Boolean (n_params,): the level-2 genes of a ``history-compressor`` network: level 2's own
    weights, the level-1 core's and the readout's weights from h2 (``part="all"``; the rest are
    level 1's), or only those stage 2 evolves (``"trained"``: level 2's own and, with
    ``readout_level2``, the readout's, else the core's)."""
    from evornn.nets.layer import NIN, NOUT
    if net.spec.get("arch") != "history-compressor":
        raise ValueError(f"levels trains history-compressor networks, got {net.spec.get('arch')!r}")
    n_in, H2 = int(net.L[0, NIN]), int(net.layers[0].n_units)
    core_in, core_out = int(net.L[1, NIN]), int(net.L[1, NOUT])
    mask = np.zeros(net.n_params, dtype=bool)
    twin = _twin_core(net)
    joined = any(name == "out.W" and b.shape[-1] == core_out + H2 for name, _, b in net.blocks)
    for name, off, b in net.blocks:
        view = mask[off:off + b.size].reshape(b.shape)
        if name.startswith("level2."):
            view[...] = True
        elif name.startswith("level1."):
            shape = twin.get(name[len("level1."):])
            if shape is None or shape[:-1] != b.shape[:-1] or b.shape[-1] not in (shape[-1], shape[-1] + H2):
                raise ValueError(f"levels: cannot tell level 2's weights in block {name} of core "
                                 f"{net.spec.get('level1', 'elman')!r}")
            if b.shape[-1] == core_in and shape[-1] == core_in - H2 and (part == "all" or not joined):
                view[..., n_in:] = True              # the columns reading h2 ([x; h2] is the core's input)
        elif name == "out.W" and b.shape[-1] == core_out + H2:
            view[:, core_out:] = True               # the readout's columns reading h2 (readout_level2)
    return mask


def _core_spec(net) -> dict:
    s = net.spec
    keys = {"arch", "n_inputs", "n_outputs", "n_hidden", "n_hidden2", "level1", "activation", "output_activation",
            "threshold", "time_scale", "readout_level2", "dtype", "engine", "init_range"}
    opts = {k: v for k, v in s.items() if k not in keys}
    level1 = s.get("level1", "elman")
    act = s.get("activation") or ("tanh" if level1 == "elman" else None)
    return dict(level1=level1, n_hidden=int(s.get("n_hidden", 4)), activation=act, opts=opts,
                output_activation=s.get("output_activation", "sigmoid"))


def _twin_core(net) -> dict:
    """Block shapes of the level-1 core built on the network input alone (without h2)."""
    from evornn.nets.registry import make_core
    c = _core_spec(net)
    core = make_core(c["level1"], net.n_inputs, c["n_hidden"], c["n_hidden"], c["activation"], **c["opts"])
    return {b.name: b.shape for b in core.blocks}


def level1_network(net, linear: bool = False):
    """The plain network of the compressor's level 1 (its core on the input alone and a dense
    readout; ``linear``: with linear outputs) and the index (its n_params,) of each of its genes in
    the compressor's chromosome."""
    import evornn
    c = _core_spec(net)
    plain = evornn.build(c["level1"], net.n_inputs, net.n_outputs, n_hidden=c["n_hidden"], activation=c["activation"],
                         output_activation="linear" if linear else c["output_activation"], readout="dense", **c["opts"])
    where = {name: (off, b.shape) for name, off, b in net.blocks}
    idx = np.empty(plain.n_params, dtype=np.int64)
    for name, off, b in plain.blocks:
        full = name if name.startswith("out.") else "level1." + name
        if full not in where:
            raise ValueError(f"levels: the compressor has no block {full} for level 1's {name}")
        o, shape = where[full]
        cols = np.arange(o, o + int(np.prod(shape))).reshape(shape)[..., :b.shape[-1]]
        if cols.shape != b.shape:
            raise ValueError(f"levels: level 1's block {name} {b.shape} does not fit the compressor's {shape}")
        idx[off:off + b.size] = cols.reshape(-1)
    return plain, idx


class LevelByLevel(Strategy):
    name = "levels"
    description = ("history compressor level by level (Schmidhuber 1992): level 1 alone as a predictor (bptt or "
                   "evolution), then level 2 evolved on the frozen level 1; evaluations are training sequences")
    Config = LevelsConfig
    needs = "sequence data"
    default_net = {"arch": "history-compressor", "readout_level2": True}
    state_fields = ("stage", "base", "used1", "best_learnt", "since", "last_count", "reached", "best_mse", "stale")

    def __init__(self, n_params: int, config: Any, rng: np.random.Generator, init: InitFn):
        super().__init__(n_params, config, rng, init)
        self.stage, self.used1, self.best_learnt, self.since, self.last_count = 1, 0, -1.0, 0, 0
        self.reached = -1           # sequences used when level1_learnt was reached (-1: not yet)
        self.best_mse, self.stale = np.inf, 0   # level 1's lowest training MSE; generations since it fell
        self.base = np.zeros(n_params)
        self.inner = None
        self.net = self.problem = None

    # -- set up ------------------------------------------------------------------------------
    def setup(self, problem, net) -> None:
        data = getattr(problem, "train", None)
        if data is None or not hasattr(data, "n_sequences"):
            raise ValueError(f"levels trains on a supervised sequence problem; {getattr(problem, 'name', problem)!r} is not one")
        self.net, self.problem = net, problem
        self.mask = level2_genes(net)
        self.trained2 = level2_genes(net, "trained")
        self.n_seq = int(data.n_sequences)
        self.learnt_col = list(problem.metric_names).index("learnt")
        self._start_stage(self.stage)

    def _make(self, name: str, n: int, settings: dict, init: InitFn) -> Strategy:
        from .registry import get_strategy
        cls = get_strategy(name)
        return cls(n, make_config(cls.Config, dict(settings), f"levels.{name}"), self.rng, init)

    def _start_stage(self, stage: int) -> None:
        c, net, problem = self.config, self.net, self.problem
        self.stage = stage
        if stage == 1 and c.level1 == "bptt":
            if c.level1_gain > 0 and _core_spec(net)["output_activation"] != "sigmoid":
                raise ValueError("levels.level1_gain needs a network with sigmoid outputs")
            self.plain, self.idx = level1_network(net, linear=c.level1_gain > 0)
            lay = self.plain.layout
            self.out_w = self.idx[lay["out.W"][0]:lay["out.W"][0] + int(np.prod(lay["out.W"][1]))]
            self.out_b = self.idx[lay["out.b"][0]:lay["out.b"][0] + int(np.prod(lay["out.b"][1]))]
            covered = np.zeros(net.n_params, dtype=bool)
            covered[self.idx] = True
            if np.any(covered == self.mask):
                raise ValueError("levels: level 1's plain network does not cover exactly the level-1 genes")
            self.inner = self._make("bptt", self.plain.n_params, c.level1_settings,
                                    lambda rng, n: problem.initial(self.plain, rng, n))
            self.inner.setup(problem, self.plain)
            return
        genes = ~self.mask if stage == 1 else self.trained2
        self.idx = np.flatnonzero(genes)
        name, settings = (c.level1, c.level1_settings) if stage == 1 else (c.level2, c.level2_settings)
        self.inner = self._make(name, self.idx.size, settings,
                                lambda rng, n: np.atleast_2d(problem.initial(net, rng, n))[:, self.idx])
        self.inner.setup(problem, net)

    # -- ask / tell --------------------------------------------------------------------------
    def ask(self) -> np.ndarray:
        if self.inner is None:
            raise ValueError("levels needs the problem and the network: build the run with evornn.make_runner/optimise")
        sub = self._sub = self.inner.ask()
        pop = np.repeat(self.base[None, :], sub.shape[0], axis=0)
        if self.stage == 1:
            pop[:, self.mask] = 0.0
        pop[:, self.idx] = sub
        if self.stage == 1 and self.config.level1_gain > 0:
            self._sigmoid_readout(pop)
        return pop

    def _sigmoid_readout(self, pop: np.ndarray) -> None:
        """Level 1 trained with linear outputs z, in the compressor as sigmoid(gain (z - 1/2)): its
        readout's weights times gain, biases gain (b - 1/2). A linear output within 0.25 of a 0/1
        target stays on its side of 1/2, and a sigmoid output saturates there, so level 2 can
        move one output at one step (a sum with a constant h2) without moving it at the others."""
        g = self.config.level1_gain
        pop[:, self.out_w] *= g
        pop[:, self.out_b] = g * (pop[:, self.out_b] - 0.5)

    def update(self, population: np.ndarray, fitness: np.ndarray) -> None:
        sub = self._sub                     # as the stage's optimiser asked (level 1: before any gain)
        self.inner.tell(sub, fitness)
        gradient = self.stage == 1 and self.config.level1 == "bptt"      # counts its sequences itself
        self.last_count = int(self.inner.evaluations_counted(sub)) * (1 if gradient else self.n_seq)
        if self.stage == 2:
            return
        self.used1 += self.last_count
        i = int(np.argmax(fitness))
        c = self.config
        row = self.problem.evaluate(self.net, population[i:i + 1]).metrics[0]
        learnt, mse = float(row[self.learnt_col]), float(row[0])
        if learnt > self.best_learnt:
            self.best_learnt, self.since = learnt, 0
        else:
            self.since += 1
        if mse < self.best_mse * (1.0 - c.level1_plateau_tol):
            self.stale = 0
        else:
            self.stale += 1
        self.best_mse = min(self.best_mse, mse)
        if learnt >= c.level1_learnt and self.reached < 0:
            self.reached = self.used1
        done = self.reached >= 0 and self.used1 - self.reached >= c.level1_extra
        plateau = c.level1_plateau and self.reached < 0 and self.stale >= c.level1_plateau
        if done or plateau or self.used1 >= c.level1_budget or (c.level1_patience and self.since >= c.level1_patience):
            best = self.inner.best_x if self.inner.best_x is not None else sub[i]
            base = np.zeros((1, self.n_params))
            base[0, self.idx] = best
            if c.level1_gain > 0:
                self._sigmoid_readout(base)
            self.base = base[0]
            self._start_stage(2)

    def evaluations_counted(self, population: np.ndarray) -> int:
        """Training sequences the last generation used (see the module doc)."""
        return int(self.last_count)

    def info(self) -> dict[str, Any]:
        return {"stage": int(self.stage), "level1_sequences": int(self.used1), "level1_learnt": float(self.best_learnt),
                "level1_mse": float(self.best_mse)}

    # -- checkpoint state: this strategy's fields and the running stage's optimiser -------------
    def get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super().get_state()
        inner_arrays, inner_meta = self.inner.get_state()
        arrays.update({"inner." + k: v for k, v in inner_arrays.items()})
        meta["inner"] = inner_meta
        return arrays, meta

    def set_state(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        super().set_state({k: v for k, v in arrays.items() if not k.startswith("inner.")}, meta)
        if self.best_mse is None:           # a checkpoint from before level1_plateau
            self.best_mse, self.stale = np.inf, 0
        if self.net is not None:
            self._start_stage(int(self.stage))
            self.inner.set_state({k[6:]: v for k, v in arrays.items() if k.startswith("inner.")}, meta["inner"])
