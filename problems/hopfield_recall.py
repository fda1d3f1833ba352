"""Hopfield recall: content-addressable memory of random bipolar patterns (Hopfield 1982).

``patterns`` random patterns of ``n_units`` bits (+1/-1, drawn from ``seed``) are to be stored in
the network. Each is probed ``probes`` times with exactly round(noise * n_units) bits flipped
(bits chosen at random from the seed, fixed for the problem): the network gets the probe as its
input (one probe per one-step sequence) and its output is read by sign. Fitness is the fraction
of probe bits recalled right (the recalled bits; with ``fitness = "exact"``: the fraction of probes
recalled exactly, plus 1/100 of the recalled bits to break ties); metrics: ``bits`` (the same), ``exact``
(fraction of probes recalled exactly), ``overlap`` (mean (1/N) sum_i xi_i sgn(y_i)) and ``fixed``
(1 when every stored pattern, given unchanged, comes back unchanged: all are fixed points).

Solved: every stored pattern a fixed point and every one of ``test_probes`` fresh probes per
pattern (other flipped bits, same noise) recalled exactly.

Any architecture with n_units inputs and outputs can be evolved on it; ``hopfield`` is the
default. The storage rules of :mod:`evornn.nets.associative` (Hebbian, Storkey, pseudo-inverse)
store the patterns in closed form to compare against; ``modern`` makes them the memories of a
``modern-hopfield`` network (Ramsauer et al. 2020; its outputs are graded, read by sign too).

``init``: where the optimisers start: "random" (the network's initialiser) or "hebbian" (a
``hopfield`` or ``hopfield-continuous`` network only): the Hebbian weights plus normal noise of
``init_sigma`` times their root mean square, every parameter (thresholds included).

``margin`` > 0 (a ``hopfield`` network only) adds a stability term to the fitness: ``margin``
times the mean over the stored bits of min(gamma, kappa) / kappa, where gamma is Gardner's (1988)
stability of bit i of pattern mu, xi_i (sum_j W_ij xi_j - theta_i) / |W_i|
(:func:`evornn.nets.associative.stability`). A bit is a fixed point when gamma > 0; a margin
gamma >= kappa over every bit widens the basins of attraction (Krauth & Mezard 1987; Kepler &
Abbott 1988; the projection rule gives bit i gamma = sqrt((1 - C_ii) / C_ii), C_ii about the load P/N).
The term is a smooth signal where the recalled bits change only in steps.
"""
from __future__ import annotations

import numpy as np

from evornn.nets import hopfield_fields
from evornn.nets.associative import HOPFIELDS, hebbian, stability
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import generator


DESCRIPTION = "recall of stored random bipolar patterns from noisy probes (Hopfield 1982)"


def flip(patterns: np.ndarray, n_flip: int, copies: int, rng: np.random.Generator) -> np.ndarray:
    """``copies`` probes per pattern (row), each with exactly ``n_flip`` bits flipped: (P * copies, N)."""
    P, N = patterns.shape
    X = np.repeat(patterns, copies, axis=0)
    for r in range(X.shape[0]):
        X[r, rng.choice(N, n_flip, replace=False)] *= -1.0
    return X


def recall(net, W: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """The recalled states sgn(y) (P_pop, k, N) of every row of W for every probe (k, N). An
    asynchronous float64 ``hopfield`` network recalls with incremental fields
    (:mod:`evornn.nets.hopfield_fields`: the kernel's bits, faster), any other network by its kernel."""
    if hopfield_fields.applies(net):
        return np.sign(hopfield_fields.recall_population(net, W, probes))
    starts = np.arange(probes.shape[0] + 1, dtype=np.int64)       # each probe its own sequence
    return np.sign(net.run_population(W, probes, starts))


def recall_bytes(net, rows: int, n_probes: int) -> int:
    """Bytes :func:`recall` and the scores take for ``rows`` chromosomes and ``n_probes`` probes: the
    network's outputs, their signs, and the comparisons with the targets (a bool and a float each)."""
    return int(net.outputs_bytes(rows, n_probes)) + int(rows) * int(n_probes) * net.n_outputs * (8 + 8 + 1)


def score(S: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(recalled-bit fraction, exact-recall fraction, mean overlap) per individual."""
    right = S == target[None]
    return right.mean(axis=(1, 2)), right.all(axis=2).mean(axis=1), (S * target[None]).mean(axis=(1, 2))


def perturbed(w: np.ndarray, sigma: float, rng: np.random.Generator, n: int | None) -> np.ndarray:
    """``w`` plus normal noise of ``sigma`` times its root mean square (one row, or ``n``)."""
    W = w + rng.normal(0.0, 1.0, (1 if n is None else n, w.size)) * (sigma * np.sqrt(np.mean(w ** 2)))
    return W[0] if n is None else W


def check_params(name: str, sizes: dict, noise, seed, init, inits: tuple[str, ...], init_sigma) -> None:
    """One-line errors for the recall problems' parameters."""
    for key, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"problem {name}: {key} must be an integer >= 1, got {v!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0.0 <= noise <= 0.5:
        raise ValueError(f"problem {name}: noise must be a fraction of flipped bits in [0, 0.5], got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"problem {name}: seed must be an integer >= 0, got {seed!r}")
    if init not in inits:
        raise ValueError(f"problem {name}: init must be {' or '.join(repr(i) for i in inits)}, got {init!r}")
    if isinstance(init_sigma, bool) or not isinstance(init_sigma, (int, float)) or not 0.0 <= init_sigma < np.inf:
        raise ValueError(f"problem {name}: init_sigma must be a finite number >= 0, got {init_sigma!r}")


def check_margin(name: str, margin, kappa) -> None:
    """One-line errors for the stability-margin fitness term's parameters."""
    for key, v in (("margin", margin), ("kappa", kappa)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v < np.inf or (key == "kappa" and v == 0):
            raise ValueError(f"problem {name}: {key} must be a finite number {'>= 0' if key == 'margin' else '> 0'}, "
                             f"got {v!r}")


def margin_term(gamma: np.ndarray, margin: float, kappa: float) -> np.ndarray:
    """``margin`` times the mean over stored bits of min(gamma, kappa) / kappa, per individual: the
    stability term of the fitness (gamma: (pop, patterns, bits) stabilities)."""
    return margin * np.minimum(gamma, kappa).mean(axis=(1, 2)) / kappa


class HopfieldRecall(Problem):
    metric_names = ("bits", "exact", "overlap", "fixed")
    output_activation = "linear"
    solved_description = "every stored pattern a fixed point and every fresh test probe recalled exactly"

    def __init__(self, name: str, n_units: int, patterns: int, noise: float, probes: int, test_probes: int,
                 seed: int, init: str = "random", init_sigma: float = 0.5, fitness: str = "bits",
                 margin: float = 0.0, kappa: float = 2.0):
        self.name, self.description = name, DESCRIPTION
        self.n_inputs = self.n_outputs = n_units
        self.default_net = {"arch": "hopfield"}
        self._params = {"n_units": n_units, "patterns": patterns, "noise": noise, "probes": probes,
                        "test_probes": test_probes, "seed": seed, "init": init, "init_sigma": init_sigma,
                        "fitness": fitness, "margin": margin, "kappa": kappa}
        self.n_flip = int(round(noise * n_units))
        self.patterns = generator(seed, 0).choice([-1.0, 1.0], size=(patterns, n_units))
        self.probes = flip(self.patterns, self.n_flip, probes, generator(seed, 1))
        self.targets = np.repeat(self.patterns, probes, axis=0)
        self.test = flip(self.patterns, self.n_flip, test_probes, generator(seed, 2))
        self.episode_length = self.probes.shape[0] + patterns

    def params(self) -> dict:
        return dict(self._params)

    def memories(self) -> tuple[np.ndarray, ...]:
        """What the ``storage-rule`` optimiser stores."""
        return (self.patterns,)

    def initial(self, net, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        if self._params["init"] == "random":
            return net.init(rng, n)
        return perturbed(hebbian(net, self.patterns), self._params["init_sigma"], rng, n)

    def check_network(self, net) -> None:
        super().check_network(net)
        if self._params["init"] == "hebbian" and net.name not in HOPFIELDS:
            raise ValueError(f"problem {self.name}: init 'hebbian' needs a hopfield or hopfield-continuous "
                             f"network, got {net.name}")
        if self._params["margin"] > 0.0 and net.name != "hopfield":
            raise ValueError(f"problem {self.name}: margin > 0 (the patterns' stabilities) needs a hopfield network, "
                             f"got {net.name}")

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        stab = 8 * int(rows) * (2 * self.n_inputs ** 2 + 3 * self.patterns.size) if self._params["margin"] > 0 else 0
        return super().evaluation_bytes(net, rows, threads) + recall_bytes(
            net, rows, self.probes.shape[0] + self.patterns.shape[0]) + stab

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        S = recall(net, W, np.vstack([self.probes, self.patterns]))
        k = self.probes.shape[0]
        bits, exact, overlap = score(S[:, :k], self.targets)
        fixed = (S[:, k:] == self.patterns[None]).all(axis=(1, 2)).astype(np.float64)
        fit = bits.copy() if self._params["fitness"] == "bits" else exact + 0.01 * bits
        if self._params["margin"] > 0.0:
            fit += margin_term(stability(net, W, self.patterns), self._params["margin"], self._params["kappa"])
        return EvalResult(fit, np.column_stack([bits, exact, overlap, fixed]))

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        if result_row[self.metric_names.index("fixed")] < 1.0:
            return SolvedCheck(False)
        S = recall(net, np.asarray(w, dtype=np.float64)[None, :], self.test)
        _, exact, _ = score(S, np.repeat(self.patterns, self._params["test_probes"], axis=0))
        return SolvedCheck(bool(exact[0] == 1.0), test_episodes=self.test.shape[0],
                           info={"test_exact": float(exact[0])})


def estimate_data_bytes(name: str, n_units: int, patterns: int, probes: int, test_probes: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): the patterns, the training
    probes and their targets, the test probes: (1 + 2 probes + test_probes) rows of ``n_units``
    float64 per pattern."""
    return 8 * int(n_units) * int(patterns) * (1 + 2 * int(probes) + int(test_probes))


def make(name: str = "hopfield-recall", n_units: int = 64, patterns: int = 8, noise: float = 0.1,
         probes: int = 4, test_probes: int = 10, seed: int = 0, init: str = "random", init_sigma: float = 0.5,
         fitness: str = "bits", margin: float = 0.0, kappa: float = 2.0) -> HopfieldRecall:
    """``patterns`` random patterns of ``n_units`` bits; ``probes`` noisy probes of each for training."""
    check_params(name, {"n_units": n_units, "patterns": patterns, "probes": probes, "test_probes": test_probes},
                 noise, seed, init, ("random", "hebbian"), init_sigma)
    if fitness not in ("bits", "exact"):
        raise ValueError(f"problem {name}: fitness must be 'bits' or 'exact', got {fitness!r}")
    check_margin(name, margin, kappa)
    return HopfieldRecall(name, int(n_units), int(patterns), float(noise), int(probes), int(test_probes), int(seed),
                          init, float(init_sigma), fitness, float(margin), float(kappa))
