"""Benchmarks for ``make bench`` (not collected by pytest): ``python -m tests.benchmarks``."""
