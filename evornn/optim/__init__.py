"""Optimisers: ask/tell strategies over flat chromosomes, by registry name."""
from .base import Strategy, make_config
from .registry import STRATEGIES, describe, get_strategy

__all__ = ["STRATEGIES", "Strategy", "describe", "get_strategy", "make_config"]
