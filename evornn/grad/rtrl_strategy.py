"""Real-time recurrent learning as a strategy (``rtrl``): Williams & Zipser (1989), "A learning
algorithm for continually running fully recurrent neural networks", Neural Computation 1(2).

Online training: the sequences are presented one after another in a random order each epoch, the
sensitivities are carried forward through each sequence, and the weights change after every
scored step by ``learning_rate`` times that step's gradient (clipped to ``clip_norm``). Supports
the frnn and elman networks. Generations, evaluations and data as in :mod:`evornn.grad.strategy`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evornn.nets.layer import NUNITS

from . import rtrl
from .strategy import GradientStrategy


@dataclass(frozen=True)
class RTRLConfig:
    learning_rate: float = 0.05   # per step
    clip_norm: float = 1.0        # per step gradient; 0 switches clipping off

    def validate(self, where: str = "rtrl") -> None:
        if not self.learning_rate > 0 or self.clip_norm < 0:
            raise ValueError(f"{where}: learning_rate must be > 0 and clip_norm >= 0, got "
                             f"{self.learning_rate}, {self.clip_norm}")


class RTRLStrategy(GradientStrategy):
    name = "rtrl"
    description = ("real-time recurrent learning (Williams & Zipser 1989): online, one weight update per step; "
                   "frnn and elman")
    Config = RTRLConfig
    supported = rtrl.SUPPORTED

    @classmethod
    def memory_bytes(cls, config, n_params, net=None, problem=None) -> int:
        """RTRL's sensitivities: two (H, n) matrices (H hidden units) and a few vectors."""
        H = int(net.L[0, NUNITS]) if net is not None else 1
        return (2 * H + 8) * int(n_params) * 8

    def train_epoch(self, w: np.ndarray) -> np.ndarray:
        order = self.rng.permutation(self.data.starts.shape[0] - 1).astype(np.int64)
        self.last_loss, w_new = rtrl.online(self.net, w, self.data, order, self.config.learning_rate,
                                            self.config.clip_norm)
        return w_new if np.all(np.isfinite(w_new)) else w
