"""Side-by-side benchmarks of kvstore against raw clients; see docs/performance.md."""
