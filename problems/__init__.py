"""Benchmark problems (installed as ``evornn.problems``)."""
