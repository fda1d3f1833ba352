"""Gradient-descent steps: SGD with momentum, Adam, gradient-norm clipping, mini-batch epochs.

SGD with (heavy-ball) momentum (Polyak 1964; Rumelhart, Hinton & Williams 1986):
v <- momentum v - lr g, w <- w + v. Adam (Kingma & Ba 2015, "Adam: a method for stochastic
optimization", ICLR): bias-corrected first and second moment estimates. Clipping rescales a
gradient whose Euclidean norm exceeds ``clip_norm`` to that norm (Pascanu, Mikolov & Bengio 2013,
"On the difficulty of training recurrent neural networks", ICML).

The state (``m``, ``v``, ``steps``) is plain arrays and numbers, so a trainer is checkpointed with
the strategy that owns it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class GradConfig:
    """Settings of a gradient trainer ([optimiser] keys in a config)."""

    optimizer: str = "adam"       # "adam" or "sgd" (with momentum)
    learning_rate: float = 0.01
    momentum: float = 0.9         # sgd
    beta1: float = 0.9            # adam
    beta2: float = 0.999          # adam
    epsilon: float = 1e-8         # adam
    clip_norm: float = 1.0        # 0 switches clipping off
    batch_size: int = 16          # sequences per gradient step; 0 = all (full batch)
    truncation: int = 0           # BPTT window k; 0 = full BPTT

    def validate(self, where: str = "bptt") -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"{where}.optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"{where}.learning_rate must be > 0, got {self.learning_rate}")
        for k in ("momentum", "beta1", "beta2"):
            if not 0 <= getattr(self, k) < 1:
                raise ValueError(f"{where}.{k} must be in [0, 1), got {getattr(self, k)}")
        if not self.epsilon > 0 or self.clip_norm < 0:
            raise ValueError(f"{where}: epsilon must be > 0 and clip_norm >= 0, got {self.epsilon}, {self.clip_norm}")
        if self.batch_size < 0 or self.truncation < 0:
            raise ValueError(f"{where}: batch_size and truncation must be >= 0, got {self.batch_size}, {self.truncation}")


def clip(g: np.ndarray, max_norm: float) -> np.ndarray:
    """g rescaled to norm ``max_norm`` when its norm is larger (and max_norm > 0)."""
    norm = float(np.linalg.norm(g))
    if max_norm > 0 and norm > max_norm:
        return g * (max_norm / norm)
    return g


def adam(m: np.ndarray, v: np.ndarray, t: int, g: np.ndarray, lr: float, beta1: float, beta2: float,
         eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adam (Kingma & Ba 2015), step ``t`` (from 1) with gradient ``g``: the new moments and the step
    lr m_hat / (sqrt(v_hat) + eps), bias-corrected (subtract it to descend, add it to ascend)."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return m, v, lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)


class Trainer:
    """Mini-batch gradient descent on a chromosome ``w`` with the update rule of ``cfg``."""

    def __init__(self, cfg: GradConfig, n_params: int):
        self.cfg = cfg
        self.m = np.zeros(n_params)     # sgd: velocity; adam: first moment
        self.v = np.zeros(n_params)     # adam: second moment
        self.steps = 0

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """The chromosome after one step along gradient ``g`` (clipped first)."""
        c = self.cfg
        g = clip(g, c.clip_norm)
        self.steps += 1
        if c.optimizer == "sgd":
            self.m = c.momentum * self.m - c.learning_rate * g
            return w + self.m
        self.m, self.v, d = adam(self.m, self.v, self.steps, g, c.learning_rate, c.beta1, c.beta2, c.epsilon)
        return w - d

    def epoch(self, w: np.ndarray, n_sequences: int, rng: np.random.Generator,
              grad: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]) -> tuple[np.ndarray, float]:
        """One pass over the sequences in a random order, in mini-batches; ``grad(w, seqs)`` ->
        (loss, gradient). Returns (new w, mean of the batch losses)."""
        order = rng.permutation(n_sequences).astype(np.int64)
        bs = self.cfg.batch_size or n_sequences
        losses = []
        for i in range(0, n_sequences, bs):
            loss, g = grad(w, np.sort(order[i:i + bs]))
            if not np.all(np.isfinite(g)):
                break                      # a diverged network: stop the epoch, keep w
            losses.append(loss)
            w = self.step(w, g)
        return w, float(np.mean(losses)) if losses else float("inf")
