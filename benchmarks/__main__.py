"""Run the side-by-side benchmarks: `python -m benchmarks [memory disk redis ...]`.

Each backend's benchmark runs in its own process (it starts the servers it needs on free
loopback ports) and prints a table of median ops/s and ratios to the raw client.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "memory",
    "memory_atomic",
    "disk",
    "disk_atomic",
    "redis",
    "redis_atomic",
    "elasticsearch",
    "elasticsearch_atomic",
    "postgres",
    "pydantic",
    "sync",
    "wrappers",
    "wrappers_atomic",
    "cache_aside",
]


def main(argv: list[str]) -> int:
    chosen = argv or BENCHMARKS
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"\n# {name}\n", flush=True)
        if subprocess.run([sys.executable, "-m", f"benchmarks.bench_{name}"]).returncode:
            failed.append(name)
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
