"""The kernels every oracle test runs: SIMD lanes in float64 (the default), one individual at a
time in float64 (``engine="scalar"``) and SIMD lanes in float32; and the tolerance of each."""
import numpy as np

ENGINES = {"lanes": {}, "scalar": {"engine": "scalar"}, "float32": {"dtype": "float32"}}
# float32 carries 24 bits (6e-8 relative); over the oracle tests' sequences of up to 40 steps of
# networks with N(0, 1) weights the error grows to a few 1e-6 relative to the outputs' scale.
TOL32 = 1e-4


def error(got: np.ndarray, want: np.ndarray, engine: str) -> float:
    """Largest absolute error (float64 engines), or largest error relative to 1 + |want| (float32)."""
    if engine == "float32":
        return float(np.max(np.abs(got - want) / (1.0 + np.abs(want)), initial=0.0))
    return float(np.max(np.abs(got - want), initial=0.0))


def tol(engine: str, tol64: float) -> float:
    return TOL32 if engine == "float32" else tol64
