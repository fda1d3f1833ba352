"""Scalar activation functions for the kernels, dispatched by an integer code.

NaN propagates through every branch (``relu(nan)`` is nan, not 0), so a broken chromosome gives
non-finite outputs instead of plausible numbers.
"""
import math

from numba import njit

from .layer import RELU, SIGMOID, TANH


@njit(cache=True, inline="always", error_model="numpy")
def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


@njit(cache=True, inline="always", error_model="numpy")
def activate(code, v):
    if code == SIGMOID:
        return sigmoid(v)
    if code == TANH:
        return math.tanh(v)
    if code == RELU:
        return 0.0 if v < 0.0 else v
    return v
