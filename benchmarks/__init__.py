"""gilmap's benchmark suite (see docs/BENCHMARKS.md)."""
