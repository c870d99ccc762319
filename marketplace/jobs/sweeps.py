"""Periodic checks the dispatcher runs: each domain registers its own sweep."""

from collections.abc import Callable

SWEEPS: list[Callable[[], int]] = []


def register_sweep(fn: Callable[[], int]) -> Callable[[], int]:
    SWEEPS.append(fn)
    return fn


def run_sweeps() -> int:
    return sum(sweep() for sweep in SWEEPS)
