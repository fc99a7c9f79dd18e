"""Shared pieces of the benchmarks: timing, percentiles, a fresh app on a file."""

from __future__ import annotations

import statistics
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def timed(label: str, results: dict):
    """Record the wall time of a block in results[label] (seconds)."""
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    """'median X ms, p95 Y ms' for a list of seconds."""
    return (
        f"median {statistics.median(values) * 1000:.1f} ms, "
        f"p95 {percentile(values, 95) * 1000:.1f} ms"
    )
