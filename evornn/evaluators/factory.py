"""One call for the command line: an evaluator from --backend, --workers and --ray-address."""
from __future__ import annotations

from .local import LocalEvaluator

BACKENDS = ("local", "ray")


def make_evaluator(backend: str = "local", workers: int | None = None, address: str | None = None):
    """``LocalEvaluator(threads=workers)`` or ``RayEvaluator(workers, address)``; bad values raise a
    one-line ValueError. Ray starts (or joins ``address``) at the first evaluation, not here."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if address is not None:
        if backend != "ray":
            raise ValueError(f"a Ray address needs backend 'ray', got backend {backend!r}")
        if not isinstance(address, str) or not address.strip() or any(c.isspace() for c in address.strip()):
            raise ValueError(f"Ray address must be 'auto', 'local' or host:port, got {address!r}")
        address = address.strip()
    if backend == "local":
        return LocalEvaluator(threads=workers)
    from .ray_evaluator import RayEvaluator      # does not import ray until the first evaluation
    return RayEvaluator(workers=workers, address=address)
