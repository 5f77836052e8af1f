"""Benchmarks at production scale (`make bench`): a fast data generator (bench.generate), the
benchmark database it fills (bench.database) and the benchmarks themselves (bench.benchmarks)."""
