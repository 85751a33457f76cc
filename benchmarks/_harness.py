"""A tiny side-by-side benchmark harness: interleaved repetitions, medians, ratios.

Each case maps variant names to an async callable that performs ``ops`` operations
(keys for batch cases). Variants of one case run interleaved, rep after rep, so
machine noise hits them alike; the report shows the median ops/s of each variant
and its ratio to the case's reference variant (the raw client), and the median CPU time
this process spent per operation (``time.process_time``: what a loaded machine's other
processes do not change, unlike ops/s; a server in another process is not counted).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

VALUE: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "age": 36,
    "active": True,
    "tags": ["math", "engines"],
    "address": {"city": "London", "zip": "W1"},
}
"""The sample value every benchmark writes, so figures compare across backends."""


def sample_keys(count: int, prefix: str = "key") -> list[str]:
    """``count`` distinct keys, ``prefix-000000`` onwards."""
    return [f"{prefix}-{n:06d}" for n in range(count)]


Runner = Callable[[], Awaitable[int]]
"""Performs a measured unit of work and returns how many operations (or keys) it did."""


@dataclass
class Case:
    name: str
    reference: str
    variants: dict[str, Runner]
    results: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    """Per variant, the CPU seconds this process spent per operation, one sample per rep."""


async def run_cases(cases: list[Case], repetitions: int = 7, warmup: int = 1) -> None:
    """Run every case's variants interleaved and fill ``case.results`` with ops/s samples."""
    for case in cases:
        for runner in case.variants.values():
            for _ in range(warmup):
                await runner()
        for _ in range(repetitions):
            for variant, runner in case.variants.items():
                cpu = time.process_time()
                start = time.perf_counter()
                ops = await runner()
                elapsed = time.perf_counter() - start
                case.results.setdefault(variant, []).append(ops / elapsed)
                case.cpu.setdefault(variant, []).append((time.process_time() - cpu) / ops)


def report(title: str, cases: list[Case]) -> str:
    """Return a table of median ops/s and the ratio of each variant to its case's reference."""
    lines = [
        f"## {title}",
        "",
        "| case | variant | median ops/s | ratio to raw | client CPU µs/op |",
        "|---|---|---:|---:|---:|",
    ]
    for case in cases:
        reference = statistics.median(case.results[case.reference])
        for variant, samples in case.results.items():
            median = statistics.median(samples)
            cpu = statistics.median(case.cpu[variant]) * 1e6
            lines.append(
                f"| {case.name} | {variant} | {median:,.0f} | {median / reference:.2f}x "
                f"| {cpu:,.1f} |"
            )
    return "\n".join(lines)


def median(case: Case, variant: str) -> float:
    """The median ops/s of one variant of a case that has run."""
    return statistics.median(case.results[variant])
