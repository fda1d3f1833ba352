"""Optimisers: ask/tell strategies over flat chromosomes, by registry name."""
from .base import Strategy
from .registry import OPTIMISERS, describe, get_strategy

__all__ = ["OPTIMISERS", "Strategy", "describe", "get_strategy"]
