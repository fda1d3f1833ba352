"""Evaluators: who computes a population's fitness (local Numba threads, or Ray actors)."""
from .factory import make_evaluator
from .local import LocalEvaluator
from .ray_evaluator import NoWorkersLeft, RayEvaluator

__all__ = ["LocalEvaluator", "NoWorkersLeft", "RayEvaluator", "make_evaluator"]
