"""Benchmarks of huoke (not shipped): `make bench` runs `python -m bench.import_bench`."""
