"""Gradient trainers for comparison with neuroevolution: BPTT, RTRL and the ESN's ridge readout."""
from .bptt import SUPPORTED, check_supported, gradient

__all__ = ["SUPPORTED", "check_supported", "gradient"]
