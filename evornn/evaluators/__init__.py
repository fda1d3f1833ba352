"""Evaluators: who computes a population's fitness (local Numba threads, or Ray actors)."""
from .local import LocalEvaluator

__all__ = ["LocalEvaluator"]
