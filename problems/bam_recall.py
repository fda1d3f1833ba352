"""BAM recall: hetero-associative memory of random bipolar pairs (Kosko 1988).

``pairs`` random pairs (A_k, B_k) of ``n`` and ``p`` bits (+1/-1, drawn from ``seed``) are to be
stored. Each A_k is given as a cue ``probes`` times with exactly round(noise * n) bits flipped;
the network (a ``bam`` with ``outputs = "ab"``, or any network with n inputs and n + p outputs)
must return A_k and B_k, read by sign. Fitness is the fraction of the bits of A and B recalled
right; metrics: ``bits`` (the same), ``exact_a``, ``exact_b`` and ``exact`` (fractions of cues
whose A, B, both came back exactly) and ``fixed`` (1 when every clean A_k recalls its pair).

Solved: every pair recalled from its clean cue and from each of ``test_probes`` fresh noisy cues.

``init``: where the optimisers start: "random" (the network's initialiser) or "correlation" (a
``bam`` network only): Kosko's correlation matrix plus normal noise of ``init_sigma`` times its
root mean square, every parameter.

``margin`` > 0 (a ``bam`` network only) adds ``margin`` times the mean over the stored bits of
min(gamma, kappa) / kappa to the fitness, gamma the stabilities of the B bits in the forward pass
from A and of the A bits in the backward pass from B (:func:`evornn.nets.associative.bam_stability`),
as ``hopfield-recall``'s margin term.
"""
from __future__ import annotations

import numpy as np

from evornn.nets.associative import bam_stability, correlation
from evornn.problem import EvalResult, Problem, SolvedCheck
from evornn.seeding import generator

from .hopfield_recall import check_margin, check_params, flip, margin_term, perturbed, recall, recall_bytes

DESCRIPTION = "recall of stored random bipolar pairs (A, B) from noisy cues of A (Kosko 1988)"


def score(S: np.ndarray, target: np.ndarray, n: int) -> np.ndarray:
    """(P_pop, 4): recalled-bit fraction, exact A, exact B, exact both."""
    right = S == target[None]
    a, b = right[:, :, :n].all(axis=2), right[:, :, n:].all(axis=2)
    return np.column_stack([right.mean(axis=(1, 2)), a.mean(axis=1), b.mean(axis=1), (a & b).mean(axis=1)])


class BamRecall(Problem):
    metric_names = ("bits", "exact_a", "exact_b", "exact", "fixed")
    output_activation = "linear"
    solved_description = "every pair recalled exactly from its clean cue and from every fresh noisy test cue"

    def __init__(self, name: str, n: int, p: int, pairs: int, noise: float, probes: int, test_probes: int,
                 seed: int, init: str = "random", init_sigma: float = 0.5, margin: float = 0.0, kappa: float = 2.0):
        self.name, self.description = name, DESCRIPTION
        self.n_inputs, self.n_outputs = n, n + p
        self.default_net = {"arch": "bam", "outputs": "ab"}
        self._params = {"n": n, "p": p, "pairs": pairs, "noise": noise, "probes": probes,
                        "test_probes": test_probes, "seed": seed, "init": init, "init_sigma": init_sigma,
                        "margin": margin, "kappa": kappa}
        rng = generator(seed, 0)
        self.A = rng.choice([-1.0, 1.0], size=(pairs, n))
        self.B = rng.choice([-1.0, 1.0], size=(pairs, p))
        self.n_flip = int(round(noise * n))
        self.cues = flip(self.A, self.n_flip, probes, generator(seed, 1))
        self.targets = np.repeat(np.hstack([self.A, self.B]), probes, axis=0)
        self.test = flip(self.A, self.n_flip, test_probes, generator(seed, 2))
        self.episode_length = self.cues.shape[0] + pairs

    def params(self) -> dict:
        return dict(self._params)

    def memories(self) -> tuple[np.ndarray, ...]:
        """What the ``storage-rule`` optimiser stores."""
        return (self.A, self.B)

    def initial(self, net, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        if self._params["init"] == "random":
            return net.init(rng, n)
        return perturbed(correlation(net, self.A, self.B), self._params["init_sigma"], rng, n)

    def check_network(self, net) -> None:
        super().check_network(net)
        if self._params["init"] == "correlation" and net.name != "bam":
            raise ValueError(f"problem {self.name}: init 'correlation' needs a bam network, got {net.name}")
        if self._params["margin"] > 0.0 and (net.name != "bam" or net.n_outputs != self.n_outputs):
            raise ValueError(f"problem {self.name}: margin > 0 (the pairs' stabilities) needs a bam network with "
                             f"outputs 'ab', got {net.name}")

    def evaluation_bytes(self, net, rows: int, threads: int) -> int:
        stab = 8 * int(rows) * (self.A.shape[1] * self.B.shape[1] + 3 * (self.A.size + self.B.size)) \
            if self._params["margin"] > 0 else 0
        return super().evaluation_bytes(net, rows, threads) + recall_bytes(
            net, rows, self.cues.shape[0] + self.A.shape[0]) + stab

    def evaluate(self, net, W: np.ndarray, seeds: np.ndarray) -> EvalResult:
        S = recall(net, W, np.vstack([self.cues, self.A]))
        k = self.cues.shape[0]
        m = score(S[:, :k], self.targets, self.n_inputs)
        fixed = (S[:, k:] == np.hstack([self.A, self.B])[None]).all(axis=(1, 2)).astype(np.float64)
        fit = m[:, 0].copy()
        if self._params["margin"] > 0.0:
            fit += margin_term(bam_stability(net, W, self.A, self.B), self._params["margin"], self._params["kappa"])
        return EvalResult(fit, np.column_stack([m, fixed]))

    def check_solved(self, net, w: np.ndarray, result_row: np.ndarray, seed: int) -> SolvedCheck:
        if result_row[self.metric_names.index("fixed")] < 1.0:
            return SolvedCheck(False)
        S = recall(net, np.asarray(w, dtype=np.float64)[None, :], self.test)
        target = np.repeat(np.hstack([self.A, self.B]), self._params["test_probes"], axis=0)
        exact = score(S, target, self.n_inputs)[0, 3]
        return SolvedCheck(bool(exact == 1.0), test_episodes=self.test.shape[0], info={"test_exact": float(exact)})


def estimate_data_bytes(name: str, n: int, p: int, pairs: int, probes: int, test_probes: int, **_) -> int:
    """The memory guard's size of the data (:mod:`problems.registry`): per pair, A and B, the
    training cues and their targets (A and B), the test cues, float64."""
    n, p, probes = int(n), int(p), int(probes)
    return 8 * int(pairs) * (n + p + probes * n + probes * (n + p) + int(test_probes) * n)


def make(name: str = "bam-recall", n: int = 32, p: int = 32, pairs: int = 4, noise: float = 0.1,
         probes: int = 4, test_probes: int = 10, seed: int = 0, init: str = "random", init_sigma: float = 0.5,
         margin: float = 0.0, kappa: float = 2.0) -> BamRecall:
    """``pairs`` random pairs of ``n`` and ``p`` bits; ``probes`` noisy cues of each A for training."""
    check_params(name, {"n": n, "p": p, "pairs": pairs, "probes": probes, "test_probes": test_probes},
                 noise, seed, init, ("random", "correlation"), init_sigma)
    check_margin(name, margin, kappa)
    return BamRecall(name, int(n), int(p), int(pairs), float(noise), int(probes), int(test_probes), int(seed),
                     init, float(init_sigma), float(margin), float(kappa))
