"""The problem interface: what every benchmark (and a user's own task) provides.

A problem carries its metadata (sizes, episode length, what "solved" means, the names of the
metrics its evaluation reports) and evaluates a population of chromosomes of a given network in
one call. Optimisers maximise ``fitness``; stopping criteria read ``metrics`` by name.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np


@dataclass
class EvalResult:
    """Fitness (P,) float64, higher is better, and metrics (P, k) in ``problem.metric_names`` order.

    ``chromosomes`` (P, n_params): the rows as the problem scored them when it rewrote some of
    their genes (a readout solved in closed form: ``readout="ridge"`` of the supervised problems);
    None when it scored W as given. The runner keeps these rows as the best, so a saved chromosome
    reproduces its score; the optimiser is told the rows it asked for.
    """

    fitness: np.ndarray
    metrics: np.ndarray
    chromosomes: np.ndarray | None = None

    def metric(self, names: tuple[str, ...], name: str) -> np.ndarray:
        return self.metrics[:, names.index(name)]


@dataclass
class SolvedCheck:
    """The outcome of a problem's own test of one network (e.g. 100,000 steps + generalization).

    ``test_episodes`` counts the episodes the test ran; they are not evaluations.
    """

    solved: bool
    test_episodes: int = 0
    info: dict = field(default_factory=dict)


class Problem(ABC):
    """Base class of problems. Subclasses set the attributes and implement :meth:`evaluate`."""

    name: str = ""
    description: str = ""
    n_inputs: int = 0
    n_outputs: int = 0
    episode_length: int = 0            # steps of one evaluation (an episode, or the training data)
    solved_description: str = ""       # what "solved" means, in words
    metric_names: tuple[str, ...] = ()
    output_activation: str = "linear"  # what a network's outputs should be squashed with by default
    needs_steps: bool = False          # True when the network must run step by step (closed loop)
    default_net: dict = {"arch": "elman", "n_hidden": 8}   # the network used when none is named
    common_seeds: bool = False         # True: a generation's individuals share one evaluation seed (common random numbers)
    own_gradient: bool = False         # True: the bptt trainer uses the problem's gradient() (seq2seq, CTC)

    @abstractmethod
    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        """Evaluate every row of W (P, net.n_params); ``seeds`` (P,) uint64 for any randomness."""

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        """The problem's own test of a network whose evaluation metrics are ``result_row``.

        The default reads nothing: problems with a definition of "solved" override it.
        """
        return SolvedCheck(False)

    def initial(self, net, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """The optimisers' starting chromosomes (as ``net.init``: one, or ``n`` rows). The default is
        the network's own random initialisation; a problem may start elsewhere (an option of it),
        e.g. from a closed-form solution perturbed."""
        return net.init(rng, n)

    # -- the gradient hook (problems with their own loss: own_gradient = True) ------------------
    n_train_sequences: int = 0         # the training sequences one epoch of gradient steps presents

    def check_gradient(self, net) -> None:
        """Raise a one-line ValueError when :meth:`gradient` cannot train ``net``."""
        raise ValueError(f"problem {self.name} has no gradient of its own")

    def gradient(self, net, w: np.ndarray, seqs: np.ndarray, seed: int = 0, truncation: int = 0):
        """(loss, d loss / d w) of chromosome ``w`` over training sequences ``seqs``."""
        raise ValueError(f"problem {self.name} has no gradient of its own")

    def gradient_bytes(self, net) -> int:
        """Bytes one call of :meth:`gradient` over the whole training split allocates besides the
        chromosome-sized vectors (its stored states): asked by the memory guard for problems with
        their own gradient (``net`` may be a layout-only network)."""
        return 0

    def params(self) -> dict:
        """The parameters the problem was made with (JSON-able), to record and to remake it."""
        return {}

    # -- memory (evornn.memory): asked before a run allocates its population ------------------
    def data_bytes(self) -> int:
        """Bytes of the problem's own data: by default every NumPy array among its attributes (and
        theirs, one level down: a dataset object, a tuple of arrays)."""
        return _array_bytes(self, depth=2, seen=set())

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        """Bytes :meth:`evaluate` of ``rows`` chromosomes of ``net`` takes on ``threads`` threads
        besides the population: by default what the network's kernels take
        (:meth:`~evornn.nets.network.Network.evaluation_bytes`) and the results (fitness, metrics
        and the runner's copy of the fitness). Problems whose evaluation keeps more per individual
        (outputs of every step, recalled states) override it."""
        return int(net.evaluation_bytes(rows, threads)) + int(rows) * (2 + len(self.metric_names)) * 8

    def check_network(self, net) -> None:
        """Raise a one-line ValueError when ``net`` does not fit this problem."""
        if net.n_inputs != self.n_inputs or net.n_outputs != self.n_outputs:
            raise ValueError(f"problem {self.name} needs a network with {self.n_inputs} inputs and "
                             f"{self.n_outputs} outputs, got {net.n_inputs} and {net.n_outputs}")
        if self.needs_steps and not net.steppable:
            raise ValueError(f"problem {self.name} runs the network step by step in a closed loop; "
                             f"{net.name} needs the whole sequence first")


def _array_bytes(obj, depth: int, seen: set) -> int:
    """Bytes of the NumPy arrays reachable from ``obj`` through attributes, tuples, lists and dicts."""
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if depth <= 0:
        return 0
    if isinstance(obj, (list, tuple)):
        items = obj
    elif isinstance(obj, dict):
        items = obj.values()
    else:
        items = getattr(obj, "__dict__", {}).values()
    return sum(_array_bytes(v, depth - 1, seen) for v in items)
