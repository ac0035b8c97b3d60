"""What every benchmark shares: the machine it ran on, interleaved repeats, min / median / ratio.

Figures, never assertions about speed: a row fails only when it did not measure what it names.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

# Compared variants run this many times each, interleaved (A B A B …):
REPEATS = 5


class NotMeasured(AssertionError):
    """A benchmark row did not measure what it names (no cards drawn, no heading, no change shown)."""


def machine() -> str:
    """The machine in one line: CPU, cores, memory, Python, OS."""
    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or "?")
    memory = next((int(line.split()[1]) / 2 ** 20 for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB memory, Python {sys.version.split()[0]}, "
            f"{platform.system()} {platform.release()}")


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def stamp() -> str:
    return f"{dt.datetime.now():%Y-%m-%d %H:%M}"


def interleaved(variants: dict[str, Callable[[], float | None]], repeats: int = REPEATS) -> dict[str, list[float]]:
    """Seconds per run of each variant, run A B A B … `repeats` times. A variant may return its own
    figure (seconds measured inside a child process); otherwise its wall time is taken."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            start = time.perf_counter()
            own = run()
            times[name].append(own if own is not None else time.perf_counter() - start)
    return times


def minimum(values: list[float]) -> float:
    return min(values) if values else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: list[float], b: list[float]) -> float:
    """Median of a over median of b."""
    return median(a) / median(b) if b and median(b) else float("nan")
