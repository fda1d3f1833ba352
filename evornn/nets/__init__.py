"""Recurrent network architectures as flat chromosomes, run by Numba kernels."""
from .network import Network
from .registry import ARCHS, build, register

__all__ = ["ARCHS", "Network", "build", "register"]
